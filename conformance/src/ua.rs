//! The scripted user agent: a cookie jar, same-origin redirects only, the login form filled
//! and consent approved, stopping at the first `Location` that leaves the server. It never
//! follows a redirect to a client's URL.

use url::Url;

use crate::ctx::Ctx;
use crate::form::{FieldKind, read_form};
use crate::http::Reply;
use crate::model::{Outcome, fail, skip};
use crate::target::LoginKind;

/// Same-origin steps before the agent gives up.
const MAX_STEPS: usize = 12;

/// Where an authorization request ended.
#[derive(Debug, Clone)]
pub enum Landing {
    /// A redirect that leaves the server: the client's redirect URI with code or error.
    Redirect(String),
    /// The server's own page (an error page, or a form the agent could not fill).
    Page {
        status: u16,
        url: String,
        body: String,
        /// Why the page looks like a login the agent cannot drive, if it does.
        unscriptable_login: Option<String>,
    },
}

impl Landing {
    /// The redirect's URL, or a failure that says where the flow stopped instead; a skip
    /// where it stopped at a login the agent cannot drive (the premise, a logged-in user, is
    /// missing, not the server's redirect).
    pub fn location(&self) -> Result<&str, Outcome> {
        match self {
            Self::Redirect(location) => Ok(location),
            Self::Page {
                unscriptable_login: Some(why),
                url,
                ..
            } => Err(skip(format!("needs a logged-in user: {why} at {url}"))),
            Self::Page { status, url, .. } => Err(fail(
                "a redirect back to the client",
                format!("the server's own page ({status}) at {url}"),
            )),
        }
    }

    pub fn param(&self, name: &str) -> Option<String> {
        match self {
            Self::Redirect(location) => query_param(location, name),
            Self::Page { .. } => None,
        }
    }
}

/// A query parameter of a URL (or its fragment, for misbehaving servers), form-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub use crate::form::Decision;

/// One browser session.
#[derive(Debug, Clone)]
pub struct UserAgent {
    ctx: Ctx,
    http: reqwest::Client,
    origin: String,
}

