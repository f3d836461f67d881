//! Redeeming authorization codes at the token endpoint (TOKEN-CODE-*, IP-02, BEARER-07,
//! identity/me), and 64 redemptions of one code racing.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{
    Browser, SHOP_CB, VERIFIER, code_query, exchange, form_encode_pair, grant_error, member,
};
use crate::helpers::{TestServer, form_encode, spawn, spawn_strict};

const LISTED: &str = "127.0.0.2";
const HOME: &str = "127.0.0.1";

async fn shop(app: &TestServer) -> (String, String) {
    app.code_client(&[SHOP_CB]).await
}

async fn refresh_error(app: &TestServer, id: &str, secret: &str, refresh_token: &str) -> String {
    grant_error(app.refresh(id, secret, refresh_token, "").await).await
}

#[tokio::test]
async fn token_code_01_code_and_same_redirect_uri_give_access_refresh_and_scope() {
    for app in [spawn().await, spawn_strict().await] {
        let (id, secret) = shop(&app).await;
        let browser = Browser::new(&app);
        let code = app.s256_code(&browser, &id, "scope=profile+email").await;

        let response = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer", "{body}");
        assert!(body["expires_in"].as_i64().unwrap() > 0, "{body}");
        assert_ne!(
            member(&body, "access_token"),
            member(&body, "refresh_token")
        );
        assert_eq!(body["scope"], "email profile", "{body}");
    }
}

#[tokio::test]
async fn token_code_02_a_used_or_never_issued_code_is_invalid_grant() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let code = app.s256_code(&Browser::new(&app), &id, "").await;
    let first = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;
    assert_eq!(first.status(), StatusCode::OK);

    let again = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;
    let invented = app
        .redeem(&id, &secret, "never-issued-0123456789", &exchange(SHOP_CB))
        .await;

    assert_eq!(grant_error(again).await, "invalid_grant");
    assert_eq!(grant_error(invented).await, "invalid_grant");
}

#[tokio::test]
async fn token_code_03_reuse_revokes_what_the_first_redemption_obtained() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let code = app.s256_code(&Browser::new(&app), &id, "").await;
    let first = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;
    let tokens: Value = first.json().await.unwrap();
    let access = member(&tokens, "access_token");
    assert_eq!(
        app.introspect_as(&id, &secret, access).await["active"],
        true
    );

    let replay = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;

    assert_eq!(grant_error(replay).await, "invalid_grant");
    assert_eq!(
        app.introspect_as(&id, &secret, access).await,
        json!({"active": false})
    );
    let refresh_token = member(&tokens, "refresh_token");
    assert_eq!(
        refresh_error(&app, &id, &secret, refresh_token).await,
        "invalid_grant"
    );
}

#[tokio::test]
async fn token_code_04_another_clients_code_is_invalid_grant() {
    let app = spawn().await;
    let (id, _) = shop(&app).await;
    let (other, other_secret) = shop(&app).await;
    let code = app.s256_code(&Browser::new(&app), &id, "").await;

    let response = app
        .redeem(&other, &other_secret, &code, &exchange(SHOP_CB))
        .await;

    assert_eq!(grant_error(response).await, "invalid_grant");
}

