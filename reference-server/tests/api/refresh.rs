//! Refresh tokens (TOKEN-RT-*), seen from introspection and revocation (INTROSPECT-06,
//! REVOKE-02, REVOKE-03), after New Secret (ADMIN-04), and 64 uses of one token racing.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{SHOP_CB, grant_error, member};
use crate::helpers::{TestServer, spawn};

const INACTIVE: fn() -> Value = || json!({"active": false});

async fn shop(app: &TestServer) -> (String, String) {
    app.code_client(&[SHOP_CB]).await
}

/// A refresh answered 200; its body.
async fn refreshed(app: &TestServer, id: &str, secret: &str, token: &str, extra: &str) -> Value {
    let response = app.refresh(id, secret, token, extra).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "refresh: {body}");
    body
}

#[tokio::test]
async fn token_rt_01_a_refresh_token_buys_a_new_access_token() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "profile").await;

    let body = refreshed(&app, &id, &secret, member(&tokens, "refresh_token"), "").await;

    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "profile");
    let access = member(&body, "access_token");
    assert_ne!(access, member(&tokens, "access_token"));
    let view = app.introspect_as(&id, &secret, access).await;
    assert_eq!(view["active"], true, "{view}");
    assert_eq!(view["username"], "test-user", "the same end user: {view}");
}

#[tokio::test]
async fn token_rt_01_without_a_refresh_token_is_invalid_request() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;

    let response = app
        .post_form("/oauth/token", "grant_type=refresh_token")
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();

    assert_eq!(grant_error(response).await, "invalid_request");
}

#[tokio::test]
async fn token_rt_02_another_clients_refresh_token_is_invalid_grant_and_stays_good() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let (other, other_secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;
    let token = member(&tokens, "refresh_token");

    let stolen = app.refresh(&other, &other_secret, token, "").await;

    assert_eq!(grant_error(stolen).await, "invalid_grant");
    refreshed(&app, &id, &secret, token, "").await;
}

#[tokio::test]
async fn token_rt_02_a_client_credentials_token_is_not_a_refresh_token() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;

    let response = app
        .refresh(&id, &secret, member(&tokens, "access_token"), "")
        .await;

    assert_eq!(grant_error(response).await, "invalid_grant");
}

#[tokio::test]
async fn token_rt_03_a_wider_scope_is_invalid_scope() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "profile").await;
    let token = member(&tokens, "refresh_token");

    for scope in ["profile+email", "email", "profile+unknown"] {
        let response = app
            .refresh(&id, &secret, token, &format!("scope={scope}"))
            .await;

        assert_eq!(grant_error(response).await, "invalid_scope", "{scope}");
    }
    // A refused scope does not spend the token.
    refreshed(&app, &id, &secret, token, "").await;
}

#[tokio::test]
async fn token_rt_04_a_narrower_scope_narrows_the_access_token_not_the_grant() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "profile email").await;

    let narrow = refreshed(
        &app,
        &id,
        &secret,
        member(&tokens, "refresh_token"),
        "scope=email",
    )
    .await;

    assert_eq!(narrow["scope"], "email");
    let view = app
        .introspect_as(&id, &secret, member(&narrow, "access_token"))
        .await;
    assert_eq!(view["scope"], "email", "{view}");
    let full = refreshed(
        &app,
        &id,
        &secret,
        member(&narrow, "refresh_token"),
        "scope=profile+email",
    )
    .await;
    assert_eq!(full["scope"], "email profile");
}

#[tokio::test]
async fn token_rt_05_rotation_and_replay_revokes_the_family() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;
    let first = member(&tokens, "refresh_token");
    let second = refreshed(&app, &id, &secret, first, "").await;
    let third = refreshed(&app, &id, &secret, member(&second, "refresh_token"), "").await;
    let newest = member(&third, "refresh_token");
    assert!(
        [first, member(&second, "refresh_token")]
            .iter()
            .all(|old| *old != newest),
        "every refresh returns a new refresh token"
    );

    let replay = app.refresh(&id, &secret, first, "").await;

    assert_eq!(
        grant_error(replay).await,
        "invalid_grant",
        "the rotated token"
    );
    let after = app.refresh(&id, &secret, newest, "").await;
    assert_eq!(
        grant_error(after).await,
        "invalid_grant",
        "the family is revoked"
    );
    for access in [&tokens, &second, &third].map(|t| member(t, "access_token")) {
        assert_eq!(app.introspect_as(&id, &secret, access).await, INACTIVE());
    }
}

#[tokio::test]
async fn token_rt_05_another_family_survives_a_replay() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let mine = app.user_tokens(&id, &secret, "").await;
    let theirs = app.user_tokens(&id, &secret, "").await;
    let rotated = member(&mine, "refresh_token");
    refreshed(&app, &id, &secret, rotated, "").await;

    let replay = app.refresh(&id, &secret, rotated, "").await;

    assert_eq!(grant_error(replay).await, "invalid_grant");
    refreshed(&app, &id, &secret, member(&theirs, "refresh_token"), "").await;
}