impl UserAgent {
    pub fn new(ctx: &Ctx) -> Self {
        let http = crate::http::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        let origin = Url::parse(&ctx.run.target.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Self {
            ctx: ctx.clone(),
            http,
            origin,
        }
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.origin().ascii_serialization() == self.origin
    }

    /// `GET {authorization_endpoint}?{query}` and what follows, approving consent.
    pub async fn authorize(&self, query: &str) -> Result<Landing, Outcome> {
        self.authorize_deciding(query, Decision::Approve).await
    }

    /// With [`Decision::Deny`], a server that consents by itself (a code, and no consent form
    /// on the way) leaves nothing to deny: the check is skipped.
    pub async fn authorize_deciding(
        &self,
        query: &str,
        decision: Decision,
    ) -> Result<Landing, Outcome> {
        let endpoint = self.ctx.endpoint("authorization")?;
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        let first = format!("{endpoint}{separator}{query}");
        let mut consent_forms = 0;
        let landing = self.walk(&first, decision, &mut consent_forms).await?;
        if decision == Decision::Deny && consent_forms == 0 && landing.param("code").is_some() {
            return Err(skip(
                "the server consents by itself (a code without a consent page): nothing to deny",
            ));
        }
        Ok(landing)
    }

    /// Only the first answer of the authorization endpoint, nothing followed.
    pub async fn authorize_once(&self, query: &str) -> Result<Reply, Outcome> {
        let endpoint = self.ctx.endpoint("authorization")?;
        self.ctx
            .send(self.http.get(format!("{endpoint}?{query}")))
            .await
    }

    async fn walk(
        &self,
        start: &str,
        decision: Decision,
        consent_forms: &mut usize,
    ) -> Result<Landing, Outcome> {
        let mut url = Url::parse(start).map_err(|e| fail("a valid authorization URL", e))?;
        let mut reply = self.ctx.send(self.http.get(url.clone())).await?;
        for _ in 0..MAX_STEPS {
            if (300..400).contains(&reply.status) {
                let Some(location) = reply.header("location") else {
                    return Err(fail(
                        "a Location with the redirect",
                        format!("{} without one", reply.status),
                    ));
                };
                let next = url
                    .join(location)
                    .map_err(|e| fail("a valid Location", e))?;
                if !self.same_origin(&next) {
                    return Ok(Landing::Redirect(next.to_string()));
                }
                url = next;
                reply = self.ctx.send(self.http.get(url.clone())).await?;
                continue;
            }
            let Some(form) = fill_form(&reply.body, &url, self, decision)? else {
                return Ok(Landing::Page {
                    status: reply.status,
                    url: self.ctx.run.redactor.url(url.as_str()),
                    unscriptable_login: unscriptable_login(&self.ctx, &reply),
                    body: reply.body,
                });
            };
            if !self.same_origin(&form.action) {
                return Err(fail(
                    "a form that posts to the server itself",
                    format!(
                        "a form posting to {}",
                        form.action.origin().ascii_serialization()
                    ),
                ));
            }
            if !form.is_login {
                *consent_forms += 1;
            }
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.fields.iter())
                .finish();
            let request = self
                .http
                .post(form.action.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            url = form.action;
            reply = self.ctx.send(request).await?;
        }
        Err(fail(
            format!("the flow to leave the server within {MAX_STEPS} steps"),
            "it did not",
        ))
    }
}

/// Why a page the agent stopped at is a login it cannot drive: the target file says so, or the
/// page asks for a password outside any form the agent reads, or it is a script-driven page
/// with no form at all.
fn unscriptable_login(ctx: &Ctx, reply: &Reply) -> Option<String> {
    let manual = ctx
        .run
        .target
        .login
        .as_ref()
        .is_some_and(|l| l.kind == LoginKind::Manual);
    // A login page answers 200; an error page the agent stopped at is judged as one.
    if manual && (200..300).contains(&reply.status) {
        return Some(
            "the target file says its login cannot be scripted ([login] kind = \"manual\")".into(),
        );
    }
    let body = reply.body.to_ascii_lowercase();
    if body.contains("type=\"password\"")
        || body.contains("type='password'")
        || body.contains("type=password")
    {
        return Some("a login page whose password field the user agent cannot fill".into());
    }
    if reply.status == 200 && body.contains("<script") && !body.contains("<form") {
        return Some("a script-driven page without a form (set [login] kind = \"manual\" if this is the login)".into());
    }
    None
}

struct FilledForm {
    action: Url,
    fields: Vec<(String, String)>,
    is_login: bool,
}

/// Reads the page's first form: a login form (a password field) gets the target's
/// credentials; any other form is taken as consent and answered with `decision`.
fn fill_form(
    html: &str,
    page: &Url,
    ua: &UserAgent,
    decision: Decision,
) -> Result<Option<FilledForm>, Outcome> {
    let Some(form) = read_form(html, page) else {
        return Ok(None);
    };
    let is_login = form.is_login();
    let fields = if is_login {
        let asks_username = form.fields.iter().any(|f| f.kind == FieldKind::Username);
        let username = if asks_username {
            login_username(ua)?
        } else {
            String::new()
        };
        form.login(&username, &login_password(ua)?)
    } else {
        let Some(fields) = form.consent(decision) else {
            return Ok(None);
        };
        fields
    };
    Ok(Some(FilledForm {
        action: form.action,
        fields,
        is_login,
    }))
}

fn login_username(ua: &UserAgent) -> Result<String, Outcome> {
    let login = ua.ctx.run.target.login.as_ref();
    match login {
        Some(login) if login.kind == LoginKind::Form => login
            .username
            .clone()
            .ok_or_else(|| skip("the target file gives no login username")),
        _ => Err(skip(
            "the server shows a login form, and the target file's [login] is not kind = \"form\"",
        )),
    }
}

fn login_password(ua: &UserAgent) -> Result<String, Outcome> {
    ua.ctx
        .run
        .target
        .login
        .as_ref()
        .and_then(|l| l.password.as_ref())
        .map(|p| p.expose().to_owned())
        .ok_or_else(|| skip("the target file gives no login password"))
}
