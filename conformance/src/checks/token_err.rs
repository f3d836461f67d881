//! TOKEN-ERR: the shape of token-endpoint errors (RFC 6749 §5.2) and robustness against
//! malformed input. Also the small verifiers the other token groups share.

use std::fmt;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_encode, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail};

pub(super) const CC: &str = "grant_type=client_credentials";

/// RFC 6749 §5.2's codes, plus those RFC 8628 registers for the token endpoint (`slow_down`
/// is what a throttle may answer).
pub(super) const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
];

/// Generated values per request position in the TOKEN-ERR-01 property check.
const PROPERTY_CASES: usize = 24;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-err-01",
            ["TOKEN-ERR-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code from the following … Values for the \"error_description\" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
                ),
                (
                    Decision,
                    "TOKEN-ERR-01",
                    "Every error response has status 400 (401 only for invalid_client) and `application/json`."
                )
            ],
            Both,
            [],
            "token errors carry a registered `error` and printable-ASCII text, whatever characters the request carried; 400 (401 for invalid_client) JSON as on the reference",
            err_01
        ),
        check!(
            "token-err-02",
            ["TOKEN-ERR-02"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "The authorization server responds with an HTTP 400 (Bad Request) status code (unless specified otherwise) and includes the following parameters … error REQUIRED."
                ),
                (
                    Decision,
                    "TOKEN-ERR-02",
                    "Malformed input → 400 invalid_request (413 when the body is too large)."
                )
            ],
            Both,
            [],
            "malformed form input (bad UTF-8 or percent-encoding, NUL) gets a 4xx without a token; 400 invalid_request, and 413 for a 1 MiB body, as on the reference",
            err_02
        ),
    ]
}

// ---- shared by the token groups -------------------------------------------------------------

/// A short id no other check presents: checks run concurrently, and the throttle of
/// TOKEN-AUTH-08 counts failures per presented id.
pub(super) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:012x}",
        rand::rng().random::<u64>() & 0xffff_ffff_ffff
    )
}

/// `scope=…` with `client`'s configured scope, if it has one.
pub(super) fn scope_pair(client: &ClientCreds) -> Option<String> {
    client
        .scope
        .as_deref()
        .map(|scope| form_pair("scope", scope))
}

/// `grant_type=client_credentials` with `client`'s configured scope: a server may require a
/// scope, so every request that is not about scope carries it.
pub(super) fn cc_body(client: &ClientCreds) -> String {
    match scope_pair(client) {
        Some(scope) => format!("{CC}&{scope}"),
        None => CC.to_owned(),
    }
}

/// A POST to the token endpoint with this exact form body and this `Authorization` value.
pub(super) async fn post_token(
    ctx: &Ctx,
    body: impl Into<reqwest::Body>,
    authorization: Option<&str>,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint("token")?;
    let mut request = ctx
        .http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    ctx.send(request).await
}

/// A token request with the credentials in the form body instead of Basic.
pub(super) async fn token_with_body_credentials(
    ctx: &Ctx,
    client: &ClientCreds,
    body: &str,
) -> Result<Reply, Outcome> {
    let body = format!(
        "{body}&{}&{}",
        form_pair("client_id", &client.id),
        form_pair("client_secret", client.secret.expose())
    );
    post_token(ctx, body, None).await
}

/// `client` with another secret.
pub(super) fn with_secret(client: &ClientCreds, secret: &str) -> ClientCreds {
    ClientCreds {
        secret: crate::target::Secret::new(secret),
        ..client.clone()
    }
}

/// A client id nobody registered, with a wrong secret and `like`'s scope, so that its requests
/// differ from `like`'s only in the credentials.
pub(super) fn stranger(like: &ClientCreds) -> ClientCreds {
    ClientCreds {
        id: unique("no-such-client"),
        secret: crate::target::Secret::new("wrong-secret"),
        redirect_uri: None,
        scope: like.scope.clone(),
    }
}

