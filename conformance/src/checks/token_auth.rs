//! TOKEN-AUTH: client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1, §5.2).

use std::net::IpAddr;

use serde_json::json;

use super::support::{
    CC, Refusal, basic_value, cc_body, challenge_on_401, expect_error, granted, has_token,
    post_token, raw_basic, stranger, token_with_body_credentials, unique, with_secret,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, fail, skip};

/// RFC 6749 Appendix B's kind of client: a name and secret that change under form encoding.
const ENCODED_ID: &str = "enc client:1";
const ENCODED_SECRET: &str = "s+e/c%r:e t";
/// Failures the throttle tolerates for one client id from one address within its window
/// (reference default).
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

/// More per-response headers that frameworks in front of other servers add (timings, trace
/// and session ids): noise for TOKEN-AUTH-06b, not an oracle.
const FRAMEWORK_NOISE_HEADERS: &[&str] = &[
    "x-runtime",
    "set-cookie",
    "cf-ray",
    "x-amzn-requestid",
    "x-amzn-trace-id",
    "server-timing",
];

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-auth-01a",
            ["TOKEN-AUTH-01"],
            [
                (
                    Must,
                    "RFC 6749 §2.3.1",
                    "The authorization server MUST support the HTTP Basic authentication scheme for authenticating clients that were issued a client password."
                ),
                (
                    Decision,
                    "RFC 9110 §11.1",
                    "It uses a case-insensitive token to identify the authentication scheme"
                )
            ],
            Both,
            [],
            "valid credentials via HTTP Basic give a token, whatever the case of the scheme name (the scheme RFC 9110 §11.1 defines is case-insensitive)",
            auth_01a
        ),
        check!(
            "token-auth-01b",
            ["TOKEN-AUTH-01"],
            [(
                Vendor,
                "seed 002 › Authenticate using a client ID",
                "Content-Type: application/x-www-form-urlencoded grant_type=client_credentials &client_id=wallet-{external-key}-{your-client-id} &client_secret={your-client-secret}"
            )],
            Both,
            [],
            "the same credentials as body client_id and client_secret give a token (seed 002's request; RFC 6749 only allows it)",
            auth_01b
        ),
        check!(
            "token-auth-02",
            ["TOKEN-AUTH-02"],
            [(
                Must,
                "RFC 6749 §2.3.1",
                "The client identifier is encoded using the \"application/x-www-form-urlencoded\" encoding algorithm … The authorization server MUST support the HTTP Basic authentication scheme"
            )],
            Both,
            [Admin],
            "Basic user name and password are form-urlencoded before base64: `enc client:1` with `s+e/c%r:e t` authenticates",
            auth_02
        ),
        check!(
            "token-auth-03",
            ["TOKEN-AUTH-03"],
            [
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code"
                ),
                (
                    MustNot,
                    "RFC 6749 §2.3",
                    "The client MUST NOT use more than one authentication method in each request."
                )
            ],
            Both,
            [],
            "Basic plus a body client_secret: a wrong Basic secret is never accepted; a wrong body secret beside a right Basic one, or two right ones, are 400 invalid_request, as on the reference",
            auth_03
        ),
        check!(
            "token-auth-04",
            ["TOKEN-AUTH-04"],
            [(
                Decision,
                "TOKEN-AUTH-04",
                "Basic plus a body `client_id` equal to the Basic user name (no body secret) → accepted. A body `client_id` that names a different client → 400 invalid_request."
            )],
            Both,
            [],
            "Basic plus a body client_id naming the same client is accepted; naming another client is 400 invalid_request",
            auth_04
        ),
        check!(
            "token-auth-05a",
            ["TOKEN-AUTH-05"],
            [
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 … and include the \"WWW-Authenticate\" response header field matching the authentication scheme"
                ),
                (
                    Decision,
                    "TOKEN-RESP-02",
                    "The reference sends both on error responses too."
                )
            ],
            Both,
            [],
            "a wrong secret via Basic is 401 invalid_client with a Basic challenge (and Cache-Control: no-store, as on the reference)",
            auth_05a
        ),
        check!(
            "token-auth-05b",
            ["TOKEN-AUTH-05"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_client Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
                ),
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field … containing at least one challenge applicable to the target resource."
                )
            ],
            Both,
            [],
            "a wrong secret in the body is invalid_client (400 or 401, a 401 with a challenge)",
            auth_05b
        ),
        check!(
            "token-auth-06a",
            ["TOKEN-AUTH-06"],
            [
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 … and include the \"WWW-Authenticate\" response header field matching the authentication scheme"
                ),
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field … containing at least one challenge applicable to the target resource."
                )
            ],
            Both,
            [],
            "an unknown client id, via Basic (401 with a Basic challenge) or the body, is invalid_client",
            auth_06a
        ),
        check!(
            "token-auth-06b",
            ["TOKEN-AUTH-06"],
            [(
                Decision,
                "AMB-32",
                "an unknown client, a wrong secret and a refused address look identical."
            )],
            Both,
            [],
            "an unknown client id is answered exactly like a wrong secret: status, headers and body",
            auth_06b
        ),
        check!(
            "token-auth-07",
            ["TOKEN-AUTH-07"],
            [
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 … and include the \"WWW-Authenticate\" response header field matching the authentication scheme"
                ),
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field … containing at least one challenge applicable to the target resource."
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_client Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
                ),
                (
                    Decision,
                    "TOKEN-AUTH-07",
                    "… → invalid_client, 401 with `WWW-Authenticate: Basic`."
                )
            ],
            Both,
            [],
            "no authentication, a foreign scheme or a malformed Basic value is invalid_client, a 401 with a challenge wherever an Authorization header was sent (401 with Basic, as on the reference)",
            auth_07
        ),
        check!(
            "token-auth-08",
            ["TOKEN-AUTH-08"],
            [
                (
                    Must,
                    "RFC 6749 §2.3.1",
                    "the authorization server MUST protect any endpoint utilizing it against brute force attacks."
                ),
                (
                    Decision,
                    "TOKEN-AUTH-08",
                    "after 10 failed authentications for one client id from one address within 60 s, that address gets 429 with `Retry-After` for that client … the same client from another address is not affected"
                )
            ],
            Both,
            [Clock, Admin],
            "after 10 failed authentications of one client id from one address within 60 s, the right secret from there gets 429 with Retry-After until the window passes, and from another address a token",
            auth_08
        ),
    ]
}

