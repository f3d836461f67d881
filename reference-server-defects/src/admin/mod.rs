//! Defects of the admin API, roles, IP whitelists and expiry, and the defects the property and race
//! checks found.
//!
//! - [`api`]: a layer around `/admin/clients…` that rewrites requests and answers, and
//!   [`body`]: how it misreads a create or edit body;
//! - [`store`]: a store wrapper for what outlives a change (hidden deletes, racy caches) and
//!   for clients built otherwise than asked;
//! - [`policy`]: whitelist, expiry and scope decisions taken otherwise;
//! - [`oauth`]: a layer around the client-authenticating OAuth endpoints and the authorization
//!   endpoint;
//! - [`scope`]: a layer reading a client_credentials request's scope otherwise.

mod api;
mod body;
mod oauth;
mod policy;
mod scope;
mod store;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use reference_server::config::Config;
use reference_server::wiring::Wiring;

use crate::Defect;

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    use Defect::*;
    let _ = config;
    let wiring = Wiring::default();
    Some(match defect {
        AdminReadsOpen
        | AdminReadCanChange
        | AdminBearerScopeOnly
        | SecretPadded
        | AdminErrorEchoesSecret
        | NewSecretRevokesAll
        | NewSecretKeepsTokens
        | RoleEditMerges
        | ExpiryEditIgnored
        | OneClickGrantsShowRefresh
        | EmptyRedirectEditIgnored
        | ResourceIdCaseFolded
        | NotesCountBytes
        | DisplayEditRevokesTokens
        | AdminRoleCaseFolded
        | BadWhitelistEntriesDropped
        | ExpiredFlagStale => wiring.wrap_app(api::layer(defect)),
        // Read from the body by the layer, built into the client by the store.
        WalletIdUpperCase
        | AdminApiResourcesOpen
        | MappedEntryStaysV6
        | EditDropsImpliedView
        | WalletExpiryOptional => wiring
            .wrap_store(store::wrap(defect))
            .wrap_app(api::layer(defect)),
        DeleteHidesClient
        | WalletIdWithoutKey
        | DuplicateWalletOverwrites
        | RevocationCacheRace
        | RotationCacheRace
        | DeletionCacheRace => wiring.wrap_store(store::wrap(defect)),
        OldSecretKept | ExpiredBeforeSecret | WhitelistRefusalExplained | WhitelistAtAuthorize => {
            wiring.wrap_app(oauth::layer(defect))
        }
        ScopeCaseFolded => wiring.wrap_app(scope::layer(defect)),
        WalletScopeUnchecked => wiring
            .wrap_store(store::wrap(defect))
            .wrap_app(scope::layer(defect)),
        // The layer marks the requests the policy treats otherwise.
        ExpiredCallerAdmitted => wiring
            .with_policy(policy::Bent::new(defect))
            .wrap_app(oauth::layer(defect)),
        EmptyWhitelistLocalOnly
        | WhitelistSkipsClientCredentials
        | WhitelistClientCredentialsOnly
        | WhitelistTokenEndpointOnly
        | CidrNetworkOnly
        | WhitelistCached
        | WhitelistCidrOffByOne
        | MonthEndExpiry
        | TokenOutlivesClient
        | AccessValidityIgnored
        | RemovedRoleKept => wiring.with_policy(policy::Bent::new(defect)),
        _ => return None,
    })
}

/// An answer made in a layer, outside the server's own layers: given the headers those put
/// on every answer, so that only the defect shows.
fn dress(mut response: Response, request_headers: &HeaderMap, admin: bool) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if admin {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let request_id = HeaderName::from_static("x-request-id");
    let id = request_headers.get(&request_id).cloned().or_else(|| {
        let id: String = reference_server::secret::random_value()
            .chars()
            .take(16)
            .collect();
        HeaderValue::from_str(&id).ok()
    });
    if let Some(id) = id {
        headers.insert(request_id, id);
    }
    response
}

/// `response` with its body replaced by `body`.
fn with_body(response: Response, body: Vec<u8>) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Reads a whole body; requests and answers here are small (the server caps its own).
async fn bytes(body: Body) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, 1 << 20).await.ok()
}

/// A form body with the values `new` gives (by name and decoded value) put in place of the old
/// ones, every other byte as sent; `None` if nothing changed.
/// The request rebuilt with the rewritten form body, or with its own (`raw`) if none.
fn request_with_form(
    mut parts: axum::http::request::Parts,
    raw: axum::body::Bytes,
    rewritten: Option<Vec<u8>>,
) -> axum::extract::Request {
    let body = match rewritten {
        Some(body) => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            Body::from(body)
        }
        None => Body::from(raw),
    };
    axum::extract::Request::from_parts(parts, body)
}

fn rewrite_form(raw: &[u8], new: impl Fn(&str, &str) -> Option<String>) -> Option<Vec<u8>> {
    let mut changed = false;
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    for (i, segment) in raw.split(|b| *b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let (name, value) = match segment.iter().position(|b| *b == b'=') {
            Some(at) => (&segment[..at], &segment[at + 1..]),
            None => (segment, &b""[..]),
        };
        let decoded = (
            reference_server::form::decode(name),
            reference_server::form::decode(value),
        );
        match decoded {
            (Ok(n), Ok(v)) => match new(&n, &v) {
                Some(value) => {
                    changed = true;
                    out.extend_from_slice(name);
                    out.push(b'=');
                    let encoded = percent_encoding::utf8_percent_encode(
                        &value,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    out.extend_from_slice(encoded.to_string().as_bytes());
                }
                None => out.extend_from_slice(segment),
            },
            _ => out.extend_from_slice(segment),
        }
    }
    changed.then_some(out)
}
