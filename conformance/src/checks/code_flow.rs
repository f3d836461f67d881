//! What the authorization-endpoint, code, PKCE and refresh-token groups share: authorization
//! queries, codes and tokens obtained through the user agent, the expected shapes of error
//! redirects, error pages and token errors, and a bare browser for tampering with forms.

use futures_util::future::join_all;
use serde_json::{Value, json};
use url::Url;

use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, form_pair, member};
use crate::form::Decision;
use crate::http::Reply;
use crate::model::{CheckResult, Outcome, Profile, ensure, fail, skip};
use crate::ua::{Landing, UserAgent};

/// The RFC 7636 Appendix B pair: every code request carries it, since the strict profile
/// requires S256, unless the check is about PKCE itself.
pub(super) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(super) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Concurrent redemptions of one code or one refresh token in the race checks.
pub(super) const RACERS: usize = 16;

/// `code_challenge` and `code_challenge_method=S256` with the Appendix B challenge.
pub(super) fn s256() -> String {
    format!("code_challenge={CHALLENGE}&code_challenge_method=S256")
}

/// Joins raw query or form parts, leaving out empty ones.
pub(super) fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("&")
}

/// The `state` of every authorization request whose check is not about `state` itself: RFC 6749
/// §4.1.1 makes it RECOMMENDED, and a server may refuse a request without it.
pub(super) const STATE: &str = "conformance-state";

/// `response_type=code`, `client_id`, `redirect_uri` (if any), [`STATE`] unless `extra` names a
/// `state` of its own, and `extra`, as given.
pub(super) fn code_query(client_id: &str, redirect_uri: Option<&str>, extra: &str) -> String {
    let own_state = url::form_urlencoded::parse(extra.as_bytes()).any(|(name, _)| name == "state");
    let state = if own_state {
        String::new()
    } else {
        form_pair("state", STATE)
    };
    join(&[
        &code_query_without_state(client_id, redirect_uri, extra),
        &state,
    ])
}

/// [`code_query`] without any `state`: for the checks about a request that has none.
pub(super) fn code_query_without_state(
    client_id: &str,
    redirect_uri: Option<&str>,
    extra: &str,
) -> String {
    let redirect = redirect_uri.map(|r| form_pair("redirect_uri", r));
    join(&[
        "response_type=code",
        &form_pair("client_id", client_id),
        redirect.as_deref().unwrap_or(""),
        extra,
    ])
}

/// The usual request of `client` to its own redirect URI, with S256, [`STATE`] and `extra`.
pub(super) fn s256_query(client: &ClientCreds, extra: &str) -> String {
    code_query(
        &client.id,
        Some(client.redirect()),
        &join(&[&s256(), extra]),
    )
}

/// [`s256_query`] without any `state`.
pub(super) fn s256_query_without_state(client: &ClientCreds, extra: &str) -> String {
    code_query_without_state(
        &client.id,
        Some(client.redirect()),
        &join(&[&s256(), extra]),
    )
}

/// The token request's half of a code obtained with [`s256`]: `redirect_uri` and the verifier.
pub(super) fn exchange(redirect_uri: &str) -> String {
    join(&[
        &form_pair("redirect_uri", redirect_uri),
        &form_pair("code_verifier", VERIFIER),
    ])
}

/// The code a flow brought back, or a failure saying where it ended.
pub(super) fn code_of(landing: &Landing) -> Result<String, Outcome> {
    let location = landing.location()?;
    let code = landing.param("code").ok_or_else(|| {
        fail(
            "a redirect with a code",
            format!("a redirect without one: {}", redact_url(location)),
        )
    })?;
    Ok(code)
}

/// Runs `query` to the end, approving, and returns the code.
pub(super) async fn code(ua: &UserAgent, query: &str) -> Result<String, Outcome> {
    code_of(&ua.authorize(query).await?)
}

/// A code for `client` from [`s256_query`].
pub(super) async fn s256_code(
    ua: &UserAgent,
    client: &ClientCreds,
    extra: &str,
) -> Result<String, Outcome> {
    code(ua, &s256_query(client, extra)).await
}