/// A 401 must carry a challenge (HTTP); for Basic credentials it is a Basic one.
fn basic_challenge(reply: &Reply, case: &str) -> CheckResult {
    let challenge = reply.header("www-authenticate").unwrap_or("");
    ensure(
        is_basic(challenge),
        format!("{case}: a WWW-Authenticate challenge with the Basic scheme"),
        format!("WWW-Authenticate: {challenge:?}"),
    )
}

fn is_basic(challenge: &str) -> bool {
    challenge
        .split_whitespace()
        .next()
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic"))
}

fn comparable(reply: &Reply, extra: &[&str]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| {
            !PER_RESPONSE_HEADERS.contains(&name.as_str()) && !extra.contains(&name.as_str())
        })
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
    indistinguishable_beside(reference, other, case, &[])
}

/// [`indistinguishable`], ignoring also the headers in `extra`.
fn indistinguishable_beside(
    reference: &Reply,
    other: &Reply,
    case: &str,
    extra: &[&str],
) -> CheckResult {
    ensure(
        reference.status == other.status,
        format!("{case}: status {}", reference.status),
        other.status,
    )?;
    let (a, b) = (comparable(reference, extra), comparable(other, extra));
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
        format!("{case}: the body {}", reference.summary()),
        other.summary(),
    )
}