/// Status and `error`, or the body with its credentials blanked: failure messages reach the
/// report unredacted, so a token granted where none should be must not appear in them.
pub(super) fn said(reply: &Reply) -> String {
    if let Some(error) = reply.error_code() {
        return format!("{} {error}", reply.status);
    }
    match serde_json::from_str::<Value>(&reply.body) {
        Ok(value) => format!(
            "{} {}",
            reply.status,
            crate::http::short(&crate::http::Redactor::default().json(&value).to_string())
        ),
        Err(_) => format!("{} {}", reply.status, crate::http::short(&reply.body)),
    }
}

/// Does the body carry a token?
pub(super) fn has_token(reply: &Reply) -> bool {
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    ["access_token", "refresh_token"]
        .iter()
        .any(|name| body.get(name).is_some())
}

/// Fails if the body carries a token.
pub(super) fn no_token(reply: &Reply) -> CheckResult {
    ensure(
        !has_token(reply),
        "no token in an error answer",
        said(reply),
    )
}

/// An RFC 6749 §5.2 error: one of `statuses`, a JSON body whose `error` is one of `codes`, and
/// no token.
pub(super) fn expect_error(reply: &Reply, statuses: &[u16], codes: &[&str]) -> CheckResult {
    let expected = format!("{} {}", or_list(statuses), codes.join(" or "));
    let code = reply.error_code();
    ensure(
        statuses.contains(&reply.status) && code.as_deref().is_some_and(|c| codes.contains(&c)),
        expected,
        said(reply),
    )?;
    no_token(reply)
}

/// What the reference answers to a request the RFC says to refuse, and what else a server may
/// answer without breaking it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refusal<'a> {
    /// The codes the reference uses (and the catalog row names): these pass.
    pub preferred: &'a [&'a str],
    /// Other codes whose RFC 6749 §5.2 condition fits the request too: a deviation.
    pub fitting: &'a [&'a str],
    /// The reference's statuses. §5.2's "responds with an HTTP 400 (Bad Request) status code
    /// (unless specified otherwise)" carries no keyword, so another 4xx is a deviation.
    pub statuses: &'a [u16],
}

impl Refusal<'_> {
    /// `case` names the request in messages. A token, a status below 400, or an `error` that
    /// is missing or outside both code lists fails (`error` is REQUIRED and names the
    /// condition); a fitting but not preferred code, or another 4xx status, deviates.
    pub(super) fn judge(&self, reply: &Reply, case: &str) -> CheckResult {
        let preferred = self.preferred.join(" or ");
        let wanted = format!("{case}: {} {preferred}", or_list(self.statuses));
        if has_token(reply) || reply.status < 400 {
            return Err(fail(
                format!("{wanted}, never a token or a success status"),
                said(reply),
            ));
        }
        let code = reply.error_code();
        let code = code.as_deref().unwrap_or("");
        let fits = self.preferred.contains(&code) || self.fitting.contains(&code);
        if !fits {
            let mut allowed = self.preferred.to_vec();
            allowed.extend_from_slice(self.fitting);
            return Err(fail(
                format!(
                    "{case}: an `error` whose RFC 6749 §5.2 condition fits: {}",
                    allowed.join(" or ")
                ),
                said(reply),
            ));
        }
        if !self.preferred.contains(&code) || !self.statuses.contains(&reply.status) {
            return Err(deviate(wanted, said(reply)));
        }
        Ok(())
    }
}

/// Deviations noted while a check goes on judging what can fail: a warning must not hide a
/// failure further on, so a check reports its first deviation only at the end.
#[derive(Debug, Default)]
pub(super) struct Deviations(Option<Outcome>);

impl Deviations {
    /// Keeps a deviation for later; a pass, a failure or a skip passes through.
    pub(super) fn keep(&mut self, result: CheckResult) -> CheckResult {
        match result {
            Err(warning @ Outcome::Warn { .. }) => {
                self.0.get_or_insert(warning);
                Ok(())
            }
            other => other,
        }
    }

    pub(super) fn note(&mut self, expected: impl fmt::Display, actual: impl fmt::Display) {
        self.0.get_or_insert_with(|| deviate(expected, actual));
    }

    /// The first deviation noted, or a pass.
    pub(super) fn end(self) -> CheckResult {
        self.0.map_or(Ok(()), Err)
    }
}

