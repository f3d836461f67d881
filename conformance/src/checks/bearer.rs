//! BEARER: bearer tokens at a protected resource (RFC 6750). The resource is the target file's
//! `[resource]` when it names one, else the reference server's demo resources under
//! `/resources/...`; the checks that need the demo resources' roles or audiences skip elsewhere.

use std::collections::BTreeMap;
use std::fmt;

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::flow::{access_token, code, refresh_token, user_tokens, wallet};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair, member};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail, skip};

const BACKOFFICE: &str = "/resources/backoffice/orders";
const WALLET_REPORTS: &str = "/resources/wallet/reports";
const IDENTITY_ME: &str = "/resources/identity/me";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "bearer-01",
            ["BEARER-01"],
            [
                (
                    Must,
                    "RFC 6750 §2.1",
                    "Resource servers MUST support this method."
                ),
                (
                    Must,
                    "RFC 9110 §11.1",
                    "It uses a case-insensitive token to identify the authentication scheme"
                )
            ],
            Both,
            [],
            "Authorization: Bearer with a live token is served, whatever the case of the scheme name",
            bearer_01
        ),
        check!(
            "bearer-02",
            ["BEARER-02"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request does not include authentication credentials … the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    Must,
                    "RFC 6750 §3",
                    "All challenges defined by this specification MUST use the auth-scheme value \"Bearer\". This scheme MUST be followed by one or more auth-param values."
                ),
                (
                    ShouldNot,
                    "RFC 6750 §3.1",
                    "If the request lacks any authentication information … the resource server SHOULD NOT include an error code or other error information."
                ),
                (
                    Decision,
                    "BEARER-02",
                    "No credentials → 401 with a single `WWW-Authenticate: Bearer realm=\"…\"` challenge"
                )
            ],
            Both,
            [],
            "no credentials get a Bearer challenge with at least one attribute and no error (the reference: 401, one challenge, a realm)",
            bearer_02
        ),
        check!(
            "bearer-03a",
            ["BEARER-03"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request … does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    MustNot,
                    "RFC 6750 §3",
                    "The \"error\", \"error_description\", and \"error_uri\" attributes MUST NOT appear more than once."
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token … The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                ),
                (
                    Should,
                    "RFC 6750 §3",
                    "If the protected resource request included an access token and failed authentication, the resource server SHOULD include the \"error\" attribute"
                )
            ],
            Both,
            [],
            "a garbage or revoked token is refused with a well-formed Bearer challenge (the reference: 401 invalid_token)",
            bearer_03a
        ),
        check!(
            "bearer-03b",
            ["BEARER-03"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request … does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token: The access token provided is expired, revoked, malformed, or invalid for other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                )
            ],
            Both,
            [Clock],
            "an expired token is refused with a well-formed Bearer challenge (the reference: 401 invalid_token)",
            bearer_03b
        ),
        check!(
            "bearer-04",
            ["BEARER-04"],
            [
                (
                    Vendor,
                    "seed 002 › Permissions",
                    "Change column — grants CRUD (create, read, update, delete) access … View column — grants read-only access"
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "insufficient_scope … The resource server SHOULD respond with the HTTP 403 (Forbidden) status code"
                )
            ],
            Both,
            [Admin],
            "a reports:view token may GET but not change (the reference: 403 insufficient_scope); reports:change may do all",
            bearer_04
        ),
        check!(
            "bearer-05a",
            ["BEARER-05"],
            [
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_request: The request … uses more than one method for including an access token … The resource server SHOULD respond with the HTTP 400 (Bad Request) status code."
                ),
                (
                    MustNot,
                    "RFC 6750 §2",
                    "Clients MUST NOT use more than one method to transmit the token in each request."
                )
            ],
            Both,
            [],
            "a token in the header and also in the query or body gives 400 invalid_request",
            bearer_05a
        ),
        check!(
            "bearer-05b",
            ["BEARER-05"],
            [
                (
                    Decision,
                    "BEARER-05",
                    "A token only in `?access_token=` counts as absent (401 without an error code), because the reference does not accept tokens in URIs."
                ),
                (
                    ShouldNot,
                    "RFC 6750 §3.1",
                    "If the request lacks any authentication information … the resource server SHOULD NOT include an error code or other error information."
                )
            ],
            Both,
            [],
            "a token only in ?access_token= counts as absent: 401 without an error code",
            bearer_05b
        ),
        check!(
            "bearer-06",
            ["BEARER-06"],
            [
                (
                    Must,
                    "RFC 9700 §2.3",
                    "was meant to be used for that particular resource server. If it was not, the resource server MUST refuse to serve the respective request."
                ),
                (
                    Vendor,
                    "seed 000 › 4",
                    "The resource the client is attempting to access."
                ),
                (
                    Decision,
                    "AMB-25",
                    "Tokens carry the resource ids as `aud`, as Spring does, and resources refuse tokens that lack their id."
                )
            ],
            Both,
            [Admin],
            "a token without this resource's id in its audience is refused (the reference: 401 invalid_token; 403 accepted)",
            bearer_06
        ),
        check!(
            "bearer-07",
            ["BEARER-07"],
            [(
                Decision,
                "BEARER-07",
                "A refresh token or an authorization code presented as a bearer token → 401 invalid_token."
            )],
            Both,
            [Ua],
            "a refresh token or an authorization code used as a bearer token gives 401 invalid_token",
            bearer_07
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The protected resource.

/// Why a check that needs a protected resource cannot run.
const NO_RESOURCE: &str = "needs a protected resource: give a [resource] table in the target file \
                           (url, method, scope); the reference server's demo resources come with \
                           its admin API";

/// Where a check presents its tokens: the target file's `[resource]`, or one of the reference
/// server's demo resources.
#[derive(Debug, Clone)]
pub(super) struct Protected {
    pub(super) url: String,
    pub(super) method: Method,
    /// `[resource] scope`: what `clients.cc` asks for to be served here.
    scope: Option<String>,
    /// Named by the target file rather than a demo resource.
    declared: bool,
}

impl Protected {
    /// The target file's `[resource]`, else the demo resource at `demo_path` (the reference
    /// server's, beside its admin API), else a skip that says what to add.
    pub(super) fn find(ctx: &Ctx, demo_path: &str) -> Result<Self, Outcome> {
        if let Some(resource) = &ctx.run.target.resource {
            let method = Method::from_bytes(resource.method.to_ascii_uppercase().as_bytes())
                .map_err(|_| {
                    skip(format!(
                        "[resource] method {:?} is not an HTTP method",
                        resource.method
                    ))
                })?;
            return Ok(Self {
                url: resource.url.clone(),
                method,
                scope: resource.scope.clone(),
                declared: true,
            });
        }
        Ok(Self {
            url: demo_resource(ctx, demo_path, NO_RESOURCE)?,
            method: Method::GET,
            scope: None,
            declared: false,
        })
    }

    pub(super) fn is_declared(&self) -> bool {
        self.declared
    }

    /// The client whose tokens this resource takes: for `[resource]`, `clients.cc` asking for
    /// the resource's scope (its own configured scope when none is given); for a demo resource,
    /// a fresh client_credentials client.
    pub(super) async fn client(&self, ctx: &Ctx) -> Result<ClientCreds, Outcome> {
        if !self.declared {
            return ctx.cc_client().await;
        }
        let mut client = if ctx.run.target.client("cc").is_some() {
            ctx.file_client("cc")?
        } else {
            ctx.cc_client().await?
        };
        if let Some(scope) = &self.scope {
            client.scope = Some(scope.clone());
        }
        Ok(client)
    }

    /// The token response to client_credentials for `client`. Without one there is nothing to
    /// present to a declared resource: a skip (the token endpoint's checks judge the grant).
    pub(super) async fn issue(&self, ctx: &Ctx, client: &ClientCreds) -> Result<Value, Outcome> {
        let reply = ctx.client_credentials(client).await?;
        if reply.status != 200 {
            let expected = "200 from client_credentials";
            return Err(if self.declared {
                skip(format!(
                    "clients.cc got no token for the [resource] (scope {}): {}",
                    client.scope.as_deref().unwrap_or("none"),
                    reply.summary()
                ))
            } else {
                fail(expected, reply.summary())
            });
        }
        reply.json()
    }

    /// A fresh access token of `client` for this resource.
    pub(super) async fn token_of(
        &self,
        ctx: &Ctx,
        client: &ClientCreds,
    ) -> Result<String, Outcome> {
        member(&self.issue(ctx, client).await?, "access_token")
    }

    /// This resource's client and a fresh access token of it.
    pub(super) async fn token(&self, ctx: &Ctx) -> Result<(ClientCreds, String), Outcome> {
        let client = self.client(ctx).await?;
        let token = self.token_of(ctx, &client).await?;
        Ok((client, token))
    }

    /// `METHOD url`, for messages.
    pub(super) fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// The resource's method to `url`, with this `Authorization` value (or none).
    fn request(&self, ctx: &Ctx, url: &str, authorization: Option<&str>) -> RequestBuilder {
        let mut request = ctx.http().request(self.method.clone(), url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request
    }

    /// The resource's answer to this `Authorization` value (or none).
    pub(super) async fn call(
        &self,
        ctx: &Ctx,
        authorization: Option<&str>,
    ) -> Result<Reply, Outcome> {
        self.send(ctx, self.request(ctx, &self.url, authorization))
            .await
    }

    /// Sends a request to this resource; a 404 means there is nothing here to judge.
    async fn send(&self, ctx: &Ctx, request: RequestBuilder) -> Result<Reply, Outcome> {
        let reply = ctx.send(request).await?;
        if reply.status == 404 {
            return Err(skip(if self.declared {
                format!("the [resource] answers 404 at {}", self.label())
            } else {
                "the target has no demo protected resource at this path".to_owned()
            }));
        }
        Ok(reply)
    }

    /// Is `token` served here (2xx)?
    pub(super) async fn serves(&self, ctx: &Ctx, token: &str) -> Result<bool, Outcome> {
        let reply = self.call(ctx, Some(&bearer(token))).await?;
        Ok(is_success(reply.status))
    }

    /// This resource's URL with `name=value` added to its query.
    fn with_query(&self, name: &str, value: &str) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.url, form_pair(name, value))
    }
}

