//! TOKEN-RESP: successful token responses (RFC 6749 §5.1, RFC 6750 §4, §5.3) and the
//! unguessability of what the server hands out (RFC 6749 §10.10).

use std::borrow::Cow;
use std::collections::BTreeSet;

use futures_util::{StreamExt, stream};
use serde_json::Value;

use super::support::{
    CC, Refusal, cc_body, client_code, code_grant, exchange, granted, post_token, scope_param,
    with_scope, with_secret,
};
use super::token_req::{allowed_scope, scope_of};
use crate::check;
use crate::ctx::{Ctx, form_pair, member};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};
use crate::ua::UserAgent;

/// RFC 6750 §5.3: bearer tokens should live one hour or less.
const MAX_LIFETIME: f64 = 3600.0;
/// TOKEN-RESP-05's sample size per kind of value (the row's 1,000; `--samples` changes it).
const SAMPLES: usize = 1_000;
/// Requests in flight while sampling.
const PARALLEL: usize = 8;
/// RFC 6749 §10.10: a guess succeeds with probability at most 2^-128.
const MIN_RANDOM_BITS: f64 = 128.0;
/// Beyond a common marker, this many shared leading characters between two of 1,000 values
/// of 128 random bits is a one in 10^8 event.
const MAX_SHARED_PREFIX: usize = 8;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-resp-01",
            ["TOKEN-RESP-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.1",
                    "access_token REQUIRED. The access token issued by the authorization server. token_type REQUIRED. The type of the token issued as described in Section 7.1."
                ),
                (
                    Recommended,
                    "RFC 6749 §5.1",
                    "expires_in RECOMMENDED. The lifetime in seconds of the access token."
                ),
                (
                    Decision,
                    "TOKEN-RESP-01",
                    "`Content-Type: application/json` … a `token_type` equal to `Bearer` ignoring case, and a numeric (not string) `expires_in`."
                )
            ],
            Both,
            [],
            "a success is a JSON object with a string access_token and token_type; application/json, Bearer and a numeric expires_in as on the reference",
            resp_01
        ),
        check!(
            "token-resp-02a",
            ["TOKEN-RESP-02"],
            [(
                Must,
                "RFC 6749 §5.1",
                "The authorization server MUST include the HTTP \"Cache-Control\" response header field … \"no-store\" in any response containing tokens … as well as the \"Pragma\" response header field … \"no-cache\"."
            )],
            Both,
            [],
            "a response carrying a token has Cache-Control: no-store and Pragma: no-cache",
            resp_02a
        ),
        check!(
            "token-resp-02b",
            ["TOKEN-RESP-02"],
            [(
                Decision,
                "TOKEN-RESP-02",
                "The reference sends both on error responses too."
            )],
            Both,
            [],
            "error responses of the token endpoint also have Cache-Control: no-store and Pragma: no-cache",
            resp_02b
        ),
        check!(
            "token-resp-03",
            ["TOKEN-RESP-03"],
            [
                (
                    Must,
                    "RFC 6749 §3.3",
                    "If the issued access token scope is different from the one requested by the client, the authorization server MUST include the \"scope\" response parameter"
                ),
                (
                    Must,
                    "RFC 6749 §3.3",
                    "If the client omits the scope parameter …, the authorization server MUST either process the request using a pre-defined default value or fail the request indicating an invalid scope."
                ),
                (
                    Decision,
                    "TOKEN-CC-03",
                    "A scope outside the client's allowed set → 400 invalid_scope (reference)."
                ),
                (
                    Decision,
                    "TOKEN-CODE-01",
                    "The reference … always states `scope`."
                )
            ],
            Both,
            [],
            "when the granted scope differs from the one requested, the response names it in `scope`",
            resp_03
        ),
        check!(
            "token-resp-04",
            ["TOKEN-RESP-04"],
            [(
                Should,
                "RFC 6750 §5.3",
                "Token servers SHOULD issue short-lived (one hour or less) bearer tokens"
            )],
            Both,
            [],
            "a bearer access token of a default client lives one hour or less (expires_in <= 3600)",
            resp_04
        ),
        check!(
            "token-resp-05a",
            ["TOKEN-RESP-05"],
            [
                (
                    Must,
                    "RFC 6749 §10.10",
                    "The probability of an attacker guessing generated tokens (and other credentials not intended for handling by end-users) MUST be less than or equal to 2^(-128)"
                ),
                (
                    Decision,
                    "TOKEN-RESP-05",
                    "Opaque values share no prefix beyond a fixed type marker"
                )
            ],
            Both,
            [],
            "1,000 access tokens are distinct and carry 128 random bits (a JWT's in its signature); opaque ones share no prefix beyond a fixed marker",
            resp_05a
        ),
        check!(
            "token-resp-05b",
            ["TOKEN-RESP-05"],
            [
                (
                    Must,
                    "RFC 6749 §10.10",
                    "The probability of an attacker guessing generated tokens (and other credentials not intended for handling by end-users) MUST be less than or equal to 2^(-128)"
                ),
                (
                    Decision,
                    "TOKEN-RESP-05",
                    "Opaque values share no prefix beyond a fixed type marker"
                )
            ],
            Both,
            [Ua],
            "1,000 codes and 1,000 refresh tokens are distinct and carry 128 random bits; opaque ones share no prefix beyond a fixed marker",
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
    ensure(body.is_object(), "a JSON object", reply.summary())?;
    let token = member(&body, "access_token")?;
    ensure(
        !token.is_empty(),
        "a non-empty access_token",
        "an empty one",
    )?;
    let token_type = member(&body, "token_type")?;
    // §5.1 states the media type and JSON numbers without a keyword, and any registered
    // token type will do: the reference's choices.
    let deviations = Deviations::default();
    let content_type = reply.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        deviations.note(
            "Content-Type: application/json",
            format!("{content_type:?}"),
        );
    }
    if !token_type.eq_ignore_ascii_case("bearer") {
        deviations.note("token_type Bearer", &token_type);
    }
    match body.get("expires_in") {
        Some(Value::Number(_)) => {}
        Some(other) => deviations.note("a numeric expires_in", format!("expires_in: {other}")),
        None => deviations.note("expires_in (RECOMMENDED)", "none"),
    }
    deviations.end()
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
    let unknown_grant = with_scope(&client, "grant_type=urn%3Aexample%3Anope");
    let cases = [
        (
            ctx.token(&client, &unknown_grant).await?,
            "400 unsupported_grant_type",
        ),
        (
            ctx.token(&client, &scope_param(&client)).await?,
            "400 without grant_type",
        ),
        (
            ctx.client_credentials(&with_secret(&client, "wrong-secret"))
                .await?,
            "401 invalid_client",
        ),
        (ctx.send(ctx.http().get(url)).await?, "a GET"),
        (
            post_token(&ctx, cc_body(&client), None).await?,
            "no authentication",
        ),
    ];
    for (reply, case) in &cases {
        no_cache_headers(reply, case)?;
    }
    Ok(())
}

