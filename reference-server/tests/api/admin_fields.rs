//! What the admin API accepts in a client: wallet ids (ADMIN-06; AMB-26), 1-Click clients
//! (ADMIN-08; AMB-25, AMB-34), Admin API clients (ADMIN-09; AMB-22 to AMB-24), name and notes
//! (ADMIN-10), and the validation error bodies (ADMIN-06 to ADMIN-09).
//!
//! Every test drives a real server over HTTP. Error bodies are pinned by insta snapshots in
//! `snapshots/`.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    assert_refused, create, edit, entry, fetch, introspect, list, send, spawn, strings,
};

// ---------------------------------------------------------------------------------------------
// ADMIN-06: wallet ids (AMB-26)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_06_response_gives_the_short_id_and_the_oauth_id() {
    let app = spawn().await;

    let created = create(&app, json!({"kind": "wallet", "id": "acme-backend"})).await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["id"], "acme-backend");
    assert_eq!(created.body["client_id"], "wallet-demo-acme-backend");
    let got = fetch(&app, "wallet-demo-acme-backend").await;
    assert_eq!(got.body["id"], "acme-backend");
    assert_eq!(got.body["kind"], "wallet");
    let secret = created.body["client_secret"].as_str().expect("secret");
    assert_eq!(
        app.client_credentials("wallet-demo-acme-backend", secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the OAuth id authenticates"
    );
}

#[tokio::test]
async fn admin_06_a_duplicate_wallet_id_is_409() {
    let app = spawn().await;
    let (_, secret) = app.wallet("acme-backend", &["accounts:view"]).await;

    let duplicate = create(
        &app,
        json!({"kind": "wallet", "id": "acme-backend", "roles": ["payments:change"]}),
    )
    .await;

    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    insta::assert_json_snapshot!(
        "admin_06_duplicate_wallet_id",
        json!({"status": duplicate.status.as_u16(), "body": duplicate.body})
    );
    let kept = fetch(&app, "wallet-demo-acme-backend").await;
    assert_eq!(
        strings(&kept.body["roles"]),
        ["accounts:view"],
        "the first client is unchanged"
    );
    assert_eq!(
        app.client_credentials("wallet-demo-acme-backend", &secret, "")
            .await
            .status(),
        StatusCode::OK
    );
    let chosen = create(
        &app,
        json!({"kind": "admin_api", "client_id": "bootstrap-admin"}),
    )
    .await;
    assert_eq!(
        chosen.status,
        StatusCode::CONFLICT,
        "a chosen id that is taken"
    );
    assert_eq!(chosen.body["field"], "client_id");
}

#[tokio::test]
async fn admin_06_of_two_simultaneous_creates_of_one_wallet_id_exactly_one_wins() {
    let app = spawn().await;
    let body = json!({"kind": "wallet", "id": "race"});

    let (first, second) = tokio::join!(create(&app, body.clone()), create(&app, body.clone()));

    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        first.text,
        second.text
    );
    let winner = if first.status == StatusCode::CREATED {
        &first
    } else {
        &second
    };
    let secret = winner.body["client_secret"].as_str().expect("secret");
    assert_eq!(
        app.client_credentials("wallet-demo-race", secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the winner's secret is the stored one"
    );
}

