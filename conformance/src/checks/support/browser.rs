//! A bare browser: a cookie jar and nothing else, every step the check's own. For posting the
//! consent form with parts changed (AUTHZ-REQ-05) and for seeing each step before login
//! (AUTHZ-REQ-06).

use url::Url;

use crate::ctx::Ctx;
use crate::form::Decision;
use crate::http::Reply;
use crate::model::{Outcome, fail, skip};

pub(crate) use crate::form::{Form, read_form};

/// What a browser posts when the user approves: with no button on the form, its fields alone.
pub(crate) fn approve_fields(form: &Form) -> Vec<(String, String)> {
    form.consent(Decision::Approve)
        .unwrap_or_else(|| form.hidden())
}

/// A cookie jar and nothing else: every step is the check's own.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    ctx: Ctx,
    http: reqwest::Client,
}

/// Why consent checks skip against a server that shows no consent page.
pub(crate) const AUTOMATIC_CONSENT: &str =
    "the server consents by itself (a code without a consent page): no consent form to test";

/// What follows login.
#[derive(Debug)]
pub(crate) enum Consent {
    Form(Form),
    Automatic(Stop),
}

/// Where a GET or POST of the browser ended after same-origin redirects.
#[derive(Debug)]
pub(crate) struct Stop {
    pub(crate) url: Url,
    pub(crate) reply: Reply,
    /// A redirect that leaves the server, if that is where it stopped.
    pub(crate) leaving: Option<String>,
}

impl Browser {
    pub(crate) fn new(ctx: &Ctx) -> Self {
        let http = crate::http::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            ctx: ctx.clone(),
            http,
        }
    }

    fn origin(&self) -> String {
        Url::parse(&self.ctx.run.target.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// The authorization endpoint with `query`.
    pub(crate) fn authorize_url(&self, query: &str) -> Result<Url, Outcome> {
        let endpoint = self.ctx.endpoint("authorization")?;
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Url::parse(&format!("{endpoint}{separator}{query}"))
            .map_err(|e| fail("a valid authorization URL", e))
    }

    /// The first answer only.
    pub(crate) async fn get_once(&self, url: &Url) -> Result<Reply, Outcome> {
        self.ctx.send(self.http.get(url.clone())).await
    }

    /// Follows same-origin redirects from `reply` (the answer for `url`).
    async fn follow(&self, mut url: Url, mut reply: Reply) -> Result<Stop, Outcome> {
        for _ in 0..12 {
            if !(300..400).contains(&reply.status) {
                return Ok(Stop {
                    url,
                    reply,
                    leaving: None,
                });
            }
            let Some(location) = reply.header("location") else {
                return Err(fail("a Location with the redirect", reply.status));
            };
            let next = url
                .join(location)
                .map_err(|e| fail("a valid Location", e))?;
            if next.origin().ascii_serialization() != self.origin() {
                return Ok(Stop {
                    url,
                    reply,
                    leaving: Some(next.to_string()),
                });
            }
            url = next;
            reply = self.get_once(&url).await?;
        }
        Err(fail("the redirects to end", "a long chain of them"))
    }

    pub(crate) async fn get(&self, url: &Url) -> Result<Stop, Outcome> {
        let reply = self.get_once(url).await?;
        self.follow(url.clone(), reply).await
    }

    /// Posts `fields` to `action` and follows same-origin redirects.
    pub(crate) async fn post(
        &self,
        action: &Url,
        fields: &[(String, String)],
    ) -> Result<Stop, Outcome> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        let request = self
            .http
            .post(action.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let reply = self.ctx.send(request).await?;
        self.follow(action.clone(), reply).await
    }

    /// Fills a login form with the target's test user.
    pub(crate) async fn log_in(&self, form: &Form) -> Result<Stop, Outcome> {
        let login = self
            .ctx
            .run
            .target
            .login
            .as_ref()
            .ok_or_else(|| skip("the target file has no [login]"))?;
        let (Some(username), Some(password)) = (&login.username, &login.password) else {
            return Err(skip(
                "the target file's [login] lacks a username or password",
            ));
        };
        self.post(&form.action, &form.login(username, password.expose()))
            .await
    }
}