#[tokio::test]
async fn token_rt_06_validity_per_client_and_a_fresh_period_per_rotation() {
    let app = spawn().await;
    app.set_clock("2026-03-01T12:00:00Z").await;
    let validity = 3600;
    let (id, secret) = app
        .code_client_with(json!({
            "redirect_urls": [SHOP_CB],
            "refresh_token_validity_seconds": validity,
        }))
        .await;
    let used = app.user_tokens(&id, &secret, "").await;
    let idle = app.user_tokens(&id, &secret, "").await;

    app.advance_clock(validity - 1).await;
    let rotated = refreshed(&app, &id, &secret, member(&used, "refresh_token"), "").await;
    app.advance_clock(2).await;
    let expired = app
        .refresh(&id, &secret, member(&idle, "refresh_token"), "")
        .await;

    assert_eq!(
        grant_error(expired).await,
        "invalid_grant",
        "issue + validity + 1 s"
    );
    // The rotated token was issued at validity − 1 s: its own period runs.
    let latest = member(&rotated, "refresh_token");
    assert_eq!(
        app.introspect_as(&id, &secret, latest).await["active"],
        true
    );
    app.advance_clock(validity - 1).await;
    assert_eq!(
        app.introspect_as(&id, &secret, latest).await["active"],
        false
    );
    let after_idle = app.refresh(&id, &secret, latest, "").await;
    assert_eq!(
        grant_error(after_idle).await,
        "invalid_grant",
        "unused for validity + 1 s"
    );
}

#[tokio::test]
async fn introspect_06_a_refresh_token_is_active_until_rotated_or_revoked() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "profile").await;
    let token = member(&tokens, "refresh_token");

    let live = app.introspect_as(&id, &secret, token).await;
    assert_eq!(live["active"], true, "{live}");
    assert_eq!(live["client_id"], id.as_str());
    assert_eq!(live["scope"], "profile");

    let next = refreshed(&app, &id, &secret, token, "").await;
    assert_eq!(
        app.introspect_as(&id, &secret, token).await,
        INACTIVE(),
        "rotated"
    );
    let newest = member(&next, "refresh_token");
    let revoked = app.token_call("/oauth/revoke", &id, &secret, newest).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        app.introspect_as(&id, &secret, newest).await,
        INACTIVE(),
        "revoked"
    );
}

#[tokio::test]
async fn revoke_02_and_03_a_revoked_refresh_token_takes_its_access_tokens_with_it() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;
    let token = member(&tokens, "refresh_token");
    let second = refreshed(&app, &id, &secret, token, "").await;
    let newest = member(&second, "refresh_token");

    let response = app
        .post_form(
            "/oauth/revoke",
            &format!(
                "token={}&token_type_hint=refresh_token",
                crate::helpers::form_encode(newest)
            ),
        )
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK, "REVOKE-02");
    let refresh = app.refresh(&id, &secret, newest, "").await;
    assert_eq!(grant_error(refresh).await, "invalid_grant", "REVOKE-02");
    for access in [&tokens, &second].map(|t| member(t, "access_token")) {
        assert_eq!(
            app.introspect_as(&id, &secret, access).await,
            INACTIVE(),
            "REVOKE-03"
        );
    }
}

async fn new_secret(app: &TestServer, id: &str, body: Value) -> String {
    let response = app
        .admin(Method::POST, &format!("/admin/clients/{id}/secret"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let view: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{view}");
    member(&view, "client_secret").to_owned()
}

#[tokio::test]
async fn admin_04_after_new_secret_refresh_tokens_work_only_with_the_new_secret() {
    let app = spawn().await;
    let (id, old_secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &old_secret, "").await;
    let token = member(&tokens, "refresh_token");

    let secret = new_secret(&app, &id, json!({})).await;

    let with_old = app.refresh(&id, &old_secret, token, "").await;
    assert_eq!(with_old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.introspect_as(&id, &secret, member(&tokens, "access_token"))
            .await["active"],
        true,
        "earlier access tokens live on"
    );
    refreshed(&app, &id, &secret, token, "").await;
}

#[tokio::test]
async fn admin_04_new_secret_with_revoke_tokens_kills_refresh_tokens_and_codes() {
    let app = spawn().await;
    let (id, old_secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &old_secret, "").await;
    let code = app
        .s256_code(&crate::browser::Browser::new(&app), &id, "")
        .await;

    let secret = new_secret(&app, &id, json!({"revoke_tokens": true})).await;

    let refresh = app
        .refresh(&id, &secret, member(&tokens, "refresh_token"), "")
        .await;
    assert_eq!(grant_error(refresh).await, "invalid_grant", "refresh token");
    for name in ["access_token", "refresh_token"] {
        let view = app.introspect_as(&id, &secret, member(&tokens, name)).await;
        assert_eq!(view, INACTIVE(), "{name}");
    }
    let redeem = app
        .redeem(&id, &secret, &code, &crate::browser::exchange(SHOP_CB))
        .await;
    assert_eq!(
        grant_error(redeem).await,
        "invalid_grant",
        "the pending code"
    );
}

#[tokio::test]
async fn token_rt_racing_64_uses_of_one_refresh_token_have_exactly_one_winner() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;
    let token = member(&tokens, "refresh_token");

    let answers = join_all((0..64).map(|_| app.refresh(&id, &secret, token, ""))).await;

    let mut winners = Vec::new();
    for response in answers {
        match response.status() {
            StatusCode::OK => winners.push(response.json::<Value>().await.unwrap()),
            _ => assert_eq!(grant_error(response).await, "invalid_grant"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one use wins");
    // The other uses were replays: the family, the winner's new tokens included, is revoked.
    let winner = &winners[0];
    for name in ["access_token", "refresh_token"] {
        let view = app.introspect_as(&id, &secret, member(winner, name)).await;
        assert_eq!(view, INACTIVE(), "the winner's {name}");
    }
}