async fn auth_01a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    granted(&reply, "client_credentials with Basic")?;
    // The Basic scheme HTTP defines has a case-insensitive name (RFC 9110 §11.1): a server
    // that refuses `basic` does not support that scheme, which §2.3.1 makes a MUST (as
    // BEARER-01 holds a resource to for `bearer`, RFC 6750 §2.1).
    let credentials = basic_value(&client.id, client.secret.expose());
    let encoded = credentials.trim_start_matches("Basic ");
    for scheme in ["basic", "BASIC"] {
        let reply =
            post_token(&ctx, cc_body(&client), Some(&format!("{scheme} {encoded}"))).await?;
        granted(
            &reply,
            &format!(
                "client_credentials with the scheme written {scheme} (scheme names are case-insensitive)"
            ),
        )?;
    }
    Ok(())
}

async fn auth_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = token_with_body_credentials(&ctx, &client, &cc_body(&client)).await?;
    if reply.status != 200 && ctx.profile() == crate::model::Profile::Strict {
        // RFC 6749 §2.3.1 only allows body credentials (MAY, NOT RECOMMENDED).
        return Err(skip(format!(
            "the server does not take body credentials ({}), which RFC 6749 §2.3.1 only allows; the seed's rule is the vendor profile's",
            reply.summary()
        )));
    }
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
    let wrong = with_secret(&client, "wrong-secret");
    let with_body_secret = |secret: &str| {
        format!(
            "{}&{}&{}",
            cc_body(&client),
            form_pair("client_id", &client.id),
            form_pair("client_secret", secret)
        )
    };
    // A wrong secret beside a right one: taking the right one accepts a failed authentication.
    // Both §5.2 conditions fit: more than one method (invalid_request), failed (invalid_client).
    let failed = Refusal {
        preferred: &["invalid_request", "invalid_client"],
        fitting: &[],
        statuses: &[400, 401],
    };
    let deviations = Deviations::default();
    // A failed Basic authentication MUST be refused (RFC 6749 §5.2), whatever the body says.
    let wrong_basic = ctx
        .token(&wrong, &with_body_secret(client.secret.expose()))
        .await?;
    deviations.keep(failed.judge(&wrong_basic, "a wrong Basic secret, the right body secret"))?;
    // A right Basic secret authenticates the client; ignoring a wrong body secret beside it
    // tolerates the client's breach of §2.3 and grants no more than Basic alone: a deviation.
    let right_basic = ctx
        .token(&client, &with_body_secret("wrong-secret"))
        .await?;
    if right_basic.status == 200 {
        deviations.note(
            "a wrong body secret beside a right Basic secret refused",
            right_basic.summary(),
        );
    } else {
        deviations.keep(failed.judge(&right_basic, "a right Basic secret, a wrong body secret"))?;
    }
    // Two right secrets: the rule binds the client, so a server that tolerates it deviates.
    let both = ctx
        .token(&client, &with_body_secret(client.secret.expose()))
        .await?;
    if both.status == 200 {
        deviations.note(
            "400 invalid_request for two authentication methods (RFC 6749 §2.3)",
            both.summary(),
        );
    } else {
        deviations.keep(
            Refusal {
                preferred: &["invalid_request"],
                fitting: &["invalid_client"],
                statuses: &[400],
            }
            .judge(&both, "two right secrets"),
        )?;
    }
    deviations.end()
}

async fn auth_04(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let other = ctx.code_client().await?;
    let same = ctx
        .token(
            &client,
            &format!(
                "{}&{}",
                cc_body(&client),
                form_pair("client_id", &client.id)
            ),
        )
        .await?;
    granted(&same, "Basic plus the same client_id in the body")?;
    let different = ctx
        .token(
            &client,
            &format!("{}&{}", cc_body(&client), form_pair("client_id", &other.id)),
        )
        .await?;
    expect_error(&different, &[400], &["invalid_request"]).map_err(|_| {
        fail(
            "400 invalid_request for another client's id in the body",
            different.summary(),
        )
    })
}

