//! TOKEN-RESP: successful token responses (RFC 6749 §5.1, RFC 6750 §4, §5.3) and the
//! unguessability of what the server hands out (RFC 6749 §10.10).

use std::collections::BTreeSet;

use futures_util::{StreamExt, stream};
use serde_json::Value;

use super::flow::{code_exchange, code_for};
use super::token_err::{CC, granted, post_token, said, with_secret};
use super::token_req::{allowed_scope, scope_of};
use crate::check;
use crate::ctx::{Ctx, form_pair, member};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, ensure, fail};
use crate::ua::UserAgent;

/// RFC 6750 §5.3: bearer tokens should live one hour or less.
const MAX_LIFETIME: f64 = 3600.0;
/// TOKEN-RESP-05's sample size per kind of value.
const SAMPLES: usize = 1_000;
/// Requests in flight while sampling.
const PARALLEL: usize = 8;
/// 128 bits in base64url.
const MIN_RANDOM_CHARS: usize = 22;
/// Beyond a common marker, this many shared leading characters between two of 1,000 values
/// of 128 random bits is a one in 10^8 event.
const MAX_SHARED_PREFIX: usize = 8;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-resp-01",
            ["TOKEN-RESP-01"],
            Must,
            Both,
            [],
            "a success is 200 application/json with a string access_token, token_type Bearer and a numeric expires_in",
            resp_01
        ),
        check!(
            "token-resp-02a",
            ["TOKEN-RESP-02"],
            Must,
            Both,
            [],
            "a response carrying a token has Cache-Control: no-store and Pragma: no-cache",
            resp_02a
        ),
        check!(
            "token-resp-02b",
            ["TOKEN-RESP-02"],
            Decision,
            Both,
            [],
            "error responses of the token endpoint also have Cache-Control: no-store and Pragma: no-cache",
            resp_02b
        ),
        check!(
            "token-resp-03",
            ["TOKEN-RESP-03"],
            Must,
            Both,
            [],
            "when the granted scope differs from the one requested, the response names it in `scope`",
            resp_03
        ),
        check!(
            "token-resp-04",
            ["TOKEN-RESP-04"],
            Should,
            Both,
            [],
            "a bearer access token of a default client lives one hour or less (expires_in <= 3600)",
            resp_04
        ),
        check!(
            "token-resp-05a",
            ["TOKEN-RESP-05"],
            Must,
            Both,
            [],
            "1,000 access tokens are distinct, at least 22 base64url characters, and share no prefix beyond a fixed marker",
            resp_05a
        ),
        check!(
            "token-resp-05b",
            ["TOKEN-RESP-05"],
            Must,
            Both,
            [Ua],
            "1,000 codes and 1,000 refresh tokens are distinct, at least 22 base64url characters, and share no prefix beyond a fixed marker",
            resp_05b
        ),
    ]
}

fn has_directive(reply: &Reply, header: &str, directive: &str) -> bool {
    reply.headers.get_all(header).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case(directive))
        })
    })
}

fn no_cache_headers(reply: &Reply, case: &str) -> CheckResult {
    ensure(
        has_directive(reply, "cache-control", "no-store")
            && has_directive(reply, "pragma", "no-cache"),
        format!("{case}: Cache-Control: no-store and Pragma: no-cache"),
        format!(
            "Cache-Control: {:?}, Pragma: {:?}",
            reply.header("cache-control").unwrap_or(""),
            reply.header("pragma").unwrap_or("")
        ),
    )
}

async fn resp_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    let body = granted(&reply, "client_credentials")?;
    let content_type = reply.header("content-type").unwrap_or("");
    ensure(
        content_type.starts_with("application/json"),
        "Content-Type: application/json",
        format!("{content_type:?}"),
    )?;
    ensure(body.is_object(), "a JSON object", said(&reply))?;
    let token = member(&body, "access_token")?;
    ensure(
        !token.is_empty(),
        "a non-empty access_token",
        "an empty one",
    )?;
    let token_type = member(&body, "token_type")?;
    ensure(
        token_type.eq_ignore_ascii_case("bearer"),
        "token_type Bearer",
        &token_type,
    )?;
    match body.get("expires_in") {
        Some(Value::Number(_)) => Ok(()),
        Some(other) => Err(fail("a numeric expires_in", format!("expires_in: {other}"))),
        None => Err(fail("a numeric expires_in", "none")),
    }
}