/// The scope a token was granted with, by introspection as `client`, if the server tells.
async fn introspected_scope(
    ctx: &Ctx,
    client: &crate::ctx::ClientCreds,
    body: &Value,
) -> Option<BTreeSet<String>> {
    let token = member(body, "access_token").ok()?;
    let view = ctx.introspect(client, &token).await.ok()?;
    if view.get("active") != Some(&Value::Bool(true)) {
        return None;
    }
    Some(scope_of(&view).unwrap_or_default())
}

async fn resp_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let deviations = Deviations::default();
    // One allowed value plus one nobody defines: a server refuses, drops the stranger (and
    // says so), or grants it (its scope model is its own).
    let allowed = allowed_scope(&ctx, &client).await?;
    let unknown = "conformance-no-such-scope";
    let requested: BTreeSet<String> = [allowed.clone(), unknown.to_owned()].into();
    let reply = ctx
        .token(
            &client,
            &format!(
                "{CC}&{}",
                form_pair("scope", &format!("{allowed} {unknown}"))
            ),
        )
        .await?;
    if reply.status == 200 {
        let body = reply.json()?;
        match scope_of(&body) {
            Some(reported) if reported.contains(unknown) => deviations.note(
                format!("400 invalid_scope, or a grant without {unknown}, as on the reference"),
                format!(
                    "scope {}",
                    reported.into_iter().collect::<Vec<_>>().join(" ")
                ),
            ),
            Some(_) => {}
            // Omitted: lawful only if the grant is exactly what was asked.
            None => match introspected_scope(&ctx, &client, &body).await {
                Some(granted) if granted != requested => {
                    return Err(fail(
                        "`scope` in the response: the grant differs from the request",
                        format!(
                            "no `scope`, and introspection shows {:?}",
                            granted.into_iter().collect::<Vec<_>>().join(" ")
                        ),
                    ));
                }
                Some(_) => deviations.note(
                    format!("400 invalid_scope, or a grant without {unknown}, as on the reference"),
                    format!("a grant of {unknown}, by introspection"),
                ),
                None => deviations.note(
                    format!(
                        "`scope` in the response, or 400 invalid_scope, for `{allowed} {unknown}`"
                    ),
                    "200 without `scope`, and no introspection to tell what was granted",
                ),
            },
        }
    } else {
        deviations.keep(
            Refusal {
                preferred: &["invalid_scope"],
                fitting: &[],
                statuses: &[400],
            }
            .judge(&reply, &format!("scope `{allowed} {unknown}`")),
        )?;
    }
    // Nothing asked: §3.3's default applies, or the request fails with invalid_scope; naming
    // the default is the reference's habit, not a rule.
    let reply = ctx.token(&client, CC).await?;
    if reply.status != 200 {
        deviations.keep(
            Refusal {
                preferred: &["invalid_scope"],
                fitting: &[],
                statuses: &[400],
            }
            .judge(&reply, "no scope"),
        )?;
        return deviations.end();
    }
    let none_asked = reply.json()?;
    if scope_of(&none_asked).is_none()
        && let Some(granted_scope) = introspected_scope(&ctx, &client, &none_asked).await
        && !granted_scope.is_empty()
    {
        deviations.note(
            "`scope` in the response when no scope was asked for and some was granted",
            format!(
                "no `scope`, and introspection shows {:?}",
                granted_scope.into_iter().collect::<Vec<_>>().join(" ")
            ),
        );
    }
    deviations.end()
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
        .ok_or_else(|| skip("the token response states no numeric expires_in to judge"))?;
    ensure(
        lifetime <= MAX_LIFETIME,
        "expires_in of 3600 or less",
        lifetime,
    )
}

