//! TOKEN-ERR: the shape of token-endpoint errors (RFC 6749 §5.2) and robustness against
//! malformed input. Also the small verifiers the other token groups share.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_encode, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, ensure, fail};

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
            Must,
            Both,
            [],
            "token errors are 400 (401 only for invalid_client) JSON objects with a registered `error` and printable-ASCII text, whatever characters the request carried",
            err_01
        ),
        check!(
            "token-err-02",
            ["TOKEN-ERR-02"],
            Decision,
            Both,
            [],
            "malformed form input (bad UTF-8 or percent-encoding, NUL, 10,000 parameters, 1 MiB) is a JSON 400 invalid_request (413 for size), never a 5xx or a token",
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

/// A client id nobody registered, with a wrong secret.
pub(super) fn stranger() -> ClientCreds {
    ClientCreds {
        id: unique("no-such-client"),
        secret: crate::target::Secret::new("wrong-secret"),
        redirect_uri: None,
        scope: None,
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

/// Fails if the body carries a token.
pub(super) fn no_token(reply: &Reply) -> CheckResult {
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    for name in ["access_token", "refresh_token"] {
        if body.get(name).is_some() {
            return Err(fail("no token in an error answer", said(reply)));
        }
    }
    Ok(())
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

// ---- TOKEN-ERR-01 ---------------------------------------------------------------------------

/// RFC 6749 §5.2: `error` and `error_description` are %x20-21 / %x23-5B / %x5D-7E (RFC 6750
/// §3 permits the same set in a challenge's attributes).
pub(super) fn is_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The §5.2 shape of one error answer; `case` names the request in messages.
fn error_shape(reply: &Reply, case: &str) -> CheckResult {
    let content_type = reply.header("content-type").unwrap_or("");
    ensure(
        content_type.starts_with("application/json"),
        format!("{case}: Content-Type application/json"),
        format!("{case}: {content_type:?}"),
    )?;
    no_token(reply)?;
    let body = reply
        .json()
        .map_err(|_| fail(format!("{case}: a JSON body"), said(reply)))?;
    let Some(error) = body.get("error").and_then(Value::as_str) else {
        return Err(fail(
            format!("{case}: a string `error`"),
            crate::http::short(&reply.body),
        ));
    };
    ensure(
        TOKEN_ERRORS.contains(&error),
        format!("{case}: a registered token-endpoint error code"),
        error,
    )?;
    // Repeated failures for one client id meet the brute-force throttle (TOKEN-AUTH-08).
    let statuses: &[u16] = match error {
        "invalid_client" => &[400, 401],
        "slow_down" => &[429],
        _ => &[400],
    };
    ensure(
        statuses.contains(&reply.status),
        format!("{case}: status {} with {error}", or_list(statuses)),
        reply.status,
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
        None | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(fail(format!("{case}: `error_uri` a string"), other)),
    }
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

async fn err_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let code_client = ctx.code_client().await?;
    let fixed = [
        ("no grant_type", ctx.token(&client, "scope=x").await?),
        (
            "an unknown grant_type",
            ctx.token(&client, "grant_type=urn%3Aexample%3Anope")
                .await?,
        ),
        (
            "a wrong secret",
            ctx.token(&with_secret(&client, "wrong-secret"), CC).await?,
        ),
        (
            "client_credentials by a code client",
            ctx.token(&code_client, CC).await?,
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
        error_shape(reply, case)?;
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
            error_shape(&as_scope, &format!("scope={value:?}"))?;
        }
        let as_grant = ctx.token(&client, &form_pair("grant_type", &value)).await?;
        error_shape(&as_grant, &format!("grant_type={value:?}"))?;
        let as_basic_user = post_token(&ctx, CC, Some(&basic_value(&value, "x"))).await?;
        error_shape(&as_basic_user, &format!("Basic user name {value:?}"))?;
        let as_body_id = post_token(
            &ctx,
            format!("{CC}&{}&client_secret=x", form_pair("client_id", &value)),
            None,
        )
        .await?;
        error_shape(&as_body_id, &format!("body client_id {value:?}"))?;
    }
    Ok(())
}

// ---- TOKEN-ERR-02 ---------------------------------------------------------------------------

async fn err_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    // 10,000 distinct three-letter names: about 60 kB, far below 1 MiB.
    let letter = |n: u32| char::from(b'a' + u8::try_from(n % 26).unwrap_or(0));
    let many = std::iter::once(CC.to_owned())
        .chain(
            (0..10_000u32).map(|i| format!("{}{}{}=1", letter(i / 676), letter(i / 26), letter(i))),
        )
        .collect::<Vec<_>>()
        .join("&");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "raw invalid UTF-8",
            b"grant_type=client_credentials&scope=\xff\xfe".to_vec(),
            400,
        ),
        (
            "encoded invalid UTF-8",
            b"grant_type=client_credentials&scope=%C3%28".to_vec(),
            400,
        ),
        (
            "bad percent-encoding",
            b"grant_type=client_credentials&scope=%zz".to_vec(),
            400,
        ),
        (
            "truncated percent-encoding",
            b"grant_type=client_credentials&scope=%4".to_vec(),
            400,
        ),
        (
            "encoded NUL",
            b"grant_type=client_credentials&scope=email%00".to_vec(),
            400,
        ),
        (
            "raw NUL",
            b"grant_type=client_credentials\0&scope=email".to_vec(),
            400,
        ),
        ("10,000 parameters", many.into_bytes(), 400),
        (
            "a 1 MiB body",
            format!("{CC}&pad={}", "a".repeat(1 << 20)).into_bytes(),
            413,
        ),
    ];
    for (case, body, status) in cases {
        let request = basic(
            ctx.http()
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
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
        no_token(&reply)?;
        ensure(
            reply.status < 500,
            format!("{case}: a 4xx, never a 5xx"),
            said(&reply),
        )?;
        ensure(
            reply.status == status && reply.error_code().as_deref() == Some("invalid_request"),
            format!("{case}: {status} invalid_request"),
            said(&reply),
        )?;
    }
    Ok(())
}
