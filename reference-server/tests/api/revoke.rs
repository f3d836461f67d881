//! RFC 7009 token revocation (REVOKE-*).
//!
//! REVOKE-02 (revoking a refresh token) and REVOKE-03 (its grant's access tokens die with it)
//! need refresh tokens, which come with the authorization code flow in the next issue.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestServer, form_encode, json_of, spawn};

const REVOKE: &str = "/oauth/revoke";

async fn revoke_with(
    app: &TestServer,
    caller: (&str, &str),
    token: &str,
    extra: &str,
) -> StatusCode {
    let mut body = format!("token={}", form_encode(token));
    if !extra.is_empty() {
        body.push('&');
        body.push_str(extra);
    }
    app.post_form(REVOKE, &body)
        .basic_auth(form_encode(caller.0), Some(form_encode(caller.1)))
        .send()
        .await
        .unwrap()
        .status()
}

async fn is_active(app: &TestServer, owner: (&str, &str), token: &str) -> bool {
    let (status, body) = json_of(
        app.token_call("/oauth/introspect", owner.0, owner.1, token)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "introspection answers");
    body["active"] == Value::Bool(true)
}

#[tokio::test]
async fn revoke_01_live_access_token_is_revoked_with_or_without_hint() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;

    for hint in ["", "token_type_hint=access_token"] {
        let token = app.access_token(&id, &secret).await;

        let status = revoke_with(&app, (&id, &secret), &token, hint).await;
        let active = is_active(&app, (&id, &secret), &token).await;
        let resource = app
            .request(Method::GET, "/resources/backoffice/orders")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();

        assert_eq!(status, StatusCode::OK, "hint {hint:?}");
        assert!(!active, "hint {hint:?}: introspection says inactive");
        assert_eq!(
            resource.status(),
            StatusCode::UNAUTHORIZED,
            "hint {hint:?}: the resource refuses it"
        );
        let challenge = resource.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "hint {hint:?}: {challenge}"
        );
    }
}

#[tokio::test]
async fn revoke_01_answer_is_not_cacheable() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;

    let response = app.token_call(REVOKE, &id, &secret, &token).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn revoke_04_garbage_already_revoked_and_expired_tokens_are_200() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let revoked = app.access_token(&id, &secret).await;
    assert_eq!(
        revoke_with(&app, (&id, &secret), &revoked, "").await,
        StatusCode::OK
    );
    let expired = app.access_token(&id, &secret).await;
    app.advance_clock(3600).await;
    assert!(!is_active(&app, (&id, &secret), &expired).await, "expired");

    for (what, token) in [
        ("garbage", "garbage"),
        ("already revoked", revoked.as_str()),
        ("expired", expired.as_str()),
    ] {
        let status = revoke_with(&app, (&id, &secret), token, "").await;

        assert_eq!(status, StatusCode::OK, "{what}");
    }
}

#[tokio::test]
async fn revoke_04_unknown_or_wrong_hint_still_revokes() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;

    for hint in ["token_type_hint=foo", "token_type_hint=refresh_token"] {
        let token = app.access_token(&id, &secret).await;

        let status = revoke_with(&app, (&id, &secret), &token, hint).await;

        assert_eq!(status, StatusCode::OK, "{hint}");
        assert!(
            !is_active(&app, (&id, &secret), &token).await,
            "{hint}: the token is revoked"
        );
    }
}

#[tokio::test]
async fn revoke_05_no_or_wrong_client_authentication_is_401_and_token_stays_active() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;
    let body = format!("token={}", form_encode(&token));

    let cases = [
        ("no authentication", app.post_form(REVOKE, &body)),
        (
            "client_id only",
            app.post_form(REVOKE, &format!("{body}&client_id={id}")),
        ),
        (
            "wrong secret",
            app.post_form(REVOKE, &body)
                .basic_auth(&id, Some("wrong-secret")),
        ),
    ];
    for (what, request) in cases {
        let response = request.send().await.unwrap();
        let (status, json) = json_of(response).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(json["error"], "invalid_client", "{what}");
        assert!(
            is_active(&app, (&id, &secret), &token).await,
            "{what}: the token stays active"
        );
    }
}

#[tokio::test]
async fn revoke_06_another_clients_token_gets_200_and_stays_active() {
    // The row's code-client and code-client-2 need the code flow; two client_credentials
    // clients show the same ownership rule.
    let app = spawn().await;
    let (owner, owner_secret) = app.admin_api_client(json!({})).await;
    let (other, other_secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&owner, &owner_secret).await;

    let status = revoke_with(&app, (&other, &other_secret), &token, "").await;

    assert_eq!(
        status,
        StatusCode::OK,
        "the answer reveals nothing (AMB-28)"
    );
    assert!(
        is_active(&app, (&owner, &owner_secret), &token).await,
        "the token stays active"
    );
}

#[tokio::test]
async fn revoke_07_post_without_token_is_400_invalid_request() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;

    for body in ["", "token_type_hint=access_token"] {
        let response = app
            .post_form(REVOKE, body)
            .basic_auth(&id, Some(&secret))
            .send()
            .await
            .unwrap();
        let (status, json) = json_of(response).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "body {body:?}");
        assert_eq!(json["error"], "invalid_request", "body {body:?}");
    }
}

#[tokio::test]
async fn revoke_08_get_is_405_also_jsonp_style_and_revokes_nothing() {
    let app = spawn().await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;
    let encoded = form_encode(&token);

    for query in [
        format!("token={encoded}"),
        format!("token={encoded}&callback=package.myCallback"),
    ] {
        let response = app
            .request(Method::GET, &format!("{REVOKE}?{query}"))
            .basic_auth(&id, Some(&secret))
            .send()
            .await
            .unwrap();

        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "GET ?{query}"
        );
        assert_eq!(response.headers()["allow"], "POST");
        let text = response.text().await.unwrap();
        assert!(!text.contains("myCallback"), "no JSONP wrapper: {text}");
    }
    assert!(
        is_active(&app, (&id, &secret), &token).await,
        "GET revoked nothing"
    );
}