fn or_list(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `Basic` with the parts given raw, base64-encoded as they are.
pub(super) fn raw_basic(pair: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// `Basic` as RFC 6749 §2.3.1 builds it: each part form-encoded, then base64.
pub(super) fn basic_value(id: &str, secret: &str) -> String {
    raw_basic(&format!("{}:{}", form_encode(id), form_encode(secret)))
}

/// A 200 token response's JSON, or a failure naming the request.
pub(super) fn granted(reply: &Reply, what: &str) -> Result<Value, Outcome> {
    if reply.status != 200 {
        return Err(fail(format!("200 for {what}"), said(reply)));
    }
    reply.json()
}

/// A 401 carries a challenge: RFC 9110 §15.5.2 (and §11.6.1), "The server generating a 401
/// response MUST send a WWW-Authenticate header field".
pub(super) fn challenge_on_401(reply: &Reply, case: &str) -> CheckResult {
    ensure(
        reply.status != 401 || reply.header("www-authenticate").is_some(),
        format!("{case}: a 401 with a WWW-Authenticate challenge (RFC 9110 §15.5.2)"),
        "a 401 without WWW-Authenticate",
    )
}

// ---- TOKEN-ERR-01 ---------------------------------------------------------------------------

/// RFC 6749 §5.2: `error` and `error_description` are %x20-21 / %x23-5B / %x5D-7E (RFC 6750
/// §3 permits the same set in a challenge's attributes).
pub(super) fn is_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// RFC 6749 §5.2: `error_uri` is %x21 / %x23-5B / %x5D-7E.
fn is_uri_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The §5.2 shape of one error answer; `case` names the request in messages. What §5.2
/// requires fails; its status and media type, which it states without a keyword, deviate.
fn error_shape(reply: &Reply, case: &str, deviations: &mut Deviations) -> CheckResult {
    no_token(reply)?;
    let body = serde_json::from_str::<Value>(&reply.body).map_err(|_| {
        fail(
            format!("{case}: a JSON body with the REQUIRED `error`"),
            said(reply),
        )
    })?;
    let Some(error) = body.get("error").and_then(Value::as_str) else {
        return Err(fail(
            format!("{case}: a string `error` (REQUIRED)"),
            crate::http::short(&reply.body),
        ));
    };
    ensure(
        TOKEN_ERRORS.contains(&error),
        format!("{case}: a registered token-endpoint error code"),
        error,
    )?;
    ensure(
        is_error_text(error),
        format!("{case}: `error` in printable ASCII without `\"` or `\\`"),
        format!("{error:?}"),
    )?;
    match body.get("error_description") {
        None => {}
        Some(Value::String(text)) => ensure(
            is_error_text(text),
            format!("{case}: `error_description` in printable ASCII without `\"` or `\\`"),
            format!("{text:?}"),
        )?,
        Some(other) => {
            return Err(fail(format!("{case}: `error_description` a string"), other));
        }
    }
    match body.get("error_uri") {
        None => {}
        Some(Value::String(uri)) => ensure(
            is_uri_text(uri),
            format!("{case}: `error_uri` of the characters §5.2 permits"),
            format!("{uri:?}"),
        )?,
        Some(other) => return Err(fail(format!("{case}: `error_uri` a string"), other)),
    }
    let content_type = reply.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        deviations.note(
            format!("{case}: Content-Type application/json"),
            format!("{case}: {content_type:?}"),
        );
    }
    // Repeated failures for one client id may meet a brute-force throttle (TOKEN-AUTH-08).
    let statuses: &[u16] = match error {
        "invalid_client" => &[400, 401],
        _ => &[400],
    };
    if !statuses.contains(&reply.status) && reply.status != 429 {
        deviations.note(
            format!("{case}: status {} with {error}", or_list(statuses)),
            reply.status,
        );
    }
    Ok(())
}

/// A value that carries what §5.2 forbids in error text, around generated printable noise.
fn nasty_value(rng: &mut StdRng) -> String {
    const NASTY: &[&str] = &[
        "\"",
        "\\",
        "é",
        "\u{7f}",
        "\u{2028}",
        "\u{1F600}",
        "\t",
        "<&>",
    ];
    let noise: String = (0..rng.random_range(0..12))
        .map(|_| char::from(rng.random_range(0x21u8..0x7f)))
        .collect();
    let nasty = NASTY.choose(rng).copied().unwrap_or("\"");
    format!("{noise}{nasty}{noise}")
}

/// `body` after `client`'s configured scope, for requests that are about something else.
fn with_scope(client: &ClientCreds, body: &str) -> String {
    match scope_pair(client) {
        Some(scope) if body.is_empty() => scope,
        Some(scope) => format!("{body}&{scope}"),
        None => body.to_owned(),
    }
}

async fn err_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let code_client = ctx.code_client().await?;
    let mut deviations = Deviations::default();
    let fixed = [
        (
            "no grant_type",
            ctx.token(&client, &with_scope(&client, "")).await?,
        ),
        (
            "an unknown grant_type",
            ctx.token(
                &client,
                &with_scope(&client, "grant_type=urn%3Aexample%3Anope"),
            )
            .await?,
        ),
        (
            "a wrong secret",
            ctx.client_credentials(&with_secret(&client, "wrong-secret"))
                .await?,
        ),
        (
            "client_credentials by a code client",
            ctx.client_credentials(&code_client).await?,
        ),
        (
            "an unknown code",
            ctx.token(
                &code_client,
                &format!(
                    "grant_type=authorization_code&code=conformance-no-such-code&{}",
                    form_pair("redirect_uri", code_client.redirect())
                ),
            )
            .await?,
        ),
    ];
    for (case, reply) in &fixed {
        // A server may let a code client use client_credentials (TOKEN-REQ-05b judges that).
        if reply.status == 200 && *case == "client_credentials by a code client" {
            continue;
        }
        error_shape(reply, case, &mut deviations)?;
    }
    // Values the server might echo into `error_description`: generated from the run's seed, so
    // `--seed` replays them.
    let mut rng = StdRng::seed_from_u64(ctx.run.seed);
    for _ in 0..ctx.run.cases_or(PROPERTY_CASES) {
        let value = nasty_value(&mut rng);
        let as_scope = ctx
            .token(&client, &format!("{CC}&{}", form_pair("scope", &value)))
            .await?;
        // A server may drop a scope value it does not know instead of failing (TOKEN-RESP-03).
        if as_scope.status != 200 {
            error_shape(&as_scope, &format!("scope={value:?}"), &mut deviations)?;
        }
        let as_grant = ctx
            .token(
                &client,
                &with_scope(&client, &form_pair("grant_type", &value)),
            )
            .await?;
        error_shape(&as_grant, &format!("grant_type={value:?}"), &mut deviations)?;
        let as_basic_user =
            post_token(&ctx, cc_body(&client), Some(&basic_value(&value, "x"))).await?;
        error_shape(
            &as_basic_user,
            &format!("Basic user name {value:?}"),
            &mut deviations,
        )?;
        let as_body_id = post_token(
            &ctx,
            format!(
                "{}&{}&client_secret=x",
                cc_body(&client),
                form_pair("client_id", &value)
            ),
            None,
        )
        .await?;
        error_shape(
            &as_body_id,
            &format!("body client_id {value:?}"),
            &mut deviations,
        )?;
    }
    deviations.end()
}