#[tokio::test]
async fn admin_06_wallet_id_format_is_enforced() {
    let app = spawn().await;
    let longest = "a".repeat(64);
    for (case, id) in [
        ("digit first, every allowed character", "0.a_b-c"),
        ("64 characters", longest.as_str()),
        ("one character", "x"),
    ] {
        let reply = create(&app, json!({"kind": "wallet", "id": id})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{case}: {}", reply.text);
        assert_eq!(
            reply.body["client_id"],
            format!("wallet-demo-{id}"),
            "{case}"
        );
    }

    let too_long = "a".repeat(65);
    for (case, id) in [
        ("upper case", json!("Acme")),
        ("leading -", json!("-acme")),
        ("leading .", json!(".acme")),
        ("leading _", json!("_acme")),
        ("65 characters", json!(too_long)),
        ("empty", json!("")),
        ("a space", json!("acme backend")),
        ("a slash", json!("acme/backend")),
        ("a colon", json!("acme:backend")),
        ("non-ASCII", json!("åcme")),
    ] {
        let reply = create(&app, json!({"kind": "wallet", "id": id})).await;
        assert_refused(&reply, "invalid_client_metadata", "id", case);
    }
    let missing = create(&app, json!({"kind": "wallet"})).await;
    assert_refused(&missing, "invalid_client_metadata", "id", "no id");
    let listed = list(&app).await;
    assert_eq!(
        listed.body["clients"].as_array().expect("clients").len(),
        4,
        "only the bootstrap admin and the three valid wallets exist: {}",
        listed.text
    );
}

// ---------------------------------------------------------------------------------------------
// ADMIN-08: 1-Click clients (seed 000; AMB-25, AMB-34)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_08_a_one_click_client_has_the_code_grant_a_secret_and_identity_api_by_default() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"]}),
    )
    .await;

    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "name and whitelist are optional: {}",
        created.text
    );
    assert!(
        created.body["client_secret"]
            .as_str()
            .is_some_and(|s| s.len() >= 43),
        "a confidential client"
    );
    assert_eq!(created.body["kind"], "one_click");
    assert_eq!(strings(&created.body["grants"]), ["authorization_code"]);
    assert_eq!(strings(&created.body["resource_ids"]), ["identity_api"]);
    assert_eq!(
        strings(&created.body["redirect_urls"]),
        ["https://m.example/cb"]
    );
    assert_eq!(created.body["name"], Value::Null);
    assert_eq!(created.body["ip_whitelist"], json!([]));

    let full = create(
        &app,
        json!({
            "kind": "one_click",
            "name": "bambora_client",
            "redirect_urls": ["https://m.example/cb", "https://*.shop.example/return/*"],
            "resource_ids": ["backoffice_api", "identity_api"],
            "ip_whitelist": ["127.0.0.2"]
        }),
    )
    .await;
    assert_eq!(full.status, StatusCode::CREATED, "{}", full.text);
    assert_eq!(full.body["name"], "bambora_client");
    assert_eq!(
        strings(&full.body["resource_ids"]),
        ["backoffice_api", "identity_api"]
    );
    assert_eq!(
        strings(&full.body["redirect_urls"]),
        ["https://*.shop.example/return/*", "https://m.example/cb"]
    );
    assert_eq!(full.body["ip_whitelist"], json!(["127.0.0.2"]));
}