async fn auth_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx
        .client_credentials(&with_secret(&client, "wrong-secret"))
        .await?;
    expect_error(&reply, &[401], &["invalid_client"])?;
    basic_challenge(&reply, "wrong secret via Basic")?;
    // §5.1's no-store covers answers with credentials; on errors it is the reference's choice.
    let cache = reply.header("cache-control").unwrap_or("");
    if !cache
        .split(',')
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
    {
        return Err(crate::model::deviate(
            "Cache-Control: no-store, as the reference sends on errors",
            format!("Cache-Control: {cache:?}"),
        ));
    }
    Ok(())
}

/// A wrong or unknown client's credentials in the body: invalid_client, 400 or 401 (§5.2 only
/// requires a 401 for an Authorization header), and any 401 with a challenge.
fn body_failure(reply: &Reply, case: &str) -> CheckResult {
    let deviations = Deviations::default();
    deviations.keep(
        Refusal {
            preferred: &["invalid_client"],
            fitting: &[],
            statuses: &[400, 401],
        }
        .judge(reply, case),
    )?;
    challenge_on_401(reply, case)?;
    deviations.end()
}

async fn auth_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let wrong = with_secret(&client, "wrong-secret");
    let reply = token_with_body_credentials(&ctx, &wrong, &cc_body(&wrong)).await?;
    body_failure(&reply, "a wrong secret in the body")
}

async fn auth_06a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let nobody = stranger(&client);
    let via_basic = ctx.client_credentials(&nobody).await?;
    expect_error(&via_basic, &[401], &["invalid_client"]).map_err(|_| {
        fail(
            "unknown id via Basic: 401 invalid_client",
            via_basic.summary(),
        )
    })?;
    basic_challenge(&via_basic, "unknown id via Basic")?;
    let somebody_else = stranger(&client);
    let via_body =
        token_with_body_credentials(&ctx, &somebody_else, &cc_body(&somebody_else)).await?;
    body_failure(&via_body, "an unknown id in the body")
}

async fn auth_06b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let wrong = with_secret(&client, "wrong-secret");
    let nobody = stranger(&client);
    let noise = FRAMEWORK_NOISE_HEADERS;
    let wrong_basic = ctx.client_credentials(&wrong).await?;
    let unknown_basic = ctx.client_credentials(&nobody).await?;
    indistinguishable_beside(&wrong_basic, &unknown_basic, "unknown id via Basic", noise)?;
    let wrong_body = token_with_body_credentials(&ctx, &wrong, &cc_body(&wrong)).await?;
    let unknown_body = token_with_body_credentials(&ctx, &nobody, &cc_body(&nobody)).await?;
    indistinguishable_beside(&wrong_body, &unknown_body, "unknown id in the body", noise)
}

/// One TOKEN-AUTH-07 answer. `header` is what was sent in `Authorization`; `malformed_basic`
/// says it named Basic, so that invalid_request ("otherwise malformed") fits as well.
fn judge_unauthenticated(
    reply: &Reply,
    case: &str,
    header: Option<&str>,
    malformed_basic: bool,
    deviations: &Deviations,
) -> CheckResult {
    if has_token(reply) {
        return Err(fail(format!("{case}: no token"), reply.summary()));
    }
    let code = reply.error_code();
    if malformed_basic && code.as_deref() == Some("invalid_request") {
        deviations.note(
            format!("{case}: 401 invalid_client, as on the reference"),
            reply.summary(),
        );
        return Ok(());
    }
    ensure(
        code.as_deref() == Some("invalid_client"),
        format!("{case}: invalid_client (client authentication failed)"),
        reply.summary(),
    )?;
    let challenge = reply.header("www-authenticate");
    if header.is_some() {
        ensure(
            reply.status == 401,
            format!("{case}: 401, since an Authorization header was sent (RFC 6749 §5.2)"),
            reply.summary(),
        )?;
    }
    challenge_on_401(reply, case)?;
    if malformed_basic {
        // The scheme the client used was Basic: the challenge must match it.
        basic_challenge(reply, case)?;
    }
    if reply.status != 401 {
        deviations.note(
            format!("{case}: 401 with WWW-Authenticate: Basic, as on the reference"),
            reply.summary(),
        );
    } else if !challenge.is_some_and(is_basic) {
        deviations.note(
            format!("{case}: a Basic challenge, as on the reference"),
            format!("WWW-Authenticate: {:?}", challenge.unwrap_or("")),
        );
    }
    Ok(())
}

