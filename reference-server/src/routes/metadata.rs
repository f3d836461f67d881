//! `GET /.well-known/oauth-authorization-server` (RFC 8414).
//!
//! Only what works is advertised (META-04): every grant listed is served, every endpoint
//! listed answers, and no multi-valued member is empty (META-01).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use serde::Serialize;

use crate::config::Profile;
use crate::state::AppState;

/// Where RFC 8414 §3.1 puts the metadata of an issuer with a path: the well-known segment goes
/// between the host and the path (`https://host/t1` → `/.well-known/oauth-authorization-server/t1`).
/// `None` for an issuer without a path, whose metadata sits at the plain well-known URL (META-02).
pub fn path_well_known(issuer: &str) -> Option<String> {
    let url = url::Url::parse(issuer).ok()?;
    let path = url.path().trim_end_matches('/');
    (!path.is_empty()).then(|| format!("{WELL_KNOWN}{path}"))
}

pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

const AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

#[derive(Debug, Serialize)]
pub struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    introspection_endpoint: String,
    revocation_endpoint: String,
    response_types_supported: [&'static str; 1],
    response_modes_supported: [&'static str; 1],
    grant_types_supported: Vec<&'static str>,
    /// `plain` only where it works (META-07, PKCE-03).
    code_challenge_methods_supported: Vec<&'static str>,
    token_endpoint_auth_methods_supported: [&'static str; 2],
    introspection_endpoint_auth_methods_supported: [&'static str; 2],
    revocation_endpoint_auth_methods_supported: [&'static str; 2],
    scopes_supported: BTreeSet<String>,
    /// Spring's check_token, offered in the vendor profile (AMB-27).
    #[serde(skip_serializing_if = "Option::is_none")]
    check_token_endpoint: Option<String>,
}

pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = state.issuer.clone();
    let catalogue = &state.catalogue;
    let mut scopes: BTreeSet<String> = catalogue.admin_api.default_scopes.clone();
    scopes.extend(catalogue.one_click.default_scopes.iter().cloned());
    for resource in &catalogue.wallet.resources {
        scopes.insert(format!("{resource}:view"));
        scopes.insert(format!("{resource}:change"));
    }
    let metadata = Metadata {
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        introspection_endpoint: format!("{issuer}/oauth/introspect"),
        revocation_endpoint: format!("{issuer}/oauth/revoke"),
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        grant_types_supported: vec!["authorization_code", "client_credentials", "refresh_token"],
        code_challenge_methods_supported: match state.config.profile {
            Profile::Vendor => vec!["S256", "plain"],
            Profile::Strict => vec!["S256"],
        },
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        scopes_supported: scopes,
        check_token_endpoint: (state.config.profile == Profile::Vendor)
            .then(|| format!("{issuer}/oauth/check_token")),
        issuer,
    };
    Json(metadata).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_02_well_known_url_of_an_issuer_with_a_path() {
        for (issuer, expected) in [
            ("http://127.0.0.1:8080", None),
            ("https://sandbox.example/", None),
            (
                "https://sandbox.example/tenant-1",
                Some("/.well-known/oauth-authorization-server/tenant-1"),
            ),
            (
                "https://sandbox.example/a/b/",
                Some("/.well-known/oauth-authorization-server/a/b"),
            ),
        ] {
            assert_eq!(path_well_known(issuer).as_deref(), expected, "{issuer}");
        }
    }
}
