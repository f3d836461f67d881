//! Spring Security OAuth's `/oauth/check_token`, vendor profile only (CHECK-*, AMB-27).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{form_encode, json_of, spawn, spawn_strict};

const CHECK_TOKEN: &str = "/oauth/check_token";

#[tokio::test]
async fn check_01_live_token_gives_spring_shape_with_array_scope_and_aud() {
    let app = spawn().await;
    let (id, secret) = app
        .admin_api_client(json!({"roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
        .await;
    let token = app.access_token(&id, &secret).await;

    let response = app.token_call(CHECK_TOKEN, &id, &secret, &token).await;
    let cache_control = response.headers().get("cache-control").cloned();
    let (status, body) = json_of(response).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache_control.unwrap(), "no-store");
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], id.as_str());
    assert!(body["exp"].is_i64(), "exp in epoch seconds: {body}");
    assert!(body["scope"].is_array(), "scope is an array: {body}");
    assert_eq!(body["aud"], json!(["backoffice_api"]));
    assert!(
        body.get("user_name").is_none(),
        "a client token has no user_name (user tokens come with the code flow, next issue)"
    );
    insta::assert_json_snapshot!("check_token_success", body, {
        ".exp" => "[exp]",
        ".client_id" => "[client_id]",
    });
}

#[tokio::test]
async fn check_01_wallet_token_scope_is_an_array_of_its_roles() {
    let app = spawn().await;
    let (id, secret) = app.wallet("checker", &["reports:change"]).await;
    let token = app.access_token(&id, &secret).await;

    let (status, body) = json_of(app.token_call(CHECK_TOKEN, &id, &secret, &token).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], json!(["reports:change", "reports:view"]));
    assert_eq!(body["aud"], json!(["wallet_api"]));
}

#[tokio::test]
async fn check_02_unknown_or_revoked_token_is_400_invalid_token() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let revoked = app.access_token(&id, &secret).await;
    let response = app
        .token_call("/oauth/revoke", &id, &secret, &revoked)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    for (what, token) in [("unknown", "no-such-token"), ("revoked", revoked.as_str())] {
        let (status, body) = json_of(app.token_call(CHECK_TOKEN, &id, &secret, token).await).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(body["error"], "invalid_token", "{what}");
        assert!(body["error_description"].is_string(), "{what}: {body}");
        assert!(body.get("active").is_none(), "{what}: not active:false");
        insta::assert_json_snapshot!("check_token_invalid_token", body);
    }
}

#[tokio::test]
async fn check_02_another_clients_token_is_invalid_token_for_the_caller() {
    // AMB-33 holds at check_token as at introspection.
    let app = spawn().await;
    let (owner, owner_secret) = app.admin_api_client(json!({})).await;
    let (other, other_secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&owner, &owner_secret).await;

    let (status, body) = json_of(
        app.token_call(CHECK_TOKEN, &other, &other_secret, &token)
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn check_01_resource_server_may_check_tokens_meant_for_it() {
    // AMB-33: the introspection rule, at check_token.
    let app = spawn().await;
    let (owner, owner_secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&owner, &owner_secret).await;
    let (view, rs_secret) = app
        .create_client(json!({"kind": "resource_server", "resource_ids": ["backoffice_api"]}))
        .await;
    let rs = view["client_id"].as_str().unwrap();

    let (status, body) = json_of(app.token_call(CHECK_TOKEN, rs, &rs_secret, &token).await).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["client_id"],
        owner.as_str(),
        "the token's client, not the caller"
    );
}

#[tokio::test]
async fn check_03_expired_token_is_400_invalid_token() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;

    app.advance_clock(3600).await;
    let (status, body) = json_of(app.token_call(CHECK_TOKEN, &id, &secret, &token).await).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn check_04_missing_or_wrong_basic_credentials_are_401_with_basic_challenge() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;
    let body = format!("token={}", form_encode(&token));

    let cases = [
        ("no credentials", app.post_form(CHECK_TOKEN, &body)),
        (
            "wrong secret",
            app.post_form(CHECK_TOKEN, &body)
                .basic_auth(&id, Some("wrong-secret")),
        ),
        (
            "unknown client",
            app.post_form(CHECK_TOKEN, &body)
                .basic_auth("nobody", Some(&secret)),
        ),
    ];
    for (what, request) in cases {
        let response = request.send().await.unwrap();
        let challenge = response.headers().get("www-authenticate").cloned();
        let (status, json) = json_of(response).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(
            challenge
                .expect("a challenge")
                .to_str()
                .unwrap()
                .starts_with("Basic "),
            "{what}: Basic challenge"
        );
        assert_eq!(json["error"], "invalid_client", "{what}");
    }
}

#[tokio::test]
async fn check_05_get_is_405_and_post_without_token_is_400_invalid_request() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;

    let get = app
        .request(
            Method::GET,
            &format!("{CHECK_TOKEN}?token={}", form_encode(&token)),
        )
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();
    let no_token = app
        .post_form(CHECK_TOKEN, "")
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();

    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "POST");
    let (status, body) = json_of(no_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn amb_27_strict_profile_has_no_check_token_endpoint() {
    let app = spawn_strict().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;

    let post = app.token_call(CHECK_TOKEN, &id, &secret, &token).await;
    let get = app.request(Method::GET, CHECK_TOKEN).send().await.unwrap();

    assert_eq!(post.status(), StatusCode::NOT_FOUND, "POST");
    assert_eq!(get.status(), StatusCode::NOT_FOUND, "GET");
}
