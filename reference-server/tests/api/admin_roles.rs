//! Client roles at the admin API (ROLE-01, ROLE-04; AMB-20, AMB-21): a wallet's `change` role
//! brings `view` with it, and Admin API roles come from a fixed catalogue and show as
//! authorities.
//!
//! Every test drives a real server over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_refused, create, edit, fetch, introspect, spawn, strings};

// ---------------------------------------------------------------------------------------------
// ROLE-01, ROLE-04: roles (AMB-20, AMB-21)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn role_01_change_grants_view_too_and_view_cannot_be_removed_while_change_stays() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "wallet", "id": "roles", "roles": ["accounts:change"]}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        strings(&created.body["roles"]),
        ["accounts:change", "accounts:view"]
    );
    assert_eq!(
        strings(&fetch(&app, "wallet-demo-roles").await.body["roles"]),
        ["accounts:change", "accounts:view"]
    );
    let secret = created.body["client_secret"].as_str().expect("secret");
    let token: Value = app
        .client_credentials("wallet-demo-roles", secret, "")
        .await
        .json()
        .await
        .expect("json");
    let mut granted: Vec<&str> = token["scope"].as_str().expect("scope").split(' ').collect();
    granted.sort_unstable();
    assert_eq!(
        granted,
        ["accounts:change", "accounts:view"],
        "a token carries both"
    );

    // The edit body lists change without view: view stays.
    let edited = edit(
        &app,
        "wallet-demo-roles",
        json!({"roles": ["accounts:change", "reports:view"]}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(
        strings(&edited.body["roles"]),
        ["accounts:change", "accounts:view", "reports:view"]
    );

    let view_only = create(
        &app,
        json!({"kind": "wallet", "id": "viewer", "roles": ["reports:view"]}),
    )
    .await;
    assert_eq!(view_only.status, StatusCode::CREATED);
    assert_eq!(
        strings(&view_only.body["roles"]),
        ["reports:view"],
        "view alone is allowed"
    );
}

#[tokio::test]
async fn role_01_malformed_wallet_roles_are_400() {
    let app = spawn().await;
    for (case, role) in [
        ("an unknown resource", "wallets:view"),
        ("an unknown level", "accounts:edit"),
        ("no level", "accounts"),
        ("upper case", "Accounts:View"),
        ("an admin_api role", "MERCHANT_ADMIN"),
    ] {
        let reply = create(
            &app,
            json!({"kind": "wallet", "id": "r", "roles": ["accounts:view", role]}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "roles[1]", case);
    }
}

#[tokio::test]
async fn role_04_an_admin_api_role_outside_the_catalogue_is_400() {
    let app = spawn().await;
    for (case, role) in [
        ("an unknown role", "ROOT"),
        ("wrong case", "merchant_admin"),
        ("a wallet role", "accounts:view"),
        ("empty", ""),
    ] {
        let reply = create(
            &app,
            json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", role]}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "roles[1]", case);
    }
    let (client_id, _) = app.admin_api_client(json!({})).await;
    let edited = edit(&app, &client_id, json!({"roles": ["SUPERUSER"]})).await;
    assert_refused(
        &edited,
        "invalid_client_metadata",
        "roles[0]",
        "an edit to an unknown role",
    );
    assert_eq!(
        strings(&fetch(&app, &client_id).await.body["roles"]),
        ["PAYMENTS_VIEW"]
    );
}

#[tokio::test]
async fn role_04_admin_api_roles_appear_as_authorities_in_introspection_and_check_token() {
    let app = spawn().await;
    let (client_id, secret) = app
        .admin_api_client(json!({"roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
        .await;
    let token = app.access_token(&client_id, &secret).await;

    let introspected = introspect(&app, (&client_id, &secret), &token).await;
    let checked = app
        .token_call("/oauth/check_token", &client_id, &secret, &token)
        .await;

    assert_eq!(introspected["active"], true);
    assert_eq!(
        strings(&introspected["authorities"]),
        ["PAYMENTS_VIEW", "REPORTS_VIEW"]
    );
    assert_eq!(checked.status(), StatusCode::OK);
    let checked: Value = checked.json().await.expect("json");
    assert_eq!(
        strings(&checked["authorities"]),
        ["PAYMENTS_VIEW", "REPORTS_VIEW"]
    );
}
