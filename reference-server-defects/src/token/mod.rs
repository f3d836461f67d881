//! Defects of the token endpoint, client authentication, introspection, check_token, revocation,
//! metadata and bearer use.

mod answers;
mod layer;
mod metadata;
mod policy;

use axum::Json;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, PRAGMA, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reference_server::config::Config;
use reference_server::wiring::Wiring;

use crate::Defect::{self, *};

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    let wiring = Wiring::default();
    if let Some(policy) = policy::for_defect(defect) {
        return Some(wiring.with_policy(policy));
    }
    Some(match defect {
        // Forwarding headers believed from every peer: 0.0.0.0/0 and ::/0 as trusted proxies.
        TrustForwardedFor => {
            config.trusted_proxies = vec![
                ipnet::IpNet::V4(ipnet::Ipv4Net::default()),
                ipnet::IpNet::V6(ipnet::Ipv6Net::default()),
            ];
            wiring
        }
        NoThrottle => {
            config.no_client_throttle = true;
            wiring
        }
        MetadataEmptyArray
        | MetadataIssuerWithPath
        | MetadataResponseTypeMisnamed
        | MetadataAlgNone
        | MetadataListsPlain => {
            wiring.wrap_app(move |router, state| metadata::wrap(defect, router, state))
        }
        TrustRealIp
        | BasicNotUtf8Is500
        | RevokeHintTrusted
        | RevokeAccessNoop
        | RevokeRefreshNoop
        | IntrospectMissingTokenInactive
        | RevokeMissingToken200
        | CheckTokenMissingTokenInvalidToken
        | CheckTokenInactive200
        | IntrospectInactiveReason
        | IntrospectHintTrusted
        | IntrospectScopeArray
        | CheckTokenScopeString
        | GrantTypeEchoed
        | UnknownClientIs400
        | ShortAccessTokens => {
            wiring.wrap_app(move |router, state| answers::wrap(defect, router, state))
        }
        BasicSchemeCaseSensitive
        | BearerSchemeCaseSensitive
        | BasicNotFormDecoded
        | MalformedBasicInvalidRequest
        | OversizedBodyIs400
        | RevokeByGet
        | TokenByGet
        | QueryCredentials
        | JsonBodyAccepted
        | RepeatedParameterLastWins
        | UnknownTokenParameterRefused
        | BodyCredentialsRefused
        | BodySecretBesideBasicIgnored
        | BodyClientIdBesideBasicIgnored
        | RevokeWithoutSecret
        | BearerTokenTwiceAccepted
        | NoBasicChallenge
        | TokenResponseCacheable
        | TokenErrorCacheable
        | IntrospectCacheable
        | BearerMissingWithError
        | BearerChallengeMalformed
        | MissingGrantTypeUnsupported
        | UnknownGrantInvalidGrant
        | UnregisteredGrantInvalidGrant
        | ErrorEchoesGrantType
        | TokenTypeNotBearer
        | ClientCredentialsRefreshToken => {
            wiring.wrap_app(move |router, state| layer::wrap(defect, router, state))
        }
        _ => return None,
    })
}

/// Form parameters in order, repeats kept.
type Pairs = Vec<(String, String)>;

fn pairs(body: &[u8]) -> Pairs {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first non-empty value of `name`.
fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// `response` with the headers the server puts on every answer, which an answer made outside
/// its layers lacks; an answer that went through them is unchanged.
fn as_served(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// A JSON answer with the server's no-store headers.
fn no_store_json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