/// A JWT's parts that can vary per token: its signature and its `jti`.
struct Jwt<'a> {
    signature: &'a str,
    jti: Option<String>,
}

/// `value` as a JWS in compact form (RFC 7515 §7.1), if it is one: three dot-separated parts
/// whose first decodes to a JSON header naming an `alg`.
fn jwt(value: &str) -> Option<Jwt<'_>> {
    use base64::Engine as _;
    let decode = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let mut parts = value.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    decode(header)?.get("alg")?.as_str()?;
    let jti = decode(payload)
        .and_then(|claims| claims.get("jti").cloned())
        .map(|jti| match jti {
            Value::String(s) => s,
            other => other.to_string(),
        });
    Some(Jwt { signature, jti })
}

/// What of each value carries its randomness: a signed JWT's signature (its header and claims
/// are largely shared and predictable), an unsigned one's `jti`, or an opaque value whole.
fn random_parts<'a>(kind: &str, values: &'a [String]) -> Result<Vec<Cow<'a, str>>, Outcome> {
    let whole = || values.iter().map(|v| Cow::Borrowed(v.as_str())).collect();
    let Some(jwts) = values.iter().map(|v| jwt(v)).collect::<Option<Vec<_>>>() else {
        return Ok(whole());
    };
    if jwts.iter().all(|j| !j.signature.is_empty()) {
        return Ok(jwts
            .into_iter()
            .map(|j| Cow::Borrowed(j.signature))
            .collect());
    }
    jwts.into_iter()
        .map(|j| {
            j.jti.map(Cow::Owned).ok_or_else(|| {
                fail(
                    format!("{kind}s that cannot be guessed: an unsigned JWT needs a random jti"),
                    "an unsigned JWT without jti",
                )
            })
        })
        .collect()
}