/// `grant_type=authorization_code&code=…` plus `extra`, as `client` with Basic.
pub(super) async fn redeem(
    ctx: &Ctx,
    client: &ClientCreds,
    code: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    let body = join(&[
        "grant_type=authorization_code",
        &form_pair("code", code),
        extra,
    ]);
    ctx.token(client, &body).await
}

/// `grant_type=refresh_token` with `refresh_token` plus `extra`, as `client`.
pub(super) async fn refresh(
    ctx: &Ctx,
    client: &ClientCreds,
    refresh_token: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    let body = join(&[
        "grant_type=refresh_token",
        &form_pair("refresh_token", refresh_token),
        extra,
    ]);
    ctx.token(client, &body).await
}

/// Status and `error`, or for a JSON body without one its member names: never a token, for
/// failure messages.
pub(super) fn outline(reply: &Reply) -> String {
    match serde_json::from_str::<Value>(&reply.body) {
        Ok(Value::Object(map)) if !map.contains_key("error") => {
            let names: Vec<&str> = map.keys().map(String::as_str).collect();
            format!("{} {{{}}}", reply.status, names.join(", "))
        }
        _ => reply.summary(),
    }
}

/// The body of a 200 token response, or a failure naming the step.
pub(super) fn ok_body(reply: &Reply, step: &str) -> Result<Value, Outcome> {
    if reply.status != 200 {
        return Err(fail(format!("200 from {step}"), outline(reply)));
    }
    reply.json()
}

/// A refresh that must succeed; its body.
pub(super) async fn refreshed(
    ctx: &Ctx,
    client: &ClientCreds,
    refresh_token: &str,
    extra: &str,
) -> Result<Value, Outcome> {
    let reply = refresh(ctx, client, refresh_token, extra).await?;
    ok_body(&reply, "the refresh")
}

/// The whole flow for `client` with `extra` authorization parameters, then the redemption;
/// the token response, which must come with 200.
pub(super) async fn user_tokens(
    ctx: &Ctx,
    client: &ClientCreds,
    extra: &str,
) -> Result<Value, Outcome> {
    let ua = UserAgent::new(ctx);
    let code = s256_code(&ua, client, extra).await?;
    let reply = redeem(ctx, client, &code, &exchange(client.redirect())).await?;
    ok_body(&reply, "the code exchange")
}

/// The refresh token of a token response, or a failure: code clients get one (TOKEN-CODE-01).
pub(super) fn refresh_token_of(tokens: &Value) -> Result<String, Outcome> {
    member(tokens, "refresh_token")
}

/// A 400 token error whose `error` is one of `accepted`.
pub(super) fn grant_error(reply: &Reply, accepted: &[&str], case: &str) -> CheckResult {
    let code = reply.error_code();
    ensure(
        reply.status == 400 && code.as_deref().is_some_and(|c| accepted.contains(&c)),
        format!("{case}: 400 {}", accepted.join(" or ")),
        outline(reply),
    )
}

/// `{"active": false}` for `token`, asked by its own client.
pub(super) async fn inactive(
    ctx: &Ctx,
    client: &ClientCreds,
    token: &str,
    what: &str,
) -> CheckResult {
    let view = ctx.introspect(client, token).await?;
    ensure(
        view.get("active") == Some(&json!(false)),
        format!("{what}: introspection active:false"),
        crate::http::short(&view.to_string()),
    )
}

/// Sends `RACERS` copies of one token request at once; the 200 bodies, after checking that
/// every other answer is 400 invalid_grant.
pub(super) async fn race(
    ctx: &Ctx,
    client: &ClientCreds,
    body: &str,
) -> Result<Vec<Value>, Outcome> {
    let answers = join_all((0..RACERS).map(|_| ctx.token(client, body))).await;
    let mut winners = Vec::new();
    for answer in answers {
        let reply = answer?;
        if reply.status == 200 {
            winners.push(reply.json()?);
        } else {
            grant_error(&reply, &["invalid_grant"], "a losing request")?;
        }
    }
    Ok(winners)
}