// ---- TOKEN-ERR-02 ---------------------------------------------------------------------------

/// One TOKEN-ERR-02 input: what it is, its body, the reference's status, and whether it is
/// well-formed apart from its size (then RFC 6749 §3.2's "MUST ignore unrecognized request
/// parameters" makes a token a lawful answer).
struct Input {
    case: &'static str,
    body: Vec<u8>,
    status: u16,
    well_formed: bool,
}

async fn err_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let cc = cc_body(&client);
    // 10,000 distinct three-letter names: about 60 kB, far below 1 MiB.
    let letter = |n: u32| char::from(b'a' + u8::try_from(n % 26).unwrap_or(0));
    let many = std::iter::once(cc.clone())
        .chain(
            (0..10_000u32).map(|i| format!("{}{}{}=1", letter(i / 676), letter(i / 26), letter(i))),
        )
        .collect::<Vec<_>>()
        .join("&");
    let nul_scope = scope_pair(&client).unwrap_or_else(|| "scope=email".into());
    let malformed = |case, body: &[u8]| Input {
        case,
        body: body.to_vec(),
        status: 400,
        well_formed: false,
    };
    let inputs = vec![
        malformed(
            "raw invalid UTF-8",
            b"grant_type=client_credentials&scope=\xff\xfe",
        ),
        malformed(
            "encoded invalid UTF-8",
            b"grant_type=client_credentials&scope=%C3%28",
        ),
        malformed(
            "bad percent-encoding",
            b"grant_type=client_credentials&scope=%zz",
        ),
        malformed(
            "truncated percent-encoding",
            b"grant_type=client_credentials&scope=%4",
        ),
        malformed(
            "encoded NUL",
            b"grant_type=client_credentials&scope=email%00",
        ),
        Input {
            case: "raw NUL",
            body: format!("grant_type=client_credentials\0&{nul_scope}").into_bytes(),
            status: 400,
            well_formed: false,
        },
        Input {
            case: "10,000 parameters",
            body: many.into_bytes(),
            status: 400,
            well_formed: true,
        },
        Input {
            case: "a 1 MiB body",
            body: format!("{cc}&pad={}", "a".repeat(1 << 20)).into_bytes(),
            status: 413,
            well_formed: true,
        },
    ];
    let mut deviations = Deviations::default();
    for input in inputs {
        let Input {
            case,
            status,
            well_formed,
            ..
        } = input;
        let request = basic(
            ctx.http()
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(input.body),
            &client,
        );
        let reply = match ctx.send_keeping_transport_error(request, None).await? {
            Ok(reply) => reply,
            // RFC 9110 §15.5.14: a server refusing a body too large may close the connection;
            // the client, still sending, can then lose the 413 to the reset.
            Err(e) if status == 413 && !e.is_connect() && !e.is_timeout() => continue,
            Err(e) => {
                return Err(fail(
                    format!("{case}: an HTTP answer"),
                    format!("transport error: {e}"),
                ));
            }
        };
        if well_formed && reply.status == 200 && has_token(&reply) {
            deviations.note(
                format!("{case}: {status} invalid_request (the reference's limit)"),
                "a token: the unrecognised parameters were ignored",
            );
            continue;
        }
        no_token(&reply)?;
        ensure(
            (400..500).contains(&reply.status),
            format!("{case}: a 4xx error"),
            said(&reply),
        )?;
        if !(reply.status == status && reply.error_code().as_deref() == Some("invalid_request")) {
            deviations.note(format!("{case}: {status} invalid_request"), said(&reply));
        }
    }
    deviations.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: body.to_owned(),
        }
    }

    const MISSING: Refusal<'static> = Refusal {
        preferred: &["invalid_request"],
        fitting: &["unsupported_grant_type"],
        statuses: &[400],
    };

    #[test]
    fn the_preferred_code_passes_and_a_fitting_one_or_another_4xx_deviates() {
        let judged = |status, body| MISSING.judge(&reply(status, body), "case");
        assert_eq!(judged(400, r#"{"error":"invalid_request"}"#), Ok(()));
        let name = |r: CheckResult| r.err().map(|o| o.name());
        assert_eq!(
            name(judged(400, r#"{"error":"unsupported_grant_type"}"#)),
            Some("warn")
        );
        assert_eq!(
            name(judged(403, r#"{"error":"invalid_request"}"#)),
            Some("warn")
        );
    }

    #[test]
    fn a_token_a_success_status_or_an_unfitting_code_fails() {
        let name = |status, body| {
            MISSING
                .judge(&reply(status, body), "case")
                .err()
                .map(|o| o.name())
        };
        assert_eq!(name(400, r#"{"error":"invalid_grant"}"#), Some("fail"));
        assert_eq!(name(403, ""), Some("fail"));
        assert_eq!(name(200, r#"{"error":"invalid_request"}"#), Some("fail"));
        assert_eq!(
            name(400, r#"{"error":"invalid_request","access_token":"x"}"#),
            Some("fail")
        );
    }

    #[test]
    fn a_deviation_waits_for_the_failures_after_it() {
        let mut deviations = Deviations::default();
        assert_eq!(deviations.keep(Err(deviate("a", "b"))), Ok(()));
        assert!(deviations.keep(Err(fail("c", "d"))).is_err());
        assert_eq!(deviations.end().err().map(|o| o.name()), Some("warn"));
    }
}
