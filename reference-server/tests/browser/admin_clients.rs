//! Admin > API clients (seeds 000 and 001), followed word for word: **Action → New Client**,
//! the fields, the settings page with the secret shown once and **Show**, **New Secret**.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{ADMIN, Session, run};
use crate::helpers::introspect;

/// Seed 001: "Use `Show` to display the secret in clear text"; the secret is shown once.
#[tokio::test]
async fn seed_001_new_client_shows_the_secret_once_with_show_and_a_reload_hides_it() {
    run(async |s: &Session| {
        s.sign_in(ADMIN).await;
        s.click_text("Admin > API clients").await;
        s.wait_for_heading("API clients").await;
        s.click_text("Action").await;
        s.click_text("New Client").await;
        s.wait_for_heading("New Client").await;
        assert_eq!(
            s.prop("#access_token_validity_seconds", "value").await,
            "3600",
            "populated automatically"
        );
        assert_eq!(
            s.prop("#refresh_token_validity_seconds", "value").await,
            "2592000"
        );
        s.fill("#name", "reporting_client").await;
        s.find("#grants")
            .await
            .select_by_value("client_credentials")
            .await
            .expect("select");
        s.click("input[name=roles][value=PAYMENTS_VIEW]").await;
        s.fill("#ip_whitelist", "127.0.0.1").await;
        s.assert_accessible_names().await;
        s.screenshot("admin-new-client").await;
        s.click_text("Create").await;
        s.wait_for_heading("reporting_client").await;

        let client_id = s.text("#client-id").await;
        assert!(client_id.starts_with("admin-api-"), "{client_id}");
        assert_eq!(
            s.prop("#client-secret", "type").await,
            "password",
            "masked until Show"
        );
        s.assert_accessible_names().await;
        s.screenshot("admin-client-settings").await;
        s.click_text("Show").await;
        assert_eq!(s.prop("#client-secret", "type").await, "text");
        let secret = s.prop("#client-secret", "value").await;
        let token = s.app.client_credentials(&client_id, &secret, "").await;
        assert_eq!(
            token.status(),
            StatusCode::OK,
            "the shown secret is the client's"
        );
        let settings = s.text("dl.settings").await;
        for scope in [
            "web-origins",
            "address",
            "phone",
            "roles",
            "profile",
            "paymentiq",
            "email",
        ] {
            assert!(
                settings.contains(scope),
                "seed 001's default scope {scope}: {settings}"
            );
        }
        assert!(settings.contains("backoffice_api"), "{settings}");

        s.browser.refresh().await.expect("reload");
        s.wait_for_heading("reporting_client").await;
        assert!(
            !s.exists("#client-secret").await,
            "a reload shows the secret no more"
        );
        assert!(s.text("#client-secret-hidden").await.contains("New Secret"));
        assert!(!s.browser.source().await.expect("html").contains(&secret));
    })
    .await;
}

/// Seed 000 › Redirect URLs, with the API's rule: a bad URL gets the API's message at its
/// field, and the form keeps what was typed.
#[tokio::test]
async fn seed_000_a_bad_redirect_url_shows_the_apis_message_at_its_field() {
    run(async |s: &Session| {
        let bad = "https://merchant.example/callback#fragment";
        let api: Value = s
            .app
            .admin(Method::POST, "/admin/clients")
            .json(&json!({"kind": "one_click", "redirect_urls": ["https://merchant.example/ok", bad]}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let message = api["error_description"].as_str().expect("the API's message");
        assert_eq!(api["field"], "redirect_urls[1]", "{api}");

        s.sign_in(ADMIN).await;
        s.goto("/backoffice/admin/api-clients/new").await;
        s.fill("#name", "bambora_client").await;
        s.fill("#redirect_urls", &format!("https://merchant.example/ok\n{bad}")).await;
        s.click("input[name=resource_ids][value=identity_api]").await;
        s.click_text("Create").await;
        s.wait_for_heading("New Client").await;
        let shown = s.text("#redirect_urls-error").await;
        assert!(shown.contains(message), "`{shown}` carries the API's `{message}`");
        assert_eq!(s.prop("#redirect_urls", "value").await, format!("https://merchant.example/ok\n{bad}"));
        assert_eq!(s.prop("#name", "value").await, "bambora_client");
        assert!(s.checked("input[name=resource_ids][value=identity_api]").await);
        s.screenshot("admin-new-client-error").await;

        // Seed 000 › Whitelist IP addresses: a bad entry gets the API's message at its box.
        let ip_api: Value = s
            .app
            .admin(Method::POST, "/admin/clients")
            .json(&json!({"kind": "one_click", "redirect_urls": ["https://merchant.example/ok"], "ip_whitelist": ["10.0.0.300"]}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let ip_message = ip_api["error_description"].as_str().expect("the API's message");
        s.fill("#redirect_urls", "https://merchant.example/ok").await;
        s.fill("#ip_whitelist", "10.0.0.300").await;
        s.click_text("Create").await;
        s.wait_for_heading("New Client").await;
        let shown = s.text("#ip_whitelist-error").await;
        assert!(shown.contains(ip_message), "`{shown}` carries the API's `{ip_message}`");
        assert!(!s.exists("#redirect_urls-error").await, "the fixed field is clean");
        let listing = s.app.admin(Method::GET, "/admin/clients").send().await.expect("list");
        let listing: Value = listing.json().await.expect("json");
        let names: Vec<&Value> = listing["clients"].as_array().expect("array").iter().map(|c| &c["name"]).collect();
        assert!(!names.contains(&&json!("bambora_client")), "nothing was created");
    })
    .await;
}

/// Seed 001 › Client secret: **New Secret** replaces the old one; revoking issued tokens is
/// an option (ADMIN-03, ADMIN-04).
#[tokio::test]
async fn seed_001_new_secret_replaces_the_secret_and_can_revoke_issued_tokens() {
    run(async |s: &Session| {
        let (client_id, old_secret) = s.app.admin_api_client(json!({"name": "rotating"})).await;
        let token = s.app.access_token(&client_id, &old_secret).await;
        s.sign_in(ADMIN).await;
        s.goto("/backoffice/admin/api-clients").await;
        s.click_text(&client_id).await;
        s.wait_for_heading("rotating").await;
        s.click("#revoke_tokens").await;
        s.click_text("New Secret").await;
        s.wait_for_heading("rotating").await;
        let new_secret = s.prop("#client-secret", "value").await;
        assert_ne!(new_secret, old_secret);
        let old = s.app.client_credentials(&client_id, &old_secret, "").await;
        assert_eq!(
            old.status(),
            StatusCode::UNAUTHORIZED,
            "the old secret is dead"
        );
        let new = s.app.client_credentials(&client_id, &new_secret, "").await;
        assert_eq!(new.status(), StatusCode::OK);
        let state = introspect(&s.app, (&client_id, &new_secret), &token).await;
        assert_eq!(
            state["active"], false,
            "the token issued before was revoked: {state}"
        );
    })
    .await;
}