#[tokio::test]
async fn admin_08_a_one_click_client_needs_a_redirect_url() {
    let app = spawn().await;
    for (case, body) in [
        ("no redirect_urls", json!({"kind": "one_click"})),
        (
            "an empty list",
            json!({"kind": "one_click", "redirect_urls": []}),
        ),
    ] {
        let reply = create(&app, body).await;
        assert_refused(&reply, "invalid_redirect_uri", "redirect_urls", case);
    }
    let (client_id, _) = {
        let (view, secret) = app
            .create_client(json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"]}))
            .await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    };
    let emptied = edit(&app, &client_id, json!({"redirect_urls": []})).await;
    assert_refused(
        &emptied,
        "invalid_redirect_uri",
        "redirect_urls",
        "an edit removing every URL",
    );
    assert_eq!(
        strings(&fetch(&app, &client_id).await.body["redirect_urls"]),
        ["https://m.example/cb"]
    );
}

#[tokio::test]
async fn admin_08_one_click_resource_ids_are_a_non_empty_subset_of_backoffice_and_identity() {
    let app = spawn().await;
    for (case, ids) in [
        ("backoffice_api alone", json!(["backoffice_api"])),
        ("identity_api alone", json!(["identity_api"])),
    ] {
        let reply = create(&app, json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"], "resource_ids": ids})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{case}: {}", reply.text);
        assert_eq!(reply.body["resource_ids"], ids, "{case}");
    }
    for (case, ids) in [
        ("empty", json!([])),
        ("wallet_api", json!(["wallet_api"])),
        ("an unknown id", json!(["identity_api", "payments_api"])),
        ("wrong case", json!(["Identity_API"])),
    ] {
        let reply = create(&app, json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"], "resource_ids": ids})).await;
        assert_refused(&reply, "invalid_client_metadata", "resource_ids", case);
    }
}

// ---------------------------------------------------------------------------------------------
// ADMIN-09: Admin API clients (seed 001; AMB-22 to AMB-24)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_09_an_admin_api_client_gets_its_grant_resource_scopes_and_validities_filled_in() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(strings(&created.body["grants"]), ["client_credentials"]);
    assert_eq!(strings(&created.body["resource_ids"]), ["backoffice_api"]);
    assert_eq!(
        strings(&created.body["scopes"]),
        [
            "address",
            "email",
            "paymentiq",
            "phone",
            "profile",
            "roles",
            "web-origins"
        ],
        "seed 001's seven default scopes"
    );
    assert_eq!(created.body["access_token_validity_seconds"], 3600);
    assert_eq!(created.body["refresh_token_validity_seconds"], 2_592_000);
    let client_id = created.body["client_id"].as_str().expect("id");
    let secret = created.body["client_secret"].as_str().expect("secret");
    let got = fetch(&app, client_id).await;
    assert_eq!(
        got.body["access_token_validity_seconds"], 3600,
        "the validities are shown"
    );
    assert_eq!(got.body["refresh_token_validity_seconds"], 2_592_000);

    let response = app.client_credentials(client_id, secret, "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.expect("json");
    assert_eq!(
        token["expires_in"], 3600,
        "expires_in is the access validity"
    );
    assert!(token.get("refresh_token").is_none());
}

#[tokio::test]
async fn admin_09_a_token_lives_exactly_the_configured_access_validity() {
    let app = spawn().await;
    let (client_id, secret) = app
        .admin_api_client(json!({"access_token_validity_seconds": 600}))
        .await;
    assert_eq!(
        fetch(&app, &client_id).await.body["access_token_validity_seconds"],
        600
    );

    let response = app.client_credentials(&client_id, &secret, "").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.expect("json")["expires_in"],
        600
    );
}

#[tokio::test]
async fn admin_09_admin_api_resources_and_grant_are_fixed() {
    let app = spawn().await;
    let accepted = create(&app, json!({"kind": "admin_api", "resource_ids": ["backoffice_api"], "grants": ["client_credentials"]})).await;
    assert_eq!(
        accepted.status,
        StatusCode::CREATED,
        "stating the fixed values is fine: {}",
        accepted.text
    );
    for (case, ids) in [
        ("identity_api", json!(["identity_api"])),
        (
            "backoffice_api and identity_api",
            json!(["backoffice_api", "identity_api"]),
        ),
        ("wallet_api", json!(["wallet_api"])),
        ("empty", json!([])),
    ] {
        let reply = create(&app, json!({"kind": "admin_api", "resource_ids": ids})).await;
        assert_refused(&reply, "invalid_client_metadata", "resource_ids", case);
    }
    for (case, grants) in [
        ("authorization_code", json!(["authorization_code"])),
        (
            "client_credentials plus authorization_code",
            json!(["client_credentials", "authorization_code"]),
        ),
    ] {
        let reply = create(&app, json!({"kind": "admin_api", "grants": grants})).await;
        assert_refused(&reply, "invalid_client_metadata", "grants", case);
    }
    let client_id = accepted.body["client_id"].as_str().expect("id");
    let moved = edit(&app, client_id, json!({"resource_ids": ["identity_api"]})).await;
    assert_refused(
        &moved,
        "invalid_client_metadata",
        "resource_ids",
        "an edit to identity_api",
    );
    assert_eq!(
        strings(&fetch(&app, client_id).await.body["resource_ids"]),
        ["backoffice_api"]
    );
}

// ---------------------------------------------------------------------------------------------
// ADMIN-10: name and notes are display-only
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_10_notes_hold_up_to_1000_characters_and_markup_comes_back_verbatim() {
    let app = spawn().await;
    // Characters, not bytes: 1,000 two-byte characters fit.
    let longest = "é".repeat(1_000);
    let markup_notes = "<script>alert('x')</script>\n<b>bold</b> &amp; \"quoted\"  {{template}}  ";
    let markup_name = "<img src=x onerror=alert(1)> & Co";

    let at_limit = create(
        &app,
        json!({"kind": "wallet", "id": "long-notes", "notes": longest}),
    )
    .await;
    let over_limit = create(
        &app,
        json!({"kind": "wallet", "id": "too-long", "notes": "n".repeat(1_001)}),
    )
    .await;
    let markup = create(
        &app,
        json!({"kind": "wallet", "id": "markup", "name": markup_name, "notes": markup_notes}),
    )
    .await;

    assert_eq!(
        at_limit.status,
        StatusCode::CREATED,
        "1,000 characters: {}",
        at_limit.text
    );
    assert_eq!(at_limit.body["notes"], longest.as_str());
    assert_refused(
        &over_limit,
        "invalid_client_metadata",
        "notes",
        "1,001 characters",
    );
    assert_eq!(
        fetch(&app, "wallet-demo-too-long").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(markup.status, StatusCode::CREATED, "{}", markup.text);
    assert!(
        markup.header(CONTENT_TYPE).starts_with("application/json"),
        "served as data, not HTML"
    );
    let listing = list(&app).await;
    for (what, view) in [
        ("create", &markup.body),
        ("get", &fetch(&app, "wallet-demo-markup").await.body),
        ("list", entry(&listing.body, "wallet-demo-markup")),
    ] {
        assert_eq!(
            view["notes"], markup_notes,
            "{what} returns the notes verbatim"
        );
        assert_eq!(
            view["name"], markup_name,
            "{what} returns the name verbatim"
        );
    }
    let too_long_edit = edit(
        &app,
        "wallet-demo-long-notes",
        json!({"notes": "é".repeat(1_001)}),
    )
    .await;
    assert_refused(
        &too_long_edit,
        "invalid_client_metadata",
        "notes",
        "an edit to 1,001 characters",
    );
    assert_eq!(
        fetch(&app, "wallet-demo-long-notes").await.body["notes"],
        longest.as_str()
    );
}

#[tokio::test]
async fn admin_10_editing_name_and_notes_changes_no_id_secret_or_token() {
    let app = spawn().await;
    let (client_id, secret) = app
        .admin_api_client(json!({"name": "before", "notes": "old"}))
        .await;
    let token = app.access_token(&client_id, &secret).await;
    let before = introspect(&app, (&client_id, &secret), &token).await;

    let edited = edit(
        &app,
        &client_id,
        json!({"name": "after <b>", "notes": "new\nline"}),
    )
    .await;

    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["client_id"], client_id.as_str());
    assert_eq!(edited.body["name"], "after <b>");
    assert_eq!(edited.body["notes"], "new\nline");
    assert_eq!(
        app.client_credentials(&client_id, &secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the secret still works"
    );
    let after = introspect(&app, (&client_id, &secret), &token).await;
    assert_eq!(after, before, "the token is untouched");
    assert_eq!(after["active"], true);
}

// ---------------------------------------------------------------------------------------------
// Validation error bodies (pinned)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_06_to_09_validation_errors_name_the_field_and_are_pinned() {
    let app = spawn().await;
    let cases = [
        ("missing_kind", json!({"id": "acme"})),
        ("unknown_kind", json!({"kind": "robot"})),
        (
            "bad_redirect_url",
            json!({"kind": "one_click", "redirect_urls": ["http://m.example/cb"]}),
        ),
        (
            "unknown_admin_role",
            json!({"kind": "admin_api", "roles": ["ROOT"]}),
        ),
        (
            "unknown_field",
            json!({"kind": "wallet", "id": "acme", "colour": "red"}),
        ),
        (
            "field_of_another_kind",
            json!({"kind": "wallet", "id": "acme", "scopes": ["email"]}),
        ),
        (
            "wrong_type",
            json!({"kind": "wallet", "id": "acme", "roles": "accounts:view"}),
        ),
    ];
    for (name, body) in cases {
        let reply = create(&app, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.text
        );
        insta::assert_json_snapshot!(
            format!("admin_error_{name}"),
            json!({"status": reply.status.as_u16(), "body": reply.body})
        );
    }
    for (case, raw) in [
        ("not JSON", "{kind: wallet"),
        ("cut short", r#"{"kind": "wallet", "id": "#),
        ("not an object", "[]"),
        ("null", "null"),
        (
            "text after the object",
            r#"{"kind": "wallet", "id": "trailing"} {"kind": "admin_api"}"#,
        ),
    ] {
        let reply = send(
            app.admin(Method::POST, "/admin/clients")
                .header("content-type", "application/json")
                .body(raw),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "body", case);
    }
    assert_eq!(
        fetch(&app, "wallet-demo-trailing").await.status,
        StatusCode::NOT_FOUND,
        "a refused body creates nothing"
    );
    let empty = send(app.admin(Method::POST, "/admin/clients")).await;
    assert_refused(
        &empty,
        "invalid_client_metadata",
        "kind",
        "an empty body is an empty object",
    );
}
