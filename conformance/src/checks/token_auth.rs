//! TOKEN-AUTH: client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1, §5.2).

use serde_json::json;

use super::token_err::{
    CC, basic_value, expect_error, granted, no_token, post_token, raw_basic, said, stranger,
    token_with_body_credentials, unique, with_secret,
};
use crate::check;
use crate::ctx::{Ctx, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, ensure, fail, skip};

/// RFC 6749 Appendix B's kind of client: a name and secret that change under form encoding.
const ENCODED_ID: &str = "enc client:1";
const ENCODED_SECRET: &str = "s+e/c%r:e t";
/// Failures the throttle tolerates for one client id within its window (reference default).
const THROTTLE_FAILURES: usize = 10;
const THROTTLE_WINDOW_SECONDS: i64 = 60;

/// Headers that legitimately differ between two answers.
const PER_RESPONSE_HEADERS: &[&str] = &[
    "date",
    "x-request-id",
    "x-correlation-id",
    "request-id",
    "traceparent",
];

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-auth-01a",
            ["TOKEN-AUTH-01"],
            Must,
            Both,
            [],
            "valid credentials via HTTP Basic give a token, whatever the case of the scheme name",
            auth_01a
        ),
        check!(
            "token-auth-01b",
            ["TOKEN-AUTH-01"],
            Vendor,
            Both,
            [],
            "the same credentials as body client_id and client_secret give a token (seed 002's request)",
            auth_01b
        ),
        check!(
            "token-auth-02",
            ["TOKEN-AUTH-02"],
            Must,
            Both,
            [Admin],
            "Basic user name and password are form-urlencoded before base64: `enc client:1` with `s+e/c%r:e t` authenticates",
            auth_02
        ),
        check!(
            "token-auth-03",
            ["TOKEN-AUTH-03"],
            Must,
            Both,
            [],
            "Basic plus a body client_secret in one request is 400 invalid_request, even when both are right",
            auth_03
        ),
        check!(
            "token-auth-04",
            ["TOKEN-AUTH-04"],
            Decision,
            Both,
            [],
            "Basic plus a body client_id naming the same client is accepted; naming another client is 400 invalid_request",
            auth_04
        ),
        check!(
            "token-auth-05a",
            ["TOKEN-AUTH-05"],
            Must,
            Both,
            [],
            "a wrong secret via Basic is 401 invalid_client with a Basic challenge and Cache-Control: no-store",
            auth_05a
        ),
        check!(
            "token-auth-05b",
            ["TOKEN-AUTH-05"],
            Must,
            Both,
            [],
            "a wrong secret in the body is invalid_client (400 or 401, a 401 with a challenge)",
            auth_05b
        ),
        check!(
            "token-auth-06a",
            ["TOKEN-AUTH-06"],
            Must,
            Both,
            [],
            "an unknown client id, via Basic (401) or the body, is invalid_client",
            auth_06a
        ),
        check!(
            "token-auth-06b",
            ["TOKEN-AUTH-06"],
            Decision,
            Both,
            [],
            "an unknown client id is answered exactly like a wrong secret: status, headers and body",
            auth_06b
        ),
        check!(
            "token-auth-07",
            ["TOKEN-AUTH-07"],
            Must,
            Both,
            [],
            "no authentication, a foreign scheme or a malformed Basic value is 401 invalid_client with a Basic challenge, never a 5xx",
            auth_07
        ),
        check!(
            "token-auth-08",
            ["TOKEN-AUTH-08"],
            Must,
            Both,
            [Clock, Admin],
            "after 10 failed authentications of one client id within 60 s, even the right secret gets 429 with Retry-After until the window passes",
            auth_08
        ),
    ]
}

/// A 401 must carry a challenge (HTTP); for Basic credentials it is a Basic one.
fn basic_challenge(reply: &Reply, case: &str) -> CheckResult {
    let challenge = reply.header("www-authenticate").unwrap_or("");
    ensure(
        challenge
            .split_whitespace()
            .next()
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic")),
        format!("{case}: a WWW-Authenticate challenge with the Basic scheme"),
        format!("WWW-Authenticate: {challenge:?}"),
    )
}

