//! Client authentication at the token, introspection, revocation and check_token endpoints
//! (RFC 6749 §2.3.1, §3.2.1; TOKEN-AUTH-*; IP-*; EXP-*).
//!
//! An unknown client, a wrong secret and a refused source address give the same answer
//! (AMB-10, AMB-32); only a client that proved its secret from an admitted address learns
//! that it has expired (AMB-16). Every failure counts toward the throttle (TOKEN-AUTH-08).

use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::client::Client;
use crate::error::OAuthError;
use crate::form::{Form, decode};
use crate::secret::ClientSecret;
use crate::state::AppState;

const GENERIC_FAILURE: &str = "client authentication failed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret_basic`
    Basic,
    /// `client_secret_post`
    Post,
}

#[derive(Debug)]
pub struct Credentials {
    pub client_id: String,
    pub secret: ClientSecret,
    pub method: AuthMethod,
}

/// Reads the client's credentials from `Authorization: Basic` or from the body, never both
/// (TOKEN-AUTH-03), never from the query string (TOKEN-REQ-01).
pub fn credentials(headers: &HeaderMap, form: &Form) -> Result<Credentials, OAuthError> {
    let mut authorization = headers.get_all(header::AUTHORIZATION).iter();
    let first = authorization.next();
    if authorization.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let Some(value) = first else {
        return match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => Ok(Credentials {
                client_id: id.to_owned(),
                secret: ClientSecret::new(secret.to_owned()),
                method: AuthMethod::Post,
            }),
            _ => Err(OAuthError::invalid_client(
                "client authentication is required",
            )),
        };
    };
    let (user, password) = parse_basic(value.as_bytes()).ok_or_else(|| {
        OAuthError::invalid_client("the Authorization header is not valid Basic credentials")
    })?;
    if form.contains("client_secret") {
        return Err(OAuthError::invalid_request(
            "client credentials were sent both in the Authorization header and in the body",
        ));
    }
    if form.get("client_id").is_some_and(|id| id != user) {
        return Err(OAuthError::invalid_request(
            "the client_id in the body differs from the authenticated client",
        ));
    }
    Ok(Credentials {
        client_id: user,
        secret: ClientSecret::new(password),
        method: AuthMethod::Basic,
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1, TOKEN-AUTH-02).
pub fn parse_basic(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let at = decoded.iter().position(|b| *b == b':')?;
    let user = decode(&decoded[..at]).ok()?;
    let password = decode(&decoded[at + 1..]).ok()?;
    (!user.is_empty()).then_some((user, password))
}

/// Where the request came from, for the whitelist; `Ignore` for the admin API (AMB-08).
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Address(Option<IpAddr>),
    Ignore,
}

/// Verifies the credentials and returns the client. `from` is the caller's address, for the
/// brute-force guard, which counts failures per client id and address (TOKEN-AUTH-08).
pub async fn authenticate(
    state: &AppState,
    credentials: &Credentials,
    source: Source,
    from: Option<IpAddr>,
) -> Result<Client, OAuthError> {
    let now = state.clock.now_unix();
    let client_id = credentials.client_id.as_str();
    if let Some(retry_after) = state
        .throttle
        .blocked(client_id, from, now)
        .filter(|_| !state.config.no_client_throttle)
    {
        return Err(OAuthError::throttled(retry_after));
    }
    let presented = credentials.secret.digest();
    let record = state.store.client(client_id).await?;
    let secret_ok = match &record {
        Some(record) => record.secret_hash.matches(&presented),
        None => {
            let _ = state.decoy_secret.matches(&presented);
            false
        }
    };
    let fail = |reason: &'static str, description: &'static str| {
        tracing::info!(reason, "client authentication refused");
        state.throttle.record_failure(client_id, from, now);
        OAuthError::invalid_client(description)
    };
    let client = match record {
        Some(record) if secret_ok => Client {
            authenticated_with: Some(record.secret_hash),
            ..record.client
        },
        Some(_) => return Err(fail("wrong secret", GENERIC_FAILURE)),
        None => return Err(fail("unknown client", GENERIC_FAILURE)),
    };
    if let Source::Address(addr) = source
        && !state.policy.admits(&client, addr)
    {
        return Err(fail("source address not whitelisted", GENERIC_FAILURE));
    }
    if state.policy.client_expired(&client, now) {
        return Err(fail("client expired", "client expired"));
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn token_auth_02_basic_parts_are_form_decoded() {
        let encoded = STANDARD.encode("enc+client%3A1:s%2Be%2Fc%25r%3Ae+t");
        let parsed = parse_basic(format!("Basic {encoded}").as_bytes()).unwrap();
        assert_eq!(
            parsed,
            ("enc client:1".to_owned(), "s+e/c%r:e t".to_owned())
        );
        assert!(
            parse_basic(format!("bAsIc {encoded}").as_bytes()).is_some(),
            "scheme is case-insensitive"
        );
    }

    #[test]
    fn token_auth_07_malformed_basic_is_refused() {
        for bad in [
            "Basic !!!",
            "Basic ",
            "Bearer abc",
            "Digest x",
            "Basic bm9jb2xvbg==",
        ] {
            assert!(parse_basic(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn token_auth_03_and_04_mixed_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YTpi"),
        ); // a:b
        let both = crate::form::parse(b"client_secret=b").unwrap();
        assert_eq!(
            credentials(&headers, &both).unwrap_err().code(),
            crate::error::ErrorCode::InvalidRequest
        );
        let same_id = crate::form::parse(b"client_id=a").unwrap();
        assert_eq!(
            credentials(&headers, &same_id).unwrap().method,
            AuthMethod::Basic
        );
        let other_id = crate::form::parse(b"client_id=z").unwrap();
        assert_eq!(
            credentials(&headers, &other_id).unwrap_err().code(),
            crate::error::ErrorCode::InvalidRequest
        );
    }
}