#[tokio::test]
async fn token_code_05_redirect_uri_must_repeat_the_authorization_requests_string() {
    let app = spawn().await;
    let (id, secret) = app
        .code_client(&[SHOP_CB, "https://shop.example/other"])
        .await;
    let browser = Browser::new(&app);
    let with_query = format!("{SHOP_CB}?order=42");
    let authorize = |redirect_uri: &str| {
        code_query(
            &id,
            redirect_uri,
            &format!(
                "code_challenge={}&code_challenge_method=S256",
                crate::browser::CHALLENGE
            ),
        )
    };
    let verifier = form_encode_pair("code_verifier", VERIFIER);
    let cases = [
        (
            SHOP_CB.to_owned(),
            "https://shop.example/other",
            "invalid_grant",
        ),
        (with_query.clone(), SHOP_CB, "invalid_grant"),
        (
            with_query.clone(),
            "https://shop.example/cb?order=43",
            "invalid_grant",
        ),
        (
            with_query.clone(),
            "https://shop.example/cb?order=42&x=1",
            "invalid_grant",
        ),
        (
            SHOP_CB.to_owned(),
            "https://shop.example/cb/",
            "invalid_grant",
        ),
    ];
    for (requested, presented, error) in cases {
        let code = browser.code(&authorize(&requested)).await;

        let response = app
            .redeem(
                &id,
                &secret,
                &code,
                &format!("{}&{verifier}", form_encode_pair("redirect_uri", presented)),
            )
            .await;

        assert_eq!(
            grant_error(response).await,
            error,
            "{requested} → {presented}"
        );
    }

    let code = browser.code(&authorize(&with_query)).await;
    let omitted = app.redeem(&id, &secret, &code, &verifier).await;
    let error = grant_error(omitted).await;
    assert!(
        error == "invalid_request" || error == "invalid_grant",
        "omitted: {error}"
    );

    let code = browser.code(&authorize(&with_query)).await;
    let exact = app
        .redeem(&id, &secret, &code, &exchange(&with_query))
        .await;
    assert_eq!(
        exact.status(),
        StatusCode::OK,
        "the exact string, query kept"
    );
}

#[tokio::test]
async fn token_code_05_redirect_uri_omitted_in_both_requests_with_one_registration() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let browser = Browser::new(&app);
    let query = format!(
        "response_type=code&client_id={}&code_challenge={}&code_challenge_method=S256",
        form_encode(&id),
        crate::browser::CHALLENGE
    );
    let code = browser.code(&query).await;

    let response = app
        .redeem(
            &id,
            &secret,
            &code,
            &form_encode_pair("code_verifier", VERIFIER),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_code_06_a_code_lives_sixty_seconds() {
    let app = spawn().await;
    app.set_clock("2026-03-01T12:00:00Z").await;
    let (id, secret) = shop(&app).await;
    let browser = Browser::new(&app);
    let early = app.s256_code(&browser, &id, "").await;
    let late = app.s256_code(&browser, &id, "").await;

    app.advance_clock(59).await;
    let at_59 = app.redeem(&id, &secret, &early, &exchange(SHOP_CB)).await;
    app.advance_clock(2).await;
    let at_61 = app.redeem(&id, &secret, &late, &exchange(SHOP_CB)).await;

    assert_eq!(at_59.status(), StatusCode::OK, "at issue + 59 s");
    assert_eq!(grant_error(at_61).await, "invalid_grant", "at issue + 61 s");
}

#[tokio::test]
async fn token_code_07_a_failed_redemption_spends_the_code() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let (other, other_secret) = shop(&app).await;
    let browser = Browser::new(&app);
    let wrong_verifier = VERIFIER.replace('d', "e");
    let failures: [(&str, &str, String); 3] = [
        ("another client", other.as_str(), exchange(SHOP_CB)),
        (
            "a wrong redirect_uri",
            id.as_str(),
            format!(
                "{}&{}",
                form_encode_pair("redirect_uri", "https://shop.example/cb?x=1"),
                form_encode_pair("code_verifier", VERIFIER)
            ),
        ),
        (
            "a wrong verifier",
            id.as_str(),
            format!(
                "{}&{}",
                form_encode_pair("redirect_uri", SHOP_CB),
                form_encode_pair("code_verifier", &wrong_verifier)
            ),
        ),
    ];
    for (case, by, params) in failures {
        let code = app.s256_code(&browser, &id, "").await;
        let by_secret = if by == id { &secret } else { &other_secret };
        let failed = app.redeem(by, by_secret, &code, &params).await;
        assert_eq!(grant_error(failed).await, "invalid_grant", "{case}");

        let legitimate = app.redeem(&id, &secret, &code, &exchange(SHOP_CB)).await;

        assert_eq!(
            grant_error(legitimate).await,
            "invalid_grant",
            "after {case}, the code is spent"
        );
    }
}