/// A URL for messages: the code, if any, left out, even where a broken server hid it inside
/// another parameter.
pub(super) fn redact_url(url: &str) -> String {
    let mut url = url.to_owned();
    for marker in ["code=", "code%3D", "code%3d"] {
        let mut from = 0;
        while let Some(start) = url[from..].find(marker).map(|i| from + i + marker.len()) {
            let rest = &url[start..];
            let end = rest.find(['&', '%', '#']).unwrap_or(rest.len());
            url.replace_range(start..start + end, "[redacted]");
            from = start;
        }
    }
    match Url::parse(&url) {
        Ok(mut parsed) => {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "code" {
                        "[redacted]".to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => url,
    }
}

/// RFC 6749 §4.1.2.1: `error` and `error_description` use %x20-21 / %x23-5B / %x5D-7E only.
pub(super) fn permitted_error_chars(value: &str) -> bool {
    value
        .bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// What `state` an error redirect must carry.
#[derive(Debug, Clone, Copy)]
pub(super) enum StateBack<'a> {
    /// Exactly this value, or none at all.
    Exactly(Option<&'a str>),
    /// Not checked (a repeated `state` is ambiguous).
    Any,
}

/// A code client whose scopes are known and at least two: one created with `profile` and
/// `email`, or `clients.code` when its scope lists two or more values.
pub(super) async fn scoped_client(ctx: &Ctx) -> Result<(ClientCreds, Vec<String>), Outcome> {
    if ctx.has_admin() {
        let client = ctx
            .client_with(json!({
                "kind": "one_click",
                "name": "Scoped shop",
                "redirect_urls": [CLIENT_CB],
                "scopes": ["profile", "email"],
            }))
            .await?;
        return Ok((client, vec!["email".into(), "profile".into()]));
    }
    let client = ctx.file_client("code")?;
    let mut scopes: Vec<String> = client
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    scopes.sort();
    if scopes.len() < 2 {
        return Err(skip(
            "needs a code client with two scopes: an admin API, or `clients.code.scope` with two values",
        ));
    }
    Ok((client, scopes))
}

/// Is this the strict profile (PKCE required, exact redirect strings)?
pub(super) fn strict(ctx: &Ctx) -> bool {
    ctx.profile() == Profile::Strict
}

// ------------------------------------------------------------------------------------------
// A bare browser, for posting the consent form with parts changed (AUTHZ-REQ-05) and for
// seeing each step before login (AUTHZ-REQ-06).

pub(super) use crate::form::{Form, read_form};

/// What a browser posts when the user approves: with no button on the form, its fields alone.
pub(super) fn approve_fields(form: &Form) -> Vec<(String, String)> {
    form.consent(Decision::Approve)
        .unwrap_or_else(|| form.hidden())
}

/// A cookie jar and nothing else: every step is the check's own.
#[derive(Debug, Clone)]
pub(super) struct Browser {
    ctx: Ctx,
    http: reqwest::Client,
}

/// Where a GET or POST of the browser ended after same-origin redirects.
/// Why consent checks skip against a server that shows no consent page.
pub(super) const AUTOMATIC_CONSENT: &str =
    "the server consents by itself (a code without a consent page): no consent form to test";

/// What follows login.
#[derive(Debug)]
pub(super) enum Consent {
    Form(Form),
    Automatic(Stop),
}

#[derive(Debug)]
pub(super) struct Stop {
    pub(super) url: Url,
    pub(super) reply: Reply,
    /// A redirect that leaves the server, if that is where it stopped.
    pub(super) leaving: Option<String>,
}

impl Browser {
    pub(super) fn new(ctx: &Ctx) -> Self {
        let http = reqwest::Client::builder()
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
    pub(super) fn authorize_url(&self, query: &str) -> Result<Url, Outcome> {
        let endpoint = self.ctx.endpoint("authorization")?;
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Url::parse(&format!("{endpoint}{separator}{query}"))
            .map_err(|e| fail("a valid authorization URL", e))
    }

    /// The first answer only.
    pub(super) async fn get_once(&self, url: &Url) -> Result<Reply, Outcome> {
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

    pub(super) async fn get(&self, url: &Url) -> Result<Stop, Outcome> {
        let reply = self.get_once(url).await?;
        self.follow(url.clone(), reply).await
    }

    /// Posts `fields` to `action` and follows same-origin redirects.
    pub(super) async fn post(
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
    pub(super) async fn log_in(&self, form: &Form) -> Result<Stop, Outcome> {
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