fn comparable(reply: &Reply) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| !PER_RESPONSE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// Both answers alike in status, headers (but per-response ones) and body.
pub(super) fn indistinguishable(reference: &Reply, other: &Reply, case: &str) -> CheckResult {
    ensure(
        reference.status == other.status,
        format!("{case}: status {}", reference.status),
        other.status,
    )?;
    let (a, b) = (comparable(reference), comparable(other));
    if a != b {
        let differing: Vec<String> = a
            .iter()
            .filter(|pair| !b.contains(pair))
            .chain(b.iter().filter(|pair| !a.contains(pair)))
            .map(|(name, _)| name.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(fail(
            format!("{case}: the same headers"),
            format!("different {}", differing.join(", ")),
        ));
    }
    let parse = |reply: &Reply| serde_json::from_str::<serde_json::Value>(&reply.body).ok();
    ensure(
        parse(reference) == parse(other) && reference.body.len() == other.body.len(),
        format!("{case}: the body {}", said(reference)),
        said(other),
    )
}

async fn auth_01a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.token(&client, CC).await?;
    granted(&reply, "client_credentials with Basic")?;
    // HTTP auth scheme names are case-insensitive (RFC 9110 §11.1).
    let credentials = basic_value(&client.id, client.secret.expose());
    let encoded = credentials.trim_start_matches("Basic ");
    for scheme in ["basic", "BASIC"] {
        let reply = post_token(&ctx, CC, Some(&format!("{scheme} {encoded}"))).await?;
        granted(
            &reply,
            &format!("client_credentials with the scheme written {scheme}"),
        )?;
    }
    Ok(())
}

async fn auth_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = token_with_body_credentials(&ctx, &client, CC).await?;
    granted(&reply, "client_credentials with body credentials")?;
    Ok(())
}

async fn auth_02(ctx: Ctx) -> CheckResult {
    ctx.client_with(json!({
        "kind": "admin_api",
        "client_id": ENCODED_ID,
        "client_secret": ENCODED_SECRET,
        "roles": ["PAYMENTS_VIEW"],
    }))
    .await?;
    ctx.remember(ENCODED_SECRET);
    // The row's exact header value, not one built by our own encoder.
    let authorization = raw_basic("enc+client%3A1:s%2Be%2Fc%25r%3Ae+t");
    ensure(
        authorization == basic_value(ENCODED_ID, ENCODED_SECRET),
        "the suite's encoder to agree with the row",
        &authorization,
    )?;
    let reply = post_token(&ctx, CC, Some(&authorization)).await?;
    granted(&reply, "Basic with form-encoded parts")?;
    Ok(())
}

async fn auth_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let body = format!(
        "{CC}&{}&{}",
        form_pair("client_id", &client.id),
        form_pair("client_secret", client.secret.expose())
    );
    let reply = ctx.token(&client, &body).await?;
    expect_error(&reply, &[400], &["invalid_request"])
}

async fn auth_04(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let other = ctx.code_client().await?;
    let same = ctx
        .token(
            &client,
            &format!("{CC}&{}", form_pair("client_id", &client.id)),
        )
        .await?;
    granted(&same, "Basic plus the same client_id in the body")?;
    let different = ctx
        .token(
            &client,
            &format!("{CC}&{}", form_pair("client_id", &other.id)),
        )
        .await?;
    expect_error(&different, &[400], &["invalid_request"]).map_err(|_| {
        fail(
            "400 invalid_request for another client's id in the body",
            said(&different),
        )
    })
}

async fn auth_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.token(&with_secret(&client, "wrong-secret"), CC).await?;
    expect_error(&reply, &[401], &["invalid_client"])?;
    basic_challenge(&reply, "wrong secret via Basic")?;
    let cache = reply.header("cache-control").unwrap_or("");
    ensure(
        cache
            .split(',')
            .any(|d| d.trim().eq_ignore_ascii_case("no-store")),
        "Cache-Control: no-store",
        format!("Cache-Control: {cache:?}"),
    )
}

async fn auth_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply =
        token_with_body_credentials(&ctx, &with_secret(&client, "wrong-secret"), CC).await?;
    expect_error(&reply, &[400, 401], &["invalid_client"])?;
    if reply.status == 401 {
        ensure(
            reply.header("www-authenticate").is_some(),
            "a 401 with a WWW-Authenticate challenge",
            "no WWW-Authenticate",
        )?;
    }
    Ok(())
}

