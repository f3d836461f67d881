//! The whole authorization code flow, once, as an integrator would run it.

use reqwest::StatusCode;
use serde_json::Value;

use crate::browser::{Browser, CHALLENGE, VERIFIER, code_query, form_encode_pair};
use crate::helpers::{form_encode, spawn};

#[tokio::test]
async fn authz_req_01_and_token_code_01_the_whole_flow() {
    let app = spawn().await;
    let (client_id, secret) = app.code_client(&["https://shop.example/cb"]).await;
    let browser = Browser::new(&app);
    let query = code_query(
        &client_id,
        "https://shop.example/cb",
        &format!("scope=profile&state=s-1&code_challenge={CHALLENGE}&code_challenge_method=S256"),
    );

    let location = browser.approve(&query).await;

    assert!(
        location.starts_with("https://shop.example/cb?code="),
        "{location}"
    );
    assert_eq!(
        crate::browser::query_param(&location, "state").as_deref(),
        Some("s-1")
    );
    let code = crate::browser::query_param(&location, "code").unwrap();
    let response = app
        .redeem(
            &client_id,
            &secret,
            &code,
            &format!(
                "redirect_uri={}&{}",
                form_encode("https://shop.example/cb"),
                form_encode_pair("code_verifier", VERIFIER)
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["access_token"].is_string() && body["refresh_token"].is_string(),
        "{body}"
    );
    assert_eq!(body["scope"], "profile");
    let me: Value = app
        .request(reqwest::Method::GET, "/resources/identity/me")
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "test-user");
}
