//! A person signing in to a web client: the authorization request with PKCE (S256), the login
//! form (once per user: the session cookie carries later flows), consent, and the code
//! exchange. Same-origin redirects are followed; the client's redirect URI never is.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use conformance::form::{Decision, read_form};
use goose::goose::GooseResponse;
use goose::prelude::*;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::{Operation, Persona, client_only, custom, pick, setup_operation, with_fixture};
use crate::environment::{CodeClient, Fixture};
use crate::http::{
    ClientAuth, failure, get, json_200, non_empty_string, post_form, post_form_expecting,
    token_response,
};

/// The transaction: authorize, log in if asked, consent, exchange the code.
pub const FLOW: &str = "code flow";
pub const AUTHORIZE: &str = "GET /authorize";
/// A redirect the flow follows because it stays on the server's origin.
pub const REDIRECT: &str = "GET same-origin redirect";
pub const LOGIN: &str = "POST login form";
pub const CONSENT: &str = "POST consent form";
/// The code exchange, authenticated with `client_secret_basic`.
pub const EXCHANGE: &str = "POST /token code";

/// Same-origin steps before the flow counts as stuck.
const MAX_STEPS: usize = 12;

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "authorization_code",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, client_only)),
        operations: vec![Operation {
            name: FLOW,
            weight: 1,
            function: with_fixture!(fixture, flow),
        }],
    }
}

async fn flow(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    code_grant(user, fixture, false).await.map(drop)
}

/// Tokens from one code grant.
#[derive(Clone)]
pub struct Granted {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Granted")
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The whole flow for the user's code client: authorize, log in if asked, consent, exchange.
pub async fn code_grant(
    user: &mut GooseUser,
    fixture: &Fixture,
    wants_refresh: bool,
) -> Result<Granted, Box<TransactionError>> {
    let client = pick(user, &fixture.code_clients)?.clone();
    let authorization = fixture
        .endpoints
        .authorization
        .clone()
        .ok_or_else(|| custom("the target's metadata names no authorization_endpoint"))?;
    let token_url = fixture.token_endpoint().map_err(custom)?.to_owned();
    let verifier = random_value();
    let state = random_value();
    let query = authorization_query(&client, &verifier, &state);
    let separator = if authorization.contains('?') {
        '&'
    } else {
        '?'
    };
    let start = format!("{authorization}{separator}{query}");
    let (mut request, landing) = walk(user, fixture, &start).await?;
    let param = |name: &str| {
        landing
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        let reason = format!("the authorization ended with error {error}");
        return Err(failure(user, &mut request, &reason));
    }
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(failure(user, &mut request, "the redirect lost the state"));
    }
    let Some(code) = param("code") else {
        return Err(failure(user, &mut request, "the redirect carries no code"));
    };
    let goose = post_form(
        user,
        EXCHANGE,
        &token_url,
        Some(ClientAuth::Basic(&client.credentials)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await?;
    let body = json_200(user, goose, |v| token_response(v, wants_refresh)).await?;
    Ok(Granted {
        access_token: non_empty_string(&body, "access_token")
            .map_err(custom)?
            .to_owned(),
        refresh_token: body
            .get("refresh_token")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    })
}

fn authorization_query(client: &CodeClient, verifier: &str, state: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.credentials.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(scope) = &client.scope {
        query.append_pair("scope", scope);
    }
    query.finish()
}

/// 256 random bits, base64url: a PKCE verifier (RFC 7636 §4.1) or a `state`.
fn random_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Follows the server's pages from `start` until a redirect leaves its origin; returns that
/// redirect and the metric of the request that answered it.
async fn walk(
    user: &mut GooseUser,
    fixture: &Fixture,
    start: &str,
) -> Result<(goose::metrics::GooseRequestMetric, Url), Box<TransactionError>> {
    let mut url = Url::parse(start).map_err(|e| custom(format!("authorization URL: {e}")))?;
    let mut goose = get(user, AUTHORIZE, url.as_str(), None).await?;
    for _ in 0..MAX_STEPS {
        let GooseResponse {
            mut request,
            response,
        } = goose;
        let Ok(response) = response else {
            return Err(failure(user, &mut request, "no response in the flow"));
        };
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            // In this flow a redirect is an answer; goose counts only 2xx (and the 303 a
            // form post expects) as success by itself.
            user.set_success(&mut request)?;
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            let Some(next) = next else {
                return Err(failure(
                    user,
                    &mut request,
                    "a redirect without a usable Location",
                ));
            };
            if next.origin().ascii_serialization() != fixture.origin {
                return Ok((request, next));
            }
            url = next;
            goose = get(user, REDIRECT, url.as_str(), None).await?;
            continue;
        }
        if status != 200 {
            let reason = format!("status {status} in the authorization flow");
            return Err(failure(user, &mut request, &reason));
        }
        let Ok(page) = response.text().await else {
            return Err(failure(user, &mut request, "a page that could not be read"));
        };
        let Some(form) = read_form(&page, &url) else {
            return Err(failure(user, &mut request, "a page with no form to answer"));
        };
        if form.action.origin().ascii_serialization() != fixture.origin {
            return Err(failure(user, &mut request, "a form that posts elsewhere"));
        }
        let (fields, name) = if form.is_login() {
            let Some(login) = &fixture.login else {
                return Err(failure(
                    user,
                    &mut request,
                    "a login form, and the target file gives no login",
                ));
            };
            (form.login(&login.username, login.password.expose()), LOGIN)
        } else {
            let Some(fields) = form.consent(Decision::Approve) else {
                return Err(failure(
                    user,
                    &mut request,
                    "a form with no button to approve",
                ));
            };
            (fields, CONSENT)
        };
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // RFC 9700 §4.11: a form post is answered with 303, so the browser does not repost.
        goose =
            post_form_expecting(user, name, form.action.as_str(), None, &pairs, Some(303)).await?;
        url = form.action;
    }
    Err(custom(format!(
        "the flow did not leave the server within {MAX_STEPS} steps"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_s256_of_the_verifier() {
        let client = CodeClient {
            credentials: crate::environment::ClientCredentials {
                id: "web".into(),
                secret: conformance::target::Secret::new("s"),
            },
            redirect_uri: "https://client.example/cb".into(),
            scope: None,
        };
        // RFC 7636 Appendix B.
        let query =
            authorization_query(&client, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "st");

        assert!(query.contains("code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(query.contains("code_challenge_method=S256"));
    }
}