/// The reference server's demo resource at `path`, beside its admin API; else a skip.
fn demo_resource(ctx: &Ctx, path: &str, reason: &str) -> Result<String, Outcome> {
    if !ctx.has_admin() {
        return Err(skip(reason));
    }
    Ok(ctx.run.url(path))
}

pub(super) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub(super) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

// ---------------------------------------------------------------------------------------------
// Verdicts that keep going.

/// The first deviation found, kept while the MUST parts of a check go on being judged.
#[derive(Debug, Default)]
pub(super) struct Deviations(Option<Outcome>);

impl Deviations {
    pub(super) fn note(&mut self, expected: impl fmt::Display, actual: impl fmt::Display) {
        if self.0.is_none() {
            self.0 = Some(deviate(expected, actual));
        }
    }

    pub(super) fn finish(self) -> CheckResult {
        self.0.map_or(Ok(()), Err)
    }
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate (RFC 9110 §11.6.1, RFC 6750 §3).

/// One challenge of a `WWW-Authenticate` field.
#[derive(Debug)]
struct Challenge {
    scheme: String,
    /// Attribute names lower-cased (RFC 9110 §11.2); a token68 has the name "".
    params: Vec<(String, String)>,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `text` split at the commas outside quoted strings, each part trimmed.
fn split_items(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            items.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    if quoted {
        return Err(format!("an unterminated quoted string in {text}"));
    }
    items.push(current);
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

/// `name = value` with a token or quoted-string value; None when `text` is not one.
fn auth_param(text: &str) -> Option<(String, String)> {
    let end = text.find(|c: char| !is_tchar(c)).unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    let value = rest.trim_start().strip_prefix('=')?.trim_start();
    if name.is_empty() || value.starts_with('=') {
        return None;
    }
    let value = if let Some(quoted) = value.strip_prefix('"') {
        let inner = quoted.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' { chars.next()? } else { c });
        }
        out
    } else if !value.is_empty() && value.chars().all(is_tchar) {
        value.to_owned()
    } else {
        return None;
    };
    Some((name.to_ascii_lowercase(), value))
}

/// Every challenge of every `WWW-Authenticate` field of `reply`.
fn challenges(reply: &Reply) -> Result<Vec<Challenge>, String> {
    let mut all: Vec<Challenge> = Vec::new();
    for field in reply.headers.get_all("www-authenticate") {
        let text = field
            .to_str()
            .map_err(|_| "a field with bytes outside ASCII".to_owned())?;
        for item in split_items(text)? {
            // `name=value` goes on the current challenge; anything else starts one.
            if let (Some(param), Some(current)) = (auth_param(&item), all.last_mut()) {
                current.params.push(param);
                continue;
            }
            let (scheme, rest) = match item.split_once([' ', '\t']) {
                Some((scheme, rest)) => (scheme, rest.trim()),
                None => (item.as_str(), ""),
            };
            if scheme.is_empty() || !scheme.chars().all(is_tchar) {
                return Err(format!("a challenge that starts with no scheme: {item}"));
            }
            let params = if rest.is_empty() {
                Vec::new()
            } else {
                vec![auth_param(rest).unwrap_or_else(|| (String::new(), rest.to_owned()))]
            };
            all.push(Challenge {
                scheme: scheme.to_owned(),
                params,
            });
        }
    }
    Ok(all)
}

/// RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E for error and error_description, and without the
/// space (which separates values) for scope and error_uri.
fn permitted(name: &str, value: &str) -> bool {
    let text = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e);
    match name {
        "error" | "error_description" => value.bytes().all(text),
        "scope" | "error_uri" => value
            .bytes()
            .all(|b| text(b) && (b != b' ' || name == "scope")),
        _ => true,
    }
}

/// The attributes of `reply`'s Bearer challenge, held to the MUSTs of RFC 6750 §3: a
/// `WWW-Authenticate` field with a Bearer challenge followed by at least one attribute; realm,
/// scope, error, error_description and error_uri at most once each and only in their permitted
/// characters. Also whether it was the field's only challenge. `what` names the request.
pub(super) fn bearer_params(
    reply: &Reply,
    what: &str,
) -> Result<(BTreeMap<String, String>, bool), Outcome> {
    let all = challenges(reply).map_err(|e| {
        fail(
            format!("{what}: a well-formed WWW-Authenticate field (RFC 9110 §11.6.1)"),
            e,
        )
    })?;
    let bearers: Vec<&Challenge> = all
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect();
    let Some(challenge) = bearers.first() else {
        let schemes: Vec<&str> = all.iter().map(|c| c.scheme.as_str()).collect();
        return Err(fail(
            format!("{what}: a WWW-Authenticate Bearer challenge (RFC 6750 §3 MUST)"),
            if schemes.is_empty() {
                "no WWW-Authenticate field".to_owned()
            } else {
                format!("challenges {schemes:?}")
            },
        ));
    };
    if !challenge.params.iter().any(|(name, _)| !name.is_empty()) {
        return Err(fail(
            format!(
                "{what}: the Bearer scheme followed by one or more auth-param values (RFC 6750 §3 MUST)"
            ),
            format!("{challenge:?}"),
        ));
    }
    let mut params = BTreeMap::new();
    for (name, value) in &challenge.params {
        if !permitted(name, value) {
            return Err(fail(
                format!("{what}: `{name}` in the characters RFC 6750 §3 permits"),
                value,
            ));
        }
        let once = matches!(
            name.as_str(),
            "realm" | "scope" | "error" | "error_description" | "error_uri"
        );
        if params.insert(name.clone(), value.clone()).is_some() && once {
            return Err(fail(
                format!("{what}: `{name}` at most once (RFC 6750 §3 MUST NOT)"),
                format!("{challenge:?}"),
            ));
        }
    }
    Ok((params, all.len() == 1))
}

/// A token that does not enable access: no 2xx, and a well-formed Bearer challenge (MUST).
/// The reference's 401 and `error="invalid_token"` (both SHOULD) are noted when missing.
pub(super) fn judge_refused(warnings: &mut Deviations, what: &str, reply: &Reply) -> CheckResult {
    ensure(
        !is_success(reply.status),
        format!("{what}: refused"),
        reply.summary(),
    )?;
    let (params, _) = bearer_params(reply, what)?;
    if reply.status != 401 {
        warnings.note(format!("{what}: 401"), reply.summary());
    }
    let error = params.get("error");
    if error.map(String::as_str) != Some("invalid_token") {
        warnings.note(
            format!("{what}: error=\"invalid_token\""),
            format!("{error:?}"),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The checks.

async fn bearer_01(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply = resource
            .call(&ctx, Some(&format!("{scheme} {token}")))
            .await?;
        ensure(
            is_success(reply.status),
            format!(
                "{} with `Authorization: {scheme} <live token>`: served (2xx)",
                resource.label()
            ),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn bearer_02(ctx: Ctx) -> CheckResult {
    let resources = if ctx.run.target.resource.is_some() {
        vec![Protected::find(&ctx, BACKOFFICE)?]
    } else {
        [BACKOFFICE, IDENTITY_ME, WALLET_REPORTS]
            .iter()
            .map(|path| Protected::find(&ctx, path))
            .collect::<Result<_, _>>()?
    };
    let mut warnings = Deviations::default();
    for resource in &resources {
        let what = format!("{} without credentials", resource.label());
        let reply = resource.call(&ctx, None).await?;
        let (params, only) = bearer_params(&reply, &what)?;
        if reply.status != 401 {
            warnings.note(format!("{what}: 401"), reply.summary());
        }
        if let Some(error) = params.get("error") {
            warnings.note(format!("{what}: no error attribute"), error);
        }
        if params.get("realm").is_none_or(String::is_empty) {
            warnings.note(format!("{what}: a realm"), format!("{params:?}"));
        }
        if !only {
            warnings.note(
                format!("{what}: a single challenge"),
                reply
                    .headers
                    .get_all("www-authenticate")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
    }
    warnings.finish()
}

async fn bearer_03a(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let mut warnings = Deviations::default();
    let garbage = resource.call(&ctx, Some("Bearer garbage")).await?;
    judge_refused(&mut warnings, "a garbage token", &garbage)?;

    // A revoked token only where the target revokes access tokens (RFC 7009 §2: SHOULD) and
    // the resource served the token before.
    let (client, revoked) = resource.token(&ctx).await?;
    if ctx.endpoints().revocation.is_some() && resource.serves(&ctx, &revoked).await? {
        let answer = ctx.token_call("revocation", &client, &revoked).await?;
        if answer.status == 200 {
            let reply = resource.call(&ctx, Some(&bearer(&revoked))).await?;
            if is_success(reply.status) {
                // A resource that validates self-contained tokens may not learn of it.
                warnings.note(
                    "a revoked token refused (RFC 7009 §2: access-token revocation is a SHOULD)",
                    reply.summary(),
                );
            } else {
                judge_refused(&mut warnings, "a revoked token", &reply)?;
            }
        }
    }
    warnings.finish()
}

async fn bearer_03b(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    ctx.set_clock("2030-06-15T12:00:00Z").await?;
    let client = resource.client(&ctx).await?;
    let issued = resource.issue(&ctx, &client).await?;
    let token = access_token(&issued)?;
    let expires_in = issued
        .get("expires_in")
        .and_then(Value::as_i64)
        .ok_or_else(|| skip("the token response has no expires_in: no instant to expire at"))?;

    ctx.advance_clock(expires_in).await?;
    let reply = resource.call(&ctx, Some(&bearer(&token))).await?;
    let mut warnings = Deviations::default();
    judge_refused(&mut warnings, "a token at its exp", &reply)?;
    warnings.finish()
}

async fn bearer_04(ctx: Ctx) -> CheckResult {
    let url = demo_resource(
        &ctx,
        WALLET_REPORTS,
        "needs the reference server's role-gated demo resources and its admin API (a [resource] \
         table names one resource, not a role-gated pair)",
    )?;
    let viewer = wallet(&ctx, &["reports:view"], json!({})).await?;
    let changer = wallet(&ctx, &["reports:change"], json!({})).await?;
    let view_token = ctx.access_token(&viewer).await?;
    let change_token = ctx.access_token(&changer).await?;
    let mut warnings = Deviations::default();

    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        let call = |token: &str| {
            ctx.http()
                .request(method.clone(), &url)
                .header("authorization", bearer(token))
        };
        let as_changer = ctx.send(call(&change_token)).await?;
        ensure(
            is_success(as_changer.status),
            format!("{method} with reports:change: served"),
            as_changer.summary(),
        )?;
        let as_viewer = ctx.send(call(&view_token)).await?;
        if method == Method::GET {
            ensure(
                is_success(as_viewer.status),
                "GET with reports:view: served",
                as_viewer.summary(),
            )?;
            continue;
        }
        let what = format!("{method} with reports:view only");
        ensure(
            !is_success(as_viewer.status),
            format!("{what}: refused (View is read-only)"),
            as_viewer.summary(),
        )?;
        let (params, _) = bearer_params(&as_viewer, &what)?;
        if as_viewer.status != 403 {
            warnings.note(format!("{what}: 403"), as_viewer.summary());
        }
        let error = params.get("error");
        if error.map(String::as_str) != Some("insufficient_scope") {
            warnings.note(
                format!("{what}: error=\"insufficient_scope\""),
                format!("{error:?}"),
            );
        }
    }
    warnings.finish()
}

async fn bearer_05a(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    if !resource.serves(&ctx, &token).await? {
        return Err(skip(
            "the resource does not serve the token obtained for it (see bearer-01)",
        ));
    }
    let header = bearer(&token);
    let in_query = resource.request(
        &ctx,
        &resource.with_query("access_token", &token),
        Some(&header),
    );
    let mut cases = vec![("header and query", in_query)];
    // A form body needs a method whose body has semantics (RFC 6750 §2.2): the demo wallet
    // resource takes POST; a declared resource only when its own method is one of those.
    let body = form_pair("access_token", &token);
    if !resource.is_declared() {
        let wallet_url = demo_resource(&ctx, WALLET_REPORTS, NO_RESOURCE)?;
        cases.push((
            "header and body",
            ctx.post_form(&wallet_url, &body)
                .header("authorization", &header),
        ));
    } else if matches!(resource.method, Method::POST | Method::PUT | Method::PATCH) {
        cases.push((
            "header and body",
            resource
                .request(&ctx, &resource.url, Some(&header))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        ));
    }
    for (what, request) in cases {
        let reply = resource.send(&ctx, request).await?;
        ensure(reply.status == 400, format!("{what}: 400"), reply.summary())?;
        let (params, _) = bearer_params(&reply, what)?;
        let error = params.get("error");
        ensure(
            error.map(String::as_str) == Some("invalid_request"),
            format!("{what}: error=\"invalid_request\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}

async fn bearer_05b(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    if !resource.serves(&ctx, &token).await? {
        return Err(skip(
            "the resource does not serve the token obtained for it (see bearer-01)",
        ));
    }
    let url = resource.with_query("access_token", &token);
    let reply = resource
        .send(&ctx, resource.request(&ctx, &url, None))
        .await?;
    // RFC 6750 §2.3 lets a resource server accept it; the reference does not.
    ensure(
        !is_success(reply.status),
        "a token in the URI query not accepted",
        reply.summary(),
    )?;
    ensure(
        reply.status == 401,
        "401, as for no credentials",
        reply.summary(),
    )?;
    let (params, _) = bearer_params(&reply, "a token only in the query")?;
    let error = params.get("error");
    ensure(
        error.is_none(),
        "no error code, as for no credentials",
        format!("{error:?}"),
    )
}

async fn bearer_06(ctx: Ctx) -> CheckResult {
    let reason = "needs the reference server's demo resources for two resource ids and its admin \
                  API (a [resource] table names one resource)";
    let backoffice = demo_resource(&ctx, BACKOFFICE, reason)?;
    let identity = demo_resource(&ctx, IDENTITY_ME, reason)?;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "grants": ["client_credentials"],
            "resource_ids": ["identity_api"],
            "redirect_urls": [crate::ctx::CLIENT_CB],
        }))
        .await?;
    let token = ctx.access_token(&client).await?;
    let header = bearer(&token);
    let at = |url: &str| ctx.http().get(url).header("authorization", &header);

    let own = ctx.send(at(&identity)).await?;
    if !is_success(own.status) {
        return Err(skip(format!(
            "identity_api does not serve its own token ({}): nothing to compare with",
            own.summary()
        )));
    }
    let foreign = ctx.send(at(&backoffice)).await?;
    let what = "an identity_api token at backoffice_api";
    ensure(
        !is_success(foreign.status),
        format!("{what}: refused"),
        foreign.summary(),
    )?;
    let (params, _) = bearer_params(&foreign, what)?;
    let mut warnings = Deviations::default();
    match foreign.status {
        401 => {
            let error = params.get("error");
            if error.map(String::as_str) != Some("invalid_token") {
                warnings.note(
                    format!("{what}: error=\"invalid_token\""),
                    format!("{error:?}"),
                );
            }
        }
        // AMB-25 accepts a 403 as well.
        403 => {}
        _ => warnings.note(
            format!("{what}: 401 invalid_token, or 403"),
            foreign.summary(),
        ),
    }
    warnings.finish()
}

async fn bearer_07(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, IDENTITY_ME)?;
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let refresh = refresh_token(&tokens)?;
    let unused = code(&ctx, &client).await?;
    // The grant's own access token must be served, or a refusal below proves nothing.
    if !resource.serves(&ctx, &access_token(&tokens)?).await? {
        return Err(skip(format!(
            "{} does not serve the code client's access token: nothing to compare with",
            resource.label()
        )));
    }

    for (what, credential) in [
        ("a refresh token", refresh.as_str()),
        ("an authorization code", unused.as_str()),
    ] {
        let reply = resource.call(&ctx, Some(&bearer(credential))).await?;
        ensure(
            !is_success(reply.status),
            format!("{what}: refused"),
            reply.summary(),
        )?;
        ensure(reply.status == 401, format!("{what}: 401"), reply.summary())?;
        let (params, _) = bearer_params(&reply, what)?;
        let error = params.get("error");
        ensure(
            error.map(String::as_str) == Some("invalid_token"),
            format!("{what}: error=\"invalid_token\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_with(challenges: &[&str]) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        for value in challenges {
            headers.append("www-authenticate", value.parse().unwrap());
        }
        Reply {
            status: 401,
            headers,
            body: String::new(),
        }
    }

    fn params(challenges: &[&str]) -> Result<(BTreeMap<String, String>, bool), Outcome> {
        bearer_params(&reply_with(challenges), "test")
    }

    #[test]
    fn a_comma_inside_a_quoted_value_is_part_of_it() {
        let (found, only) = params(&[
            r#"Bearer realm="api", error="invalid_token", error_description="expired, refresh it""#,
        ])
        .unwrap();

        assert!(only);
        assert_eq!(found["error_description"], "expired, refresh it");
        assert_eq!(found["error"], "invalid_token");
    }

    #[test]
    fn token_values_and_other_challenges_are_lawful() {
        let (found, only) =
            params(&[r#"DPoP algs="ES256 PS256", Bearer realm="x", error=invalid_token"#]).unwrap();

        assert!(!only);
        assert_eq!(found["error"], "invalid_token");
        assert_eq!(found["realm"], "x");
    }

    #[test]
    fn challenges_in_several_fields_are_read() {
        let (found, only) = params(&[r#"Basic realm="b""#, r#"bearer realm="r""#]).unwrap();

        assert!(!only);
        assert_eq!(found["realm"], "r");
    }

    #[test]
    fn what_rfc_6750_forbids_fails() {
        for (case, header) in [
            ("no Bearer challenge", r#"Basic realm="x""#),
            ("a bare Bearer", "Bearer"),
            ("a token68", "Bearer abc=="),
            (
                "error twice",
                r#"Bearer realm="x", error="invalid_token", error="invalid_token""#,
            ),
            (
                "a quote in error_description",
                r#"Bearer error_description="a \"b\"""#,
            ),
            ("an unterminated string", r#"Bearer realm="x"#),
        ] {
            assert!(
                matches!(params(&[header]), Err(Outcome::Fail { .. })),
                "{case}: {header}"
            );
        }
        assert!(matches!(params(&[]), Err(Outcome::Fail { .. })), "no field");
    }

    #[test]
    fn deviations_keep_the_first() {
        let mut warnings = Deviations::default();
        warnings.note("a", "b");
        warnings.note("c", "d");

        assert_eq!(
            warnings.finish(),
            Err(Outcome::Warn {
                expected: "a".into(),
                actual: "b".into()
            })
        );
    }
}