fn shared(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

fn shared_suffix(a: &str, b: &str) -> usize {
    a.bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// `value` without its first `marker` and last `trailer` bytes.
fn middle(value: &str, marker: usize, trailer: usize) -> &str {
    value
        .get(marker..value.len().saturating_sub(trailer))
        .unwrap_or("")
}

/// The RFC 6749 §10.10 heuristic over one kind of value: `Err` fails (duplicates, or fewer
/// than 128 bits varying beside a fixed marker); `Ok(Some)` is the catalog's deviation (two
/// values sharing a long prefix beyond the marker).
fn unguessable(kind: &str, values: &[String]) -> Result<Option<Outcome>, Outcome> {
    let distinct: BTreeSet<&str> = values.iter().map(String::as_str).collect();
    ensure(
        distinct.len() == values.len(),
        format!("{} distinct {kind}s", values.len()),
        format!("{} distinct", distinct.len()),
    )?;
    let parts = random_parts(kind, values)?;
    let mut sorted: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    let (Some(first), Some(_)) = (sorted.first().copied(), sorted.get(1)) else {
        return Ok(None);
    };
    // What every value carries at either end is a marker, not randomness.
    let marker = sorted.iter().map(|v| shared(first, v)).min().unwrap_or(0);
    let trailer = sorted
        .iter()
        .map(|v| shared_suffix(first, v))
        .min()
        .unwrap_or(0);
    let varying = |v: &str| -> usize { v.len().saturating_sub(marker + trailer) };
    let shortest = sorted.iter().map(|v| varying(v)).min().unwrap_or(0);
    // Bits per character from the alphabet the values use: 4 for hex, 6 for base64url.
    let alphabet: BTreeSet<u8> = sorted
        .iter()
        .flat_map(|v| middle(v, marker, trailer).bytes())
        .collect();
    let bits_per_char = (alphabet.len().max(1) as f64).log2().min(6.0);
    let bits = shortest as f64 * bits_per_char;
    ensure(
        bits >= MIN_RANDOM_BITS,
        format!("{kind}s with at least 128 bits varying beside a fixed marker"),
        format!(
            "one with {shortest} varying characters of a {}-symbol alphabet, about {bits:.0} bits (marker {marker}, common ending {trailer})",
            alphabet.len()
        ),
    )?;
    // Sorted, the longest prefix two values share is between neighbours.
    let longest = sorted
        .windows(2)
        .map(|w| shared(w[0], w[1]))
        .max()
        .unwrap_or(0);
    Ok(
        (longest.saturating_sub(marker) >= MAX_SHARED_PREFIX).then(|| {
            deviate(
                format!("no two {kind}s sharing {MAX_SHARED_PREFIX} characters beyond the marker"),
                format!("two share {longest} leading characters (marker {marker})"),
            )
        }),
    )
}

async fn resp_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let samples = ctx.run.samples_or(SAMPLES);
    ctx.cases_run(samples as u64);
    let tokens: Vec<Result<String, Outcome>> = stream::iter(0..samples)
        .map(|_| {
            let (ctx, client) = (ctx.clone(), client.clone());
            async move { ctx.access_token(&client).await }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let tokens = tokens.into_iter().collect::<Result<Vec<_>, _>>()?;
    unguessable("access token", &tokens)?.map_or(Ok(()), Err)
}

/// A code and the refresh token its exchange issued, if any.
type Issued = (String, Option<String>);

async fn resp_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let samples = ctx.run.samples_or(SAMPLES);
    ctx.cases_run(samples as u64);
    let per_agent = samples.div_ceil(PARALLEL);
    // One user agent per lane: each logs in once, then only consents.
    let lanes: Vec<Result<Vec<Issued>, Outcome>> = stream::iter(0..PARALLEL)
        .map(|_| {
            let (ctx, client) = (ctx.clone(), client.clone());
            async move {
                let ua = UserAgent::new(&ctx);
                let mut pairs = Vec::with_capacity(per_agent);
                for _ in 0..per_agent {
                    let code = client_code(&ctx, &ua, &client).await?;
                    let reply = ctx
                        .token(&client, &code_grant(&code, &exchange(client.redirect())))
                        .await?;
                    let tokens = granted(&reply, "the code exchange")?;
                    let refresh = tokens
                        .get("refresh_token")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    pairs.push((code, refresh));
                }
                Ok(pairs)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut codes = Vec::with_capacity(samples);
    let mut refresh_tokens = Vec::with_capacity(samples);
    for lane in lanes {
        for (code, refresh) in lane? {
            codes.push(code);
            refresh_tokens.extend(refresh);
        }
    }
    let codes_deviate = unguessable("authorization code", &codes)?;
    // A refresh token is optional (RFC 6749 §5.1): without one there is nothing more to judge.
    if refresh_tokens.len() < codes.len() {
        codes_deviate.map_or(Ok(()), Err)?;
        return Err(skip(format!(
            "the codes pass; {} of {} code exchanges issued a refresh token, so refresh tokens are not judged",
            refresh_tokens.len(),
            codes.len()
        )));
    }
    let refresh_deviate = unguessable("refresh token", &refresh_tokens)?;
    codes_deviate.or(refresh_deviate).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_b64(bytes: usize) -> String {
        use base64::Engine as _;
        use rand::Rng as _;
        let bytes: Vec<u8> = (0..bytes).map(|_| rand::rng().random()).collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn random_values() -> Vec<String> {
        (0..SAMPLES)
            .map(|_| format!("at_{}", random_b64(32)))
            .collect()
    }

    fn jwt_like(signature: &str, claims: &str) -> String {
        use base64::Engine as _;
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{signature}",
            encode(r#"{"alg":"RS256","typ":"at+jwt"}"#),
            encode(claims)
        )
    }

    #[test]
    fn random_values_with_a_marker_pass() {
        assert_eq!(unguessable("token", &random_values()), Ok(None));
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

    #[test]
    fn short_hex_values_fail_where_as_many_base64_characters_pass() {
        let hex: Vec<String> = (0..SAMPLES)
            .map(|_| {
                let value = random_b64(32);
                value
                    .bytes()
                    .take(26)
                    .map(|b| char::from(b"0123456789abcdef"[usize::from(b % 16)]))
                    .collect()
            })
            .collect();
        assert!(
            unguessable("token", &hex).is_err(),
            "26 hex digits are 104 bits"
        );
    }

    #[test]
    fn signed_jwts_with_shared_claims_are_judged_by_their_signature() {
        // Issued in the same second: header and claims alike up to a counter-like jti.
        let tokens: Vec<String> = (0..SAMPLES)
            .map(|i| {
                jwt_like(
                    &random_b64(256),
                    &format!(r#"{{"iss":"https://as.example","iat":1700000000,"jti":"{i:08}"}}"#),
                )
            })
            .collect();
        assert_eq!(unguessable("access token", &tokens), Ok(None));
    }

    #[test]
    fn unsigned_jwts_need_a_random_jti() {
        let counted: Vec<String> = (0..SAMPLES)
            .map(|i| jwt_like("", &format!(r#"{{"iat":1700000000,"jti":"{i:08}"}}"#)))
            .collect();
        assert!(unguessable("access token", &counted).is_err());
        let random: Vec<String> = (0..SAMPLES)
            .map(|_| jwt_like("", &format!(r#"{{"jti":"{}"}}"#, random_b64(32))))
            .collect();
        assert_eq!(unguessable("access token", &random), Ok(None));
    }
}