async fn auth_06a(ctx: Ctx) -> CheckResult {
    let nobody = stranger();
    let via_basic = ctx.token(&nobody, CC).await?;
    expect_error(&via_basic, &[401], &["invalid_client"])
        .map_err(|_| fail("unknown id via Basic: 401 invalid_client", said(&via_basic)))?;
    basic_challenge(&via_basic, "unknown id via Basic")?;
    let via_body = token_with_body_credentials(&ctx, &stranger(), CC).await?;
    expect_error(&via_body, &[400, 401], &["invalid_client"])
        .map_err(|_| fail("unknown id in the body: invalid_client", said(&via_body)))
}

async fn auth_06b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let wrong = with_secret(&client, "wrong-secret");
    let nobody = stranger();
    let wrong_basic = ctx.token(&wrong, CC).await?;
    let unknown_basic = ctx.token(&nobody, CC).await?;
    indistinguishable(&wrong_basic, &unknown_basic, "unknown id via Basic")?;
    let wrong_body = token_with_body_credentials(&ctx, &wrong, CC).await?;
    let unknown_body = token_with_body_credentials(&ctx, &nobody, CC).await?;
    indistinguishable(&wrong_body, &unknown_body, "unknown id in the body")
}

async fn auth_07(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let id = unique("malformed");
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "no authentication at all"),
        (
            Some(format!("Digest username=\"{id}\"")),
            "the Digest scheme",
        ),
        (Some("Bearer abcdef0123456789".into()), "the Bearer scheme"),
        (
            Some("Basic !!!not-base64!!!".into()),
            "a Basic value that is not base64",
        ),
        (
            Some(raw_basic(&format!("{id}{}", client.secret.expose()))),
            "a Basic value without a colon",
        ),
        (Some("Basic".into()), "Basic without a value"),
    ];
    for (authorization, case) in cases {
        let reply = post_token(&ctx, CC, authorization.as_deref()).await?;
        ensure(
            reply.status < 500,
            format!("{case}: never a 5xx"),
            said(&reply),
        )?;
        expect_error(&reply, &[401], &["invalid_client"])
            .map_err(|_| fail(format!("{case}: 401 invalid_client"), said(&reply)))?;
        basic_challenge(&reply, case)?;
    }
    Ok(())
}

async fn auth_08(ctx: Ctx) -> CheckResult {
    // Our own client: locking it out cannot disturb any other check.
    let client = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    let clock = ctx.run.target.test_clock;
    if clock {
        ctx.set_clock("2030-01-01T00:00:00Z").await?;
    }
    let wrong = with_secret(&client, "wrong-secret");
    for attempt in 1..=THROTTLE_FAILURES {
        let reply = ctx.token(&wrong, CC).await?;
        no_token(&reply)?;
        ensure(
            reply.status == 401 || reply.status == 400 || reply.status == 429,
            format!("failed attempt {attempt}: refused"),
            said(&reply),
        )?;
    }
    let blocked = ctx.token(&client, CC).await?;
    ensure(
        blocked.status == 429,
        format!("429 for the right secret after {THROTTLE_FAILURES} failures"),
        said(&blocked),
    )?;
    no_token(&blocked)?;
    let retry_after = blocked.header("retry-after").unwrap_or("");
    ensure(
        retry_after.trim().parse::<u64>().is_ok_and(|s| s > 0) || httpdate_like(retry_after),
        "a Retry-After of delay seconds or an HTTP date",
        format!("Retry-After: {retry_after:?}"),
    )?;
    if clock {
        ctx.advance_clock(THROTTLE_WINDOW_SECONDS + 1).await?;
    } else if ctx.run.slow {
        let seconds = u64::try_from(THROTTLE_WINDOW_SECONDS + 1).unwrap_or(61);
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    } else {
        return Err(skip(
            "the 429 was seen; that it lifts after the window needs the test clock or --slow",
        ));
    }
    let after = ctx.token(&client, CC).await?;
    granted(&after, "the right secret once the window has passed")?;
    Ok(())
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`: enough to tell a date from garbage.
fn httpdate_like(value: &str) -> bool {
    value.ends_with(" GMT") && value.len() == 29
}