async fn auth_07(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let id = unique("malformed");
    let cases: Vec<(Option<String>, &str, bool)> = vec![
        (None, "no authentication at all", false),
        (
            Some(format!("Digest username=\"{id}\"")),
            "the Digest scheme",
            false,
        ),
        (
            Some("Bearer abcdef0123456789".into()),
            "the Bearer scheme",
            false,
        ),
        (
            Some("Basic !!!not-base64!!!".into()),
            "a Basic value that is not base64",
            true,
        ),
        (
            Some(raw_basic(&format!("{id}{}", client.secret.expose()))),
            "a Basic value without a colon",
            true,
        ),
        (Some("Basic".into()), "Basic without a value", true),
        // ff fe ':' ff: base64 that decodes, to bytes that are not UTF-8 (a 500 on one peer).
        (
            Some("Basic //46/w==".into()),
            "a Basic value whose bytes are not UTF-8",
            true,
        ),
    ];
    let deviations = Deviations::default();
    for (authorization, case, malformed_basic) in cases {
        let reply = post_token(&ctx, cc_body(&client), authorization.as_deref()).await?;
        judge_unauthenticated(
            &reply,
            case,
            authorization.as_deref(),
            malformed_basic,
            &deviations,
        )?;
    }
    deviations.end()
}

/// A client_credentials request as `client`, from `source` (the default address when None).
async fn cc_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    client: &ClientCreds,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint("token")?;
    let http = source.map_or_else(|| ctx.http().clone(), |ip| ctx.http_from(ip));
    let request = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(cc_body(client));
    ctx.send_via(basic(request, client), source).await
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
        let reply = ctx.client_credentials(&wrong).await?;
        ensure(
            !has_token(&reply) && reply.status >= 400,
            format!("failed attempt {attempt}: refused (RFC 6749 §4.4.2)"),
            reply.summary(),
        )?;
    }
    // The throttle itself is the reference's choice: its secrets may be strong enough.
    let deviations = Deviations::default();
    let blocked = ctx.client_credentials(&client).await?;
    if blocked.status != 429 {
        return Err(crate::model::deviate(
            format!(
                "a visible throttle: 429 for the right secret after {THROTTLE_FAILURES} failures"
            ),
            blocked.summary(),
        ));
    }
    let retry_after = blocked.header("retry-after").unwrap_or("");
    if !(retry_after.trim().parse::<u64>().is_ok_and(|s| s > 0) || httpdate_like(retry_after)) {
        deviations.note(
            "a Retry-After of delay seconds or an HTTP date",
            format!("Retry-After: {retry_after:?}"),
        );
    }
    // Keyed by the source address too: knowing an id must not lock its owner out elsewhere.
    // Only a 429 there is this throttle; another refusal (an address list) is not its business.
    if let Some(&elsewhere) = ctx.run.target.source_ips.first() {
        let other = cc_from(&ctx, Some(elsewhere), &client).await?;
        if other.status == 429 {
            deviations.note(
                format!("no 429 from {elsewhere}, whose address did not fail"),
                other.summary(),
            );
        }
    }
    if clock {
        ctx.advance_clock(THROTTLE_WINDOW_SECONDS + 1).await?;
    } else if ctx.run.slow {
        let seconds = u64::try_from(THROTTLE_WINDOW_SECONDS + 1).unwrap_or(61);
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    } else {
        deviations.end()?;
        return Err(skip(
            "the 429 was seen; that it lifts after the window needs the test clock or --slow",
        ));
    }
    let after = ctx.client_credentials(&client).await?;
    if after.status != 200 {
        deviations.note(
            "a token for the right secret once the window has passed",
            after.summary(),
        );
    }
    deviations.end()
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`: enough to tell a date from garbage.
fn httpdate_like(value: &str) -> bool {
    value.ends_with(" GMT") && value.len() == 29
}
