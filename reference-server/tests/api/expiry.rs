//! Wallet client expiry (EXP-02 to EXP-04): the expiry date is inclusive in UTC, tokens never
//! outlive their client, and an expired client is refused everywhere it authenticates.
//! Every instant comes from the test clock.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestServer, json_of, spawn};

const EXPIRY_DATE: &str = "2030-06-15";
const BEFORE: &str = "2030-06-01T00:00:00Z";
const LAST_SECOND: &str = "2030-06-15T23:59:59Z";
const HALF_HOUR_LEFT: &str = "2030-06-15T23:30:00Z";
const CUT_OFF: &str = "2030-06-16T00:00:00Z";
const GENERIC: &str = "client authentication failed";

/// A server whose clock stands before the expiry date, and a wallet expiring on it.
async fn expiring_wallet() -> (TestServer, String, String) {
    let app = spawn().await;
    app.set_clock(BEFORE).await;
    let (view, secret) = app
        .create_client(json!({"kind": "wallet", "id": "expiring", "roles": ["accounts:view"], "expiry_date": EXPIRY_DATE}))
        .await;
    assert_eq!(view["expiry_date"], EXPIRY_DATE);
    (
        app,
        view["client_id"].as_str().expect("id").to_owned(),
        secret,
    )
}

/// A resource server for the wallet API, which may inspect the wallet's tokens (AMB-33).
async fn wallet_resource_server(app: &TestServer) -> (String, String) {
    let (view, secret) = app
        .create_client(json!({"kind": "resource_server", "resource_ids": ["wallet_api"]}))
        .await;
    (view["client_id"].as_str().expect("id").to_owned(), secret)
}

async fn assert_invalid_client(response: reqwest::Response, description: &str, case: &str) {
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
    assert_eq!(body["error"], "invalid_client", "{case}");
    assert_eq!(body["error_description"], description, "{case}");
}

#[tokio::test]
async fn exp_02_expiry_date_is_inclusive_in_utc() {
    let (app, id, secret) = expiring_wallet().await;

    app.set_clock(LAST_SECOND).await;
    let last_second = app.client_credentials(&id, &secret, "").await;
    app.set_clock(CUT_OFF).await;
    let right_secret = app.client_credentials(&id, &secret, "").await;
    let wrong_secret = app.client_credentials(&id, "wrong-secret", "").await;

    let (status, body) = json_of(last_second).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "23:59:59Z on the expiry date: {body}"
    );
    assert_invalid_client(
        right_secret,
        "client expired",
        "00:00:00Z the next day, right secret",
    )
    .await;
    assert_invalid_client(
        wrong_secret,
        GENERIC,
        "00:00:00Z the next day, wrong secret: no reason given",
    )
    .await;
}

#[tokio::test]
async fn exp_03_tokens_never_outlive_their_client() {
    let (app, id, secret) = expiring_wallet().await;
    let (rs, rs_secret) = wallet_resource_server(&app).await;

    app.set_clock(HALF_HOUR_LEFT).await;
    let (status, body) = json_of(app.client_credentials(&id, &secret, "").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().expect("token").to_owned();
    let (_, alive) = json_of(
        app.token_call("/oauth/introspect", &rs, &rs_secret, &token)
            .await,
    )
    .await;
    app.set_clock(CUT_OFF).await;
    let introspection = app
        .token_call("/oauth/introspect", &rs, &rs_secret, &token)
        .await;
    let check = app
        .token_call("/oauth/check_token", &rs, &rs_secret, &token)
        .await;

    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!(
        expires_in <= 1_800,
        "30 minutes before the cut-off, expires_in {expires_in} > 1800"
    );
    assert_eq!(
        expires_in, 1_800,
        "the reference caps exp at the cut-off exactly"
    );
    assert_eq!(
        alive["active"], true,
        "before the cut-off the token is alive: {alive}"
    );
    let (status, body) = json_of(introspection).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"active": false}),
        "introspection after the cut-off"
    );
    let (status, body) = json_of(check).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "check_token after the cut-off: {body}"
    );
    assert_eq!(body["error"], "invalid_token");
}

// Wallets have no refresh tokens (client_credentials only), so EXP-04's refresh case belongs
// to the one_click clients of the next issue, which have no expiry date.
#[tokio::test]
async fn exp_04_an_expired_client_is_refused_as_a_caller() {
    let (app, id, secret) = expiring_wallet().await;
    app.set_clock(LAST_SECOND).await;
    let token = app.access_token(&id, &secret).await;

    app.set_clock(CUT_OFF).await;
    for path in ["/oauth/introspect", "/oauth/check_token", "/oauth/revoke"] {
        let right_secret = app.token_call(path, &id, &secret, &token).await;
        let wrong_secret = app.token_call(path, &id, "wrong-secret", &token).await;

        assert_invalid_client(
            right_secret,
            "client expired",
            &format!("{path}, right secret"),
        )
        .await;
        assert_invalid_client(wrong_secret, GENERIC, &format!("{path}, wrong secret")).await;
    }
    // Back before the cut-off, the token is still there: the refused revocation did nothing.
    app.set_clock(LAST_SECOND).await;
    let (_, body): (StatusCode, Value) = json_of(
        app.token_call("/oauth/introspect", &id, &secret, &token)
            .await,
    )
    .await;
    assert_eq!(
        body["active"], true,
        "the refused revocation left the token alive: {body}"
    );
}