async fn resp_02a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    granted(&reply, "client_credentials")?;
    no_cache_headers(&reply, "200 with a token")
}

async fn resp_02b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let cases = [
        (
            ctx.token(&client, "grant_type=urn%3Aexample%3Anope")
                .await?,
            "400 unsupported_grant_type",
        ),
        (ctx.token(&client, "").await?, "400 without grant_type"),
        (
            ctx.token(&with_secret(&client, "wrong-secret"), CC).await?,
            "401 invalid_client",
        ),
        (ctx.send(ctx.http().get(url)).await?, "a GET"),
        (post_token(&ctx, CC, None).await?, "no authentication"),
    ];
    for (reply, case) in &cases {
        no_cache_headers(reply, case)?;
    }
    Ok(())
}

async fn resp_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    // Nothing asked: whatever is granted differs from the (empty) request unless it is empty.
    let none_asked = granted(&ctx.token(&client, CC).await?, "client_credentials")?;
    if scope_of(&none_asked).is_none() {
        let token = member(&none_asked, "access_token")?;
        if let Ok(view) = ctx.introspect(&client, &token).await {
            let granted_scope = view.get("scope").and_then(Value::as_str).unwrap_or("");
            ensure(
                granted_scope.trim().is_empty(),
                "`scope` in the response when no scope was asked for and some was granted",
                format!("no `scope`, and introspection shows {granted_scope:?}"),
            )?;
        }
    }
    // One allowed value plus one nobody defines: a server either refuses or drops the stranger.
    let allowed = allowed_scope(&ctx, &client).await?;
    let unknown = "conformance-no-such-scope";
    let reply = ctx
        .token(
            &client,
            &format!(
                "{CC}&{}",
                form_pair("scope", &format!("{allowed} {unknown}"))
            ),
        )
        .await?;
    if reply.status == 400 && reply.error_code().as_deref() == Some("invalid_scope") {
        return Ok(());
    }
    if reply.status != 200 {
        return Err(fail(
            format!("400 invalid_scope, or 200 without {unknown}, for scope `{allowed} {unknown}`"),
            said(&reply),
        ));
    }
    let body = reply.json()?;
    let Some(reported) = scope_of(&body) else {
        return Err(fail(
            "`scope` in the response: the grant dropped a requested value",
            "no `scope`",
        ));
    };
    ensure(
        !reported.contains(unknown),
        format!("a reported scope without {unknown}, which no client may hold"),
        reported.into_iter().collect::<Vec<_>>().join(" "),
    )
}

async fn resp_04(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let body = granted(
        &ctx.client_credentials(&client).await?,
        "client_credentials",
    )?;
    let lifetime = body
        .get("expires_in")
        .and_then(Value::as_f64)
        .ok_or_else(|| fail("a numeric expires_in", "none"))?;
    ensure(
        lifetime <= MAX_LIFETIME,
        "expires_in of 3600 or less",
        lifetime,
    )
}