#[tokio::test]
async fn token_code_racing_64_redemptions_of_one_code_have_exactly_one_winner() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let code = app.s256_code(&Browser::new(&app), &id, "").await;
    let params = exchange(SHOP_CB);

    let answers = join_all((0..64).map(|_| app.redeem(&id, &secret, &code, &params))).await;

    let mut winners = Vec::new();
    for response in answers {
        match response.status() {
            StatusCode::OK => winners.push(response.json::<Value>().await.unwrap()),
            _ => assert_eq!(grant_error(response).await, "invalid_grant"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    // The losers were reuse attempts: the winner's tokens are revoked (TOKEN-CODE-03).
    let access = member(&winners[0], "access_token");
    assert_eq!(
        app.introspect_as(&id, &secret, access).await["active"],
        false
    );
}

#[tokio::test]
async fn ip_02_code_and_refresh_grants_only_from_a_listed_address() {
    let app = spawn().await;
    let (id, secret) = app
        .code_client_with(json!({"redirect_urls": [SHOP_CB], "ip_whitelist": [LISTED]}))
        .await;
    // The authorization endpoint is the browser's call: any address (IP-04).
    let code = app.s256_code(&Browser::new(&app), &id, "").await;
    let from = |source: &str, body: String| {
        app.post_form_from(source, "/oauth/token", &body)
            .basic_auth(form_encode(&id), Some(form_encode(&secret)))
            .send()
    };
    let code_body = format!(
        "grant_type=authorization_code&code={}&{}",
        form_encode(&code),
        exchange(SHOP_CB)
    );

    let refused = from(HOME, code_body.clone()).await.unwrap();
    let (status, body) = crate::helpers::json_of(refused).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "code grant from 127.0.0.1: {body}"
    );
    assert_eq!(body["error"], "invalid_client");
    // A refused client never reached the code, so it is still good from the listed address.
    let granted = from(LISTED, code_body).await.unwrap();
    assert_eq!(
        granted.status(),
        StatusCode::OK,
        "code grant from 127.0.0.2"
    );
    let tokens: Value = granted.json().await.unwrap();
    let refresh_body = format!(
        "grant_type=refresh_token&{}",
        form_encode_pair("refresh_token", member(&tokens, "refresh_token"))
    );

    let refused = from(HOME, refresh_body.clone()).await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "refresh from 127.0.0.1"
    );
    let granted = from(LISTED, refresh_body).await.unwrap();
    assert_eq!(granted.status(), StatusCode::OK, "refresh from 127.0.0.2");
}

#[tokio::test]
async fn bearer_07_a_refresh_token_or_a_code_is_not_a_bearer_token() {
    let app = spawn().await;
    let (id, secret) = shop(&app).await;
    let tokens = app.user_tokens(&id, &secret, "").await;
    let unused_code = app.s256_code(&Browser::new(&app), &id, "").await;

    for (what, credential) in [
        ("refresh token", member(&tokens, "refresh_token")),
        ("code", unused_code.as_str()),
    ] {
        let response = app
            .request(Method::GET, "/resources/identity/me")
            .bearer_auth(credential)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{what}: {challenge}"
        );
    }
}

/// `GET /resources/identity/me` with the access token of a code client holding `resource_ids`.
async fn identity_me(resource_ids: &[&str], scope: &str) -> (String, reqwest::Response) {
    let app = spawn().await;
    let (id, secret) = app
        .code_client_with(json!({"redirect_urls": [SHOP_CB], "resource_ids": resource_ids}))
        .await;
    let tokens = app.user_tokens(&id, &secret, scope).await;
    let response = app
        .request(Method::GET, "/resources/identity/me")
        .bearer_auth(member(&tokens, "access_token"))
        .send()
        .await
        .unwrap();
    (id, response)
}

#[tokio::test]
async fn identity_me_names_the_end_user_behind_an_identity_api_token() {
    let (id, response) = identity_me(&["identity_api"], "profile").await;

    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "test-user");
    assert_eq!(me["client_id"], id.as_str());
    assert_eq!(me["scope"], "profile");
    assert!(me["sub"].is_string(), "{me}");
}

#[tokio::test]
async fn identity_me_refuses_a_token_whose_audience_lacks_identity_api() {
    let (_, response) = identity_me(&["backoffice_api"], "").await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
