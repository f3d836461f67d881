//! Client administration (ADMIN-*, ROLE-01, ROLE-04, EXP-01, EXP-05, VREDIR-04, VREDIR-09,
//! SEC-BCP-01, SEC-BCP-03, IP-06 at registration).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_ID, TestServer, json_of, spawn, spawn_strict};

/// POSTs a client and returns the raw answer.
async fn try_create(app: &TestServer, body: Value) -> (StatusCode, Value) {
    json_of(
        app.admin(Method::POST, "/admin/clients")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Asserts a 400 that names `field`.
async fn refused(app: &TestServer, body: Value, field: &str) -> Value {
    let (status, answer) = try_create(app, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{body} should be refused: {answer}"
    );
    assert_eq!(answer["field"], field, "{body}: {answer}");
    assert!(answer["error_description"].is_string());
    answer
}

fn get_as(
    app: &TestServer,
    method: Method,
    path: &str,
    id: &str,
    secret: &str,
) -> reqwest::RequestBuilder {
    app.request(method, path).basic_auth(id, Some(secret))
}

async fn introspect_as(app: &TestServer, caller: &str, secret: &str, token: &str) -> Value {
    app.token_call("/oauth/introspect", caller, secret, token)
        .await
        .json()
        .await
        .unwrap()
}

/// A resource server that may introspect every wallet token.
async fn wallet_resource_server(app: &TestServer) -> (String, String) {
    let (view, secret) = app
        .create_client(json!({"kind": "resource_server", "client_id": "rs-wallet", "resource_ids": ["wallet_api"]}))
        .await;
    (view["client_id"].as_str().unwrap().to_owned(), secret)
}

#[tokio::test]
async fn admin_01_authorization_read_and_change_permissions() {
    let app = spawn().await;
    let (reader, reader_secret) = app.wallet("reader", &["api_access:view"]).await;
    let (changer, changer_secret) = app.wallet("changer", &["api_access:change"]).await;
    let (nobody, nobody_secret) = app.wallet("nobody", &["reports:view"]).await;
    let (target, _) = app.wallet("target", &[]).await;
    let target_path = format!("/admin/clients/{target}");

    // No authorization at all.
    let response = app
        .request(Method::GET, "/admin/clients")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let response = app
        .request(Method::GET, "/admin/clients")
        .basic_auth(ADMIN_ID, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a wrong admin secret"
    );

    // Read permission: list and get, nothing else — via Basic and via its own Bearer token.
    let reader_token = app.access_token(&reader, &reader_secret).await;
    for (how, request) in [
        (
            "basic list",
            get_as(&app, Method::GET, "/admin/clients", &reader, &reader_secret),
        ),
        (
            "basic get",
            get_as(&app, Method::GET, &target_path, &reader, &reader_secret),
        ),
        (
            "bearer list",
            app.request(Method::GET, "/admin/clients")
                .bearer_auth(&reader_token),
        ),
    ] {
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::OK,
            "read permission, {how}"
        );
    }
    for (how, request) in [
        (
            "create",
            get_as(
                &app,
                Method::POST,
                "/admin/clients",
                &reader,
                &reader_secret,
            )
            .json(&json!({"kind": "wallet", "id": "x"})),
        ),
        (
            "edit",
            get_as(&app, Method::PATCH, &target_path, &reader, &reader_secret)
                .json(&json!({"notes": "x"})),
        ),
        (
            "delete",
            get_as(&app, Method::DELETE, &target_path, &reader, &reader_secret),
        ),
        (
            "new secret",
            get_as(
                &app,
                Method::POST,
                &format!("{target_path}/secret"),
                &reader,
                &reader_secret,
            ),
        ),
        (
            "bearer create",
            app.request(Method::POST, "/admin/clients")
                .bearer_auth(&reader_token)
                .json(&json!({"kind": "wallet", "id": "y"})),
        ),
    ] {
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "read permission may not {how}"
        );
    }

    // A client without any admin permission.
    let response = get_as(&app, Method::GET, "/admin/clients", &nobody, &nobody_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Change permission (a wallet's API Access (Change), or MERCHANT_ADMIN) may do everything.
    let response = get_as(&app, Method::PATCH, &target_path, &changer, &changer_secret)
        .json(&json!({"notes": "changed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = get_as(
        &app,
        Method::GET,
        "/admin/clients",
        &changer,
        &changer_secret,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "change implies read");
    let (merchant, merchant_secret) = app
        .admin_api_client(json!({"roles": ["MERCHANT_ADMIN"]}))
        .await;
    let response = get_as(
        &app,
        Method::DELETE,
        &target_path,
        &merchant,
        &merchant_secret,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "MERCHANT_ADMIN maps to change"
    );
}

#[tokio::test]
async fn admin_02_the_secret_is_shown_once_and_never_again() {
    let app = spawn().await;

    let response = app
        .admin(Method::POST, "/admin/clients")
        .json(&json!({"kind": "wallet", "id": "acme-backend", "notes": "n"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.headers()["location"],
        "/admin/clients/wallet%2Ddemo%2Dacme%2Dbackend"
    );
    let created: Value = response.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "at least 256 bits: {}", secret.len());
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
        "unreserved characters only"
    );
    let id = created["client_id"].as_str().unwrap();

    let path = format!("/admin/clients/{id}");
    let later = [
        app.admin(Method::GET, &path).send().await.unwrap(),
        app.admin(Method::GET, "/admin/clients")
            .send()
            .await
            .unwrap(),
        app.admin(Method::PATCH, &path)
            .json(&json!({"notes": "edited"}))
            .send()
            .await
            .unwrap(),
        app.admin(Method::PATCH, &path)
            .json(&json!({"expiry_date": "2099-01-01"}))
            .send()
            .await
            .unwrap(),
        app.admin(Method::POST, "/admin/clients")
            .json(&json!({"kind": "wallet", "id": "acme-backend"}))
            .send()
            .await
            .unwrap(),
    ];
    for response in later {
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&secret),
            "the secret appears again in a {status} answer"
        );
    }
    // No "show secret" endpoint exists (the documented deviation from seed 001).
    let show = app
        .admin(Method::GET, &format!("{path}/secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(show.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn admin_03_new_secret_kills_the_old_one_at_once() {
    let app = spawn().await;
    let (id, old_secret) = app.wallet("rotating", &["reports:view"]).await;

    let response = app
        .admin(Method::POST, &format!("/admin/clients/{id}/secret"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let new_secret = body["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    let old = app.client_credentials(&id, &old_secret, "").await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        old.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    assert_eq!(
        app.client_credentials(&id, new_secret, "").await.status(),
        StatusCode::OK
    );
    let view = app
        .admin(Method::GET, &format!("/admin/clients/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !view.contains(new_secret),
        "the new secret is shown this once only"
    );
}

#[tokio::test]
async fn admin_04_tokens_survive_new_secret_unless_revoked_with_it() {
    let app = spawn().await;
    let (id, secret) = app.wallet("keeper", &["reports:view"]).await;
    let (rs, rs_secret) = wallet_resource_server(&app).await;
    let kept = app.access_token(&id, &secret).await;

    let response = app
        .admin(Method::POST, &format!("/admin/clients/{id}/secret"))
        .send()
        .await
        .unwrap();
    let second: String = response.json::<Value>().await.unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .into();

    assert_eq!(
        introspect_as(&app, &id, &second, &kept).await["active"],
        true,
        "issued tokens stay active"
    );
    let doomed = app.access_token(&id, &second).await;
    let response = app
        .admin(Method::POST, &format!("/admin/clients/{id}/secret"))
        .json(&json!({"revoke_tokens": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for token in [&kept, &doomed] {
        assert_eq!(
            introspect_as(&app, &rs, &rs_secret, token).await,
            json!({"active": false}),
            "revoke_tokens kills every token"
        );
    }
}

#[tokio::test]
async fn admin_05_delete_revokes_everything_and_recreation_revives_nothing() {
    let app = spawn().await;
    let (id, secret) = app.wallet("leaving", &["reports:view"]).await;
    let (rs, rs_secret) = wallet_resource_server(&app).await;
    let token = app.access_token(&id, &secret).await;

    let response = app
        .admin(Method::DELETE, &format!("/admin/clients/{id}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.client_credentials(&id, &secret, "").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        introspect_as(&app, &rs, &rs_secret, &token).await,
        json!({"active": false})
    );
    let resource = app
        .request(Method::GET, "/resources/wallet/reports")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resource.status(), StatusCode::UNAUTHORIZED);
    let again = app
        .admin(Method::DELETE, &format!("/admin/clients/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    let (same_id, new_secret) = app.wallet("leaving", &["reports:view"]).await;
    assert_eq!(same_id, id, "the id may be registered again");
    assert_eq!(
        introspect_as(&app, &rs, &rs_secret, &token).await,
        json!({"active": false}),
        "old tokens stay dead"
    );
    assert_eq!(
        introspect_as(&app, &same_id, &new_secret, &token).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn admin_06_wallet_ids_format_and_uniqueness() {
    let app = spawn().await;

    let (view, _) = app
        .create_client(json!({"kind": "wallet", "id": "acme.backend_1-x"}))
        .await;
    assert_eq!(view["id"], "acme.backend_1-x");
    assert_eq!(view["client_id"], "wallet-demo-acme.backend_1-x");

    let (status, body) =
        try_create(&app, json!({"kind": "wallet", "id": "acme.backend_1-x"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "client_id_taken");
    for bad in [
        json!("Acme"),
        json!("-acme"),
        json!(".acme"),
        json!("a".repeat(65)),
        json!(""),
        json!("ac me"),
        json!("acmé"),
        json!(42),
    ] {
        let (status, body) = try_create(&app, json!({"kind": "wallet", "id": bad})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "id {bad}: {body}");
        assert_eq!(body["field"], "id", "id {bad}");
    }
    assert_eq!(
        try_create(&app, json!({"kind": "wallet", "id": "a".repeat(64)}))
            .await
            .0,
        StatusCode::CREATED
    );
    refused(&app, json!({"kind": "wallet"}), "id").await;
}

#[tokio::test]
async fn admin_07_roles_and_notes_edit_id_and_expiry_do_not() {
    let app = spawn().await;
    let (view, _) = app
        .create_client(json!({"kind": "wallet", "id": "editable", "roles": ["reports:view"], "expiry_date": "2099-12-31"}))
        .await;
    let path = format!("/admin/clients/{}", view["client_id"].as_str().unwrap());

    let (status, edited) = json_of(
        app.admin(Method::PATCH, &path)
            .json(&json!({"roles": ["accounts:change"], "notes": "new notes", "client_id": view["client_id"], "expiry_date": "2099-12-31"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (_, fetched) = json_of(app.admin(Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(
        fetched["roles"],
        json!(["accounts:change", "accounts:view"])
    );
    assert_eq!(fetched["notes"], "new notes");

    for (field, value) in [
        ("client_id", json!("wallet-demo-other")),
        ("id", json!("other")),
        ("expiry_date", json!("2099-12-30")),
        ("kind", json!("admin_api")),
    ] {
        let (status, body) = json_of(
            app.admin(Method::PATCH, &path)
                .json(&json!({ field: value }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "changing {field}");
        assert_eq!(body["field"], field);
    }
    let (_, after) = json_of(app.admin(Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(after["client_id"], view["client_id"]);
    assert_eq!(after["expiry_date"], "2099-12-31");
    assert_eq!(after["expires_at"], "2100-01-01T00:00:00Z");
}

#[tokio::test]
async fn admin_08_one_click_clients() {
    let app = spawn().await;

    let (view, secret) = app
        .create_client(json!({"kind": "one_click", "redirect_urls": ["https://shop.example/cb"]}))
        .await;
    assert_eq!(view["grants"], json!(["authorization_code"]));
    assert_eq!(
        view["resource_ids"],
        json!(["identity_api"]),
        "identity_api is the default"
    );
    assert!(
        !secret.is_empty(),
        "1-Click clients are confidential (AMB-34)"
    );
    let (both, _) = app
        .create_client(json!({"kind": "one_click", "redirect_urls": ["https://shop.example/cb"], "resource_ids": ["backoffice_api", "identity_api"]}))
        .await;
    assert_eq!(
        both["resource_ids"],
        json!(["backoffice_api", "identity_api"])
    );

    refused(&app, json!({"kind": "one_click"}), "redirect_urls").await;
    refused(
        &app,
        json!({"kind": "one_click", "redirect_urls": []}),
        "redirect_urls",
    )
    .await;
    for bad in [
        json!([]),
        json!(["wallet_api"]),
        json!(["identity_api", "other_api"]),
    ] {
        refused(&app, json!({"kind": "one_click", "redirect_urls": ["https://shop.example/cb"], "resource_ids": bad}), "resource_ids").await;
    }
}

#[tokio::test]
async fn admin_09_admin_api_clients() {
    let app = spawn().await;

    let (view, secret) = app
        .create_client(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await;

    assert_eq!(view["grants"], json!(["client_credentials"]));
    assert_eq!(view["resource_ids"], json!(["backoffice_api"]));
    let scopes: Vec<&str> = view["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut expected = vec![
        "web-origins",
        "address",
        "phone",
        "roles",
        "profile",
        "paymentiq",
        "email",
    ];
    expected.sort_unstable();
    assert_eq!(scopes, expected, "seed 001's seven default scopes");
    assert_eq!(view["access_token_validity_seconds"], 3600);
    assert_eq!(view["refresh_token_validity_seconds"], 2_592_000);
    let id = view["client_id"].as_str().unwrap();
    let token: Value = app
        .client_credentials(id, &secret, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        token["expires_in"], 3600,
        "expires_in equals the access validity"
    );

    refused(
        &app,
        json!({"kind": "admin_api", "resource_ids": ["identity_api"]}),
        "resource_ids",
    )
    .await;
    refused(
        &app,
        json!({"kind": "admin_api", "grants": ["authorization_code"]}),
        "grants",
    )
    .await;
    refused(
        &app,
        json!({"kind": "admin_api", "access_token_validity_seconds": 59}),
        "access_token_validity_seconds",
    )
    .await;
    refused(
        &app,
        json!({"kind": "admin_api", "refresh_token_validity_seconds": 31_536_001}),
        "refresh_token_validity_seconds",
    )
    .await;
}

#[tokio::test]
async fn admin_10_name_and_notes_are_display_only() {
    let app = spawn().await;
    let markup = "<b>Acme</b> & \"partners\" <script>x</script>";
    let (view, secret) = app.create_client(json!({"kind": "wallet", "id": "display", "roles": ["reports:view"], "notes": markup, "name": "Acme"})).await;
    let id = view["client_id"].as_str().unwrap().to_owned();
    assert_eq!(view["notes"], markup, "stored and returned verbatim");
    let token = app.access_token(&id, &secret).await;

    let notes = "n".repeat(1_000);
    let (status, edited) = json_of(
        app.admin(Method::PATCH, &format!("/admin/clients/{id}"))
            .json(&json!({"notes": notes, "name": "Acme Ltd"}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["notes"].as_str().unwrap().chars().count(), 1_000);
    assert_eq!(edited["client_id"], id.as_str());
    assert_eq!(
        app.client_credentials(&id, &secret, "").await.status(),
        StatusCode::OK,
        "the secret is unchanged"
    );
    assert_eq!(
        introspect_as(&app, &id, &secret, &token).await["active"],
        true,
        "tokens are unchanged"
    );
    let too_long = "n".repeat(1_001);
    let (status, body) = json_of(
        app.admin(Method::PATCH, &format!("/admin/clients/{id}"))
            .json(&json!({"notes": too_long}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "notes");
}

#[tokio::test]
async fn role_01_change_implies_view_and_view_alone_is_allowed() {
    let app = spawn().await;

    let (view, _) = app
        .create_client(
            json!({"kind": "wallet", "id": "roles", "roles": ["accounts:change", "reports:view"]}),
        )
        .await;

    assert_eq!(
        view["roles"],
        json!(["accounts:change", "accounts:view", "reports:view"])
    );
    let path = format!("/admin/clients/{}", view["client_id"].as_str().unwrap());
    let (_, edited) = json_of(
        app.admin(Method::PATCH, &path)
            .json(&json!({"roles": ["accounts:change"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        edited["roles"],
        json!(["accounts:change", "accounts:view"]),
        "view stays while change is held"
    );
    for bad in ["accounts:delete", "unknown:view", "accounts", ":view"] {
        refused(
            &app,
            json!({"kind": "wallet", "id": "bad-roles", "roles": [bad]}),
            "roles[0]",
        )
        .await;
    }
}

#[tokio::test]
async fn role_04_admin_api_roles_come_from_the_catalogue() {
    let app = spawn().await;
    let (id, secret) = app
        .admin_api_client(json!({"roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
        .await;

    refused(
        &app,
        json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", "ROOT"]}),
        "roles[1]",
    )
    .await;

    let token = app.access_token(&id, &secret).await;
    let introspection = introspect_as(&app, &id, &secret, &token).await;
    assert_eq!(
        introspection["authorities"],
        json!(["PAYMENTS_VIEW", "REPORTS_VIEW"])
    );
    let check: Value = app
        .token_call("/oauth/check_token", &id, &secret, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        check["authorities"],
        json!(["PAYMENTS_VIEW", "REPORTS_VIEW"])
    );
}

#[tokio::test]
async fn exp_01_default_expiry_and_the_past_is_refused() {
    let app = spawn().await;
    app.set_clock("2028-02-29T12:00:00Z").await;

    let (leap, _) = app
        .create_client(json!({"kind": "wallet", "id": "leap"}))
        .await;
    assert_eq!(
        leap["expiry_date"], "2029-02-28",
        "29 February becomes 28 February"
    );

    app.set_clock("2030-06-15T23:59:59Z").await;
    let (default, _) = app
        .create_client(json!({"kind": "wallet", "id": "default"}))
        .await;
    assert_eq!(
        default["expiry_date"], "2031-06-15",
        "today (UTC) + one year"
    );
    let (today, _) = app
        .create_client(json!({"kind": "wallet", "id": "today", "expiry_date": "2030-06-15"}))
        .await;
    assert_eq!(today["expires_at"], "2030-06-16T00:00:00Z");
    for bad in ["2030-06-14", "2030-02-30", "15/06/2031", "2031-6-15"] {
        refused(
            &app,
            json!({"kind": "wallet", "id": "past", "expiry_date": bad}),
            "expiry_date",
        )
        .await;
    }
}

#[tokio::test]
async fn exp_05_listing_shows_expiry_and_expired() {
    let app = spawn().await;
    app.set_clock("2030-06-01T00:00:00Z").await;
    let (view, _) = app
        .create_client(json!({"kind": "wallet", "id": "ending", "expiry_date": "2030-06-15"}))
        .await;
    let id = view["client_id"].as_str().unwrap().to_owned();
    let listed = |listing: Value| -> Value {
        listing["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == id.as_str())
            .cloned()
            .unwrap()
    };

    app.set_clock("2030-06-15T23:59:59Z").await;
    let before = listed(
        app.admin(Method::GET, "/admin/clients")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    app.advance_clock(1).await;
    let after = listed(
        app.admin(Method::GET, "/admin/clients")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );

    assert_eq!(before["expiry_date"], "2030-06-15");
    assert_eq!(before["expires_at"], "2030-06-16T00:00:00Z");
    assert_eq!(before["expired"], false);
    assert_eq!(after["expired"], true);
}

#[tokio::test]
async fn vredir_04_and_vredir_09_registration_refusals() {
    let app = spawn().await;
    for bad in [
        "https://shop.example/cb?x=1",
        "https://shop.example/cb#x",
        "*",
        "https://*/cb",
        "https://*.com/cb",
        "https://*.*.shop.example/cb",
        "https://*.127.0.0.1/cb",
        "https://*@shop.example/cb",
        "https://shop.example:*/cb",
        "http*://shop.example/cb",
    ] {
        let answer = refused(
            &app,
            json!({"kind": "one_click", "redirect_urls": ["https://ok.example/cb", bad]}),
            "redirect_urls[1]",
        )
        .await;
        assert_eq!(answer["error"], "invalid_redirect_uri", "{bad}");
    }
    let (view, _) = app
        .create_client(
            json!({"kind": "one_click", "redirect_urls": ["https://*.shop.example/orders/*"]}),
        )
        .await;
    assert_eq!(
        view["redirect_urls"],
        json!(["https://*.shop.example/orders/*"])
    );
}

#[tokio::test]
async fn sec_bcp_01_strict_profile_refuses_patterns() {
    let app = spawn_strict().await;
    refused(
        &app,
        json!({"kind": "one_click", "redirect_urls": ["https://*.shop.example/cb"]}),
        "redirect_urls[0]",
    )
    .await;
    refused(
        &app,
        json!({"kind": "one_click", "redirect_urls": ["https://shop.example/cb/*"]}),
        "redirect_urls[0]",
    )
    .await;
    app.create_client(json!({"kind": "one_click", "redirect_urls": ["https://shop.example/cb"]}))
        .await;
}

#[tokio::test]
async fn sec_bcp_03_http_only_for_loopback_in_both_profiles() {
    for app in [spawn().await, spawn_strict().await] {
        for bad in [
            "http://shop.example/cb",
            "http://10.0.0.1/cb",
            "http://192.168.1.1/cb",
        ] {
            refused(
                &app,
                json!({"kind": "one_click", "redirect_urls": [bad]}),
                "redirect_urls[0]",
            )
            .await;
        }
        for good in [
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "http://localhost/cb",
        ] {
            app.create_client(json!({"kind": "one_click", "redirect_urls": [good]}))
                .await;
        }
    }
}

#[tokio::test]
async fn ip_06_whitelist_entries_at_registration() {
    let app = spawn().await;

    let (view, _) = app
        .create_client(json!({"kind": "wallet", "id": "listed", "ip_whitelist": ["127.0.0.2", "127.0.0.0/30", "::1/128", "::ffff:127.0.0.3"]}))
        .await;

    assert_eq!(
        view["ip_whitelist"],
        json!(["127.0.0.2", "127.0.0.0/30", "::1", "127.0.0.3"])
    );
    for bad in [
        "300.1.1.1",
        "10.0.0.0/33",
        "fe80::1%eth0",
        "localhost",
        "client.example",
        "127.0.0.1/",
    ] {
        refused(
            &app,
            json!({"kind": "wallet", "id": "bad-ip", "ip_whitelist": ["127.0.0.1", bad]}),
            "ip_whitelist[1]",
        )
        .await;
    }
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = spawn().await;
    let cases = [
        ("missing_kind", json!({"id": "x"})),
        (
            "bad_redirect",
            json!({"kind": "one_click", "redirect_urls": ["http://shop.example/cb"]}),
        ),
        (
            "unknown_role",
            json!({"kind": "admin_api", "roles": ["ROOT"]}),
        ),
        (
            "bad_expiry",
            json!({"kind": "wallet", "id": "x", "expiry_date": "yesterday"}),
        ),
        (
            "unknown_field",
            json!({"kind": "wallet", "id": "x", "colour": "blue"}),
        ),
        (
            "field_of_another_kind",
            json!({"kind": "wallet", "id": "x", "redirect_urls": ["https://shop.example/cb"]}),
        ),
        (
            "wrong_type",
            json!({"kind": "wallet", "id": "x", "roles": "reports:view"}),
        ),
    ];
    for (name, body) in cases {
        let (status, answer) = try_create(&app, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        insta::assert_json_snapshot!(format!("admin_error_{name}"), answer);
    }
    app.create_client(json!({"kind": "wallet", "id": "taken"}))
        .await;
    let (status, answer) = try_create(&app, json!({"kind": "wallet", "id": "taken"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    insta::assert_json_snapshot!("admin_error_duplicate_wallet_id", answer);
    let response = app
        .admin(Method::POST, "/admin/clients")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, answer) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!("admin_error_malformed_json", answer);
}