/// The RFC 6749 §10.10 heuristic over one kind of value.
fn unguessable(kind: &str, values: &[String]) -> CheckResult {
    let distinct: BTreeSet<&str> = values.iter().map(String::as_str).collect();
    ensure(
        distinct.len() == values.len(),
        format!("{} distinct {kind}s", values.len()),
        format!("{} distinct", distinct.len()),
    )?;
    for value in &distinct {
        ensure(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
            format!("{kind}s of base64url characters (dots between JWT parts allowed)"),
            format!("one with {} characters, others among them", value.len()),
        )?;
    }
    let sorted: Vec<&str> = distinct.into_iter().collect();
    let shared = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let shared_suffix = |a: &str, b: &str| {
        a.bytes()
            .rev()
            .zip(b.bytes().rev())
            .take_while(|(x, y)| x == y)
            .count()
    };
    let (Some(first), Some(_)) = (sorted.first(), sorted.get(1)) else {
        return Ok(());
    };
    // What every value carries at either end is a marker, not randomness.
    let marker = sorted.iter().map(|v| shared(first, v)).min().unwrap_or(0);
    let trailer = sorted
        .iter()
        .map(|v| shared_suffix(first, v))
        .min()
        .unwrap_or(0);
    let shortest = sorted
        .iter()
        .map(|v| v.len().saturating_sub(marker + trailer))
        .min()
        .unwrap_or(0);
    ensure(
        shortest >= MIN_RANDOM_CHARS,
        format!(
            "{kind}s with at least {MIN_RANDOM_CHARS} varying characters beside a fixed marker"
        ),
        format!("one with {shortest} (marker {marker}, common ending {trailer})"),
    )?;
    // Sorted, the longest prefix two values share is between neighbours.
    let longest = sorted
        .windows(2)
        .map(|w| shared(w[0], w[1]))
        .max()
        .unwrap_or(0);
    ensure(
        longest.saturating_sub(marker) < MAX_SHARED_PREFIX,
        format!("no two {kind}s sharing {MAX_SHARED_PREFIX} characters beyond the marker"),
        format!("two share {longest} leading characters (marker {marker})"),
    )
}

async fn resp_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let tokens: Vec<Result<String, Outcome>> = stream::iter(0..SAMPLES)
        .map(|_| {
            let (ctx, client) = (ctx.clone(), client.clone());
            async move { ctx.access_token(&client).await }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let tokens = tokens.into_iter().collect::<Result<Vec<_>, _>>()?;
    unguessable("access token", &tokens)
}

async fn resp_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let per_agent = SAMPLES.div_ceil(PARALLEL);
    // One user agent per lane: each logs in once, then only consents.
    let lanes: Vec<Result<Vec<(String, String)>, Outcome>> = stream::iter(0..PARALLEL)
        .map(|_| {
            let (ctx, client) = (ctx.clone(), client.clone());
            async move {
                let ua = UserAgent::new(&ctx);
                let mut pairs = Vec::with_capacity(per_agent);
                for _ in 0..per_agent {
                    let code = code_for(&ctx, &ua, &client).await?;
                    let reply = ctx.token(&client, &code_exchange(&client, &code)).await?;
                    let tokens = granted(&reply, "the code exchange")?;
                    let refresh = member(&tokens, "refresh_token")?;
                    pairs.push((code, refresh));
                }
                Ok(pairs)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut codes = Vec::with_capacity(SAMPLES);
    let mut refresh_tokens = Vec::with_capacity(SAMPLES);
    for lane in lanes {
        for (code, refresh) in lane? {
            codes.push(code);
            refresh_tokens.push(refresh);
        }
    }
    unguessable("authorization code", &codes)?;
    unguessable("refresh token", &refresh_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_values() -> Vec<String> {
        use base64::Engine as _;
        use rand::Rng as _;
        (0..SAMPLES)
            .map(|_| {
                let bytes: [u8; 32] = rand::rng().random();
                format!(
                    "at_{}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
                )
            })
            .collect()
    }

    #[test]
    fn random_values_with_a_marker_pass() {
        assert_eq!(unguessable("token", &random_values()), Ok(()));
    }

    #[test]
    fn counters_padded_to_length_fail() {
        let counters: Vec<String> = (0..SAMPLES).map(|i| format!("tok-{i:020}")).collect();
        assert!(unguessable("token", &counters).is_err());
    }

    #[test]
    fn a_duplicate_fails() {
        let mut values = random_values();
        values.push(values[0].clone());
        assert!(unguessable("token", &values).is_err());
    }
}
