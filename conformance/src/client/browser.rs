//! The harness as the browser (code plan): opens the client's authorization URL, logs in as the
//! test user, consents or denies, and delivers the authorization response to the client's
//! redirect URI with a GET, as the test wants it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use url::Url;

use super::Delivery;
use crate::ctx::Ctx;
use crate::form::Decision;
use crate::ua::UserAgent;

/// The issuer a tampered response claims (RFC 9207): not the server's.
pub(super) const FOREIGN_ISSUER: &str = "https://issuer.attacker.example";

/// Connection attempts while the client opens its listener.
const CONNECT_ATTEMPTS: usize = 50;

fn random_text() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `url` with `name` set to `value` (added if absent), or removed when `value` is `None`.
fn with_param(url: &Url, name: &str, value: Option<&str>) -> Url {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(n, _)| n != name)
        .collect();
    if let Some(value) = value {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let mut out = url.clone();
    out.set_query(None);
    if !pairs.is_empty() {
        out.query_pairs_mut().extend_pairs(pairs);
    }
    out
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Walks the authorization request `query` in a new browser session; the response's URL.
async fn authorize(ctx: &Ctx, query: &str, decision: Decision) -> Result<Url, String> {
    let landing = UserAgent::new(ctx)
        .authorize_deciding(query, decision)
        .await
        .map_err(|o| o.reason().unwrap_or_default())?;
    let location = landing
        .location()
        .map_err(|o| o.reason().unwrap_or_default())?;
    Url::parse(location).map_err(|e| format!("the server redirected to `{location}`: {e}"))
}

/// The attacker's own session with the same client: the client's request with another
/// `state` and, if the client used PKCE, the attacker's own challenge (RFC 9700 §4.5).
async fn attackers_code(ctx: &Ctx, request: &Url) -> Result<String, String> {
    let mut own = with_param(request, "state", Some(&random_text()));
    if param(request, "code_challenge").is_some() {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(random_text().as_bytes()));
        own = with_param(&own, "code_challenge", Some(&challenge));
        own = with_param(&own, "code_challenge_method", Some("S256"));
    }
    let answer = authorize(ctx, own.query().unwrap_or_default(), Decision::Approve).await?;
    param(&answer, "code").ok_or_else(|| format!("the attacker's session got no code: {answer}"))
}

/// Plays the browser for `delivery`; the URLs delivered to the client, in order.
pub(crate) async fn deliver(
    ctx: &Ctx,
    delivery: Delivery,
    authorization_url: &str,
) -> Result<Vec<String>, String> {
    let request = Url::parse(authorization_url)
        .map_err(|e| format!("the client printed `{authorization_url}`: {e}"))?;
    let query = request.query().unwrap_or_default();
    let decision = if delivery == Delivery::Denied {
        Decision::Deny
    } else {
        Decision::Approve
    };
    let response = authorize(ctx, query, decision).await?;
    let tampered = match delivery {
        Delivery::AsIssued | Delivery::Denied | Delivery::Twice => response,
        Delivery::WrongState => with_param(&response, "state", Some(&random_text())),
        Delivery::MissingState => with_param(&response, "state", None),
        Delivery::WrongIssuer => with_param(&response, "iss", Some(FOREIGN_ISSUER)),
        Delivery::InjectedCode => {
            let code = attackers_code(ctx, &request).await?;
            with_param(&response, "code", Some(&code))
        }
    };
    let tampered = tampered.to_string();
    if let Some(code) = param(&Url::parse(&tampered).map_err(|e| e.to_string())?, "code") {
        ctx.remember(&code);
    }
    let http = crate::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let times = if delivery == Delivery::Twice { 2 } else { 1 };
    let mut delivered = Vec::new();
    for time in 0..times {
        // The first delivery waits for the client's listener; a second one may find it
        // closed, which is the client's right.
        let attempts = if time == 0 { CONNECT_ATTEMPTS } else { 1 };
        for _ in 0..attempts {
            match http.get(&tampered).send().await {
                Ok(_) => break,
                Err(e) if e.is_connect() => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => break,
            }
        }
        delivered.push(tampered.clone());
    }
    Ok(delivered)
}
