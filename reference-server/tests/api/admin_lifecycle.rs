//! Changing an existing client through the admin API: New Secret (ADMIN-03, ADMIN-04; AMB-18),
//! delete = revoke (ADMIN-05; AMB-19) and what an edit may change (ADMIN-07; AMB-15).
//!
//! Every test drives a real server over HTTP; dates come from the server's test clock.

use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Reply, TestServer, assert_refused, client_path, create, edit, fetch, introspect, is_unreserved,
    list, send, spawn, strings, wallet_resource, wallet_resource_server,
};

// ---------------------------------------------------------------------------------------------
// ADMIN-03, ADMIN-04: New Secret (AMB-18)
// ---------------------------------------------------------------------------------------------

async fn new_secret(app: &TestServer, client_id: &str, body: Option<Value>) -> Reply {
    let request = app.admin(Method::POST, &format!("{}/secret", client_path(client_id)));
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

#[tokio::test]
async fn admin_03_new_secret_is_shown_once_and_the_old_one_dies_at_once() {
    let app = spawn().await;
    let (client_id, old_secret) = app.wallet("rotating", &["accounts:view"]).await;
    assert_eq!(
        app.client_credentials(&client_id, &old_secret, "")
            .await
            .status(),
        StatusCode::OK
    );

    let renewed = new_secret(&app, &client_id, None).await;

    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    assert_eq!(renewed.header(CACHE_CONTROL), "no-store");
    assert_eq!(renewed.body["client_id"], client_id.as_str());
    let secret = renewed.body["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    assert_ne!(secret, old_secret);
    assert!(
        secret.len() >= 43 && secret.chars().all(is_unreserved),
        "a fresh 256-bit secret"
    );

    let old = app.client_credentials(&client_id, &old_secret, "").await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old secret is refused at once"
    );
    assert!(
        old.headers().contains_key(WWW_AUTHENTICATE),
        "Basic was tried, so a challenge"
    );
    let old: Value = old.json().await.expect("json");
    assert_eq!(old["error"], "invalid_client");
    assert_eq!(
        app.client_credentials(&client_id, &secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the new secret works"
    );

    for (what, reply) in [
        ("get", fetch(&app, &client_id).await),
        ("list", list(&app).await),
    ] {
        assert!(
            !reply.text.contains(&secret),
            "{what} shows the new secret again"
        );
    }
}

#[tokio::test]
async fn admin_04_tokens_issued_before_a_new_secret_stay_active() {
    let app = spawn().await;
    let (client_id, old_secret) = app.wallet("keeps-tokens", &["accounts:view"]).await;
    let token = app.access_token(&client_id, &old_secret).await;

    let renewed = new_secret(&app, &client_id, Some(json!({}))).await;
    assert_eq!(renewed.status, StatusCode::OK);
    assert_eq!(renewed.body["tokens_revoked"], false);
    let secret = renewed.body["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();

    let state = introspect(&app, (&client_id, &secret), &token).await;
    assert_eq!(state["active"], true, "{state}");
    assert_eq!(state["client_id"], client_id.as_str());
    assert_eq!(
        wallet_resource(&app, "accounts", &token).await,
        StatusCode::OK,
        "the token still opens its resource"
    );
}

#[tokio::test]
async fn admin_04_new_secret_with_revoke_tokens_kills_every_earlier_token() {
    let app = spawn().await;
    let (client_id, old_secret) = app.wallet("revokes", &["accounts:view"]).await;
    let first = app.access_token(&client_id, &old_secret).await;
    let second = app.access_token(&client_id, &old_secret).await;
    let (bystander, bystander_secret) = app.wallet("bystander", &["accounts:view"]).await;
    let bystander_token = app.access_token(&bystander, &bystander_secret).await;

    let renewed = new_secret(&app, &client_id, Some(json!({"revoke_tokens": true}))).await;

    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    assert_eq!(renewed.body["tokens_revoked"], true);
    let secret = renewed.body["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    for token in [&first, &second] {
        assert_eq!(
            introspect(&app, (&client_id, &secret), token).await,
            json!({"active": false})
        );
        assert_eq!(
            wallet_resource(&app, "accounts", token).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let fresh = app.access_token(&client_id, &secret).await;
    assert_eq!(
        introspect(&app, (&client_id, &secret), &fresh).await["active"],
        true,
        "tokens issued afterwards work"
    );
    assert_eq!(
        introspect(&app, (&bystander, &bystander_secret), &bystander_token).await["active"],
        true,
        "another client's tokens are untouched"
    );
}

#[tokio::test]
async fn admin_04_new_secret_body_is_validated() {
    let app = spawn().await;
    let (client_id, secret) = app.wallet("strict-body", &["accounts:view"]).await;
    let token = app.access_token(&client_id, &secret).await;

    for (case, body) in [
        ("a string flag", json!({"revoke_tokens": "yes"})),
        ("an unknown field", json!({"revoke": true})),
    ] {
        let reply = new_secret(&app, &client_id, Some(body)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            reply.text
        );
    }
    assert_eq!(
        app.client_credentials(&client_id, &secret, "")
            .await
            .status(),
        StatusCode::OK,
        "refused calls keep the secret"
    );
    assert_eq!(
        introspect(&app, (&client_id, &secret), &token).await["active"],
        true
    );
    assert_eq!(
        new_secret(&app, "wallet-demo-nobody", None).await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------------
// ADMIN-05: delete = revoke (AMB-19)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_05_delete_kills_the_client_and_its_tokens_and_a_recreated_id_revives_nothing() {
    let app = spawn().await;
    let (rs, rs_secret) = wallet_resource_server(&app).await;
    let (client_id, secret) = app.wallet("doomed", &["accounts:view"]).await;
    let token = app.access_token(&client_id, &secret).await;
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true,
        "the resource server sees the live token"
    );

    let deleted = send(app.admin(Method::DELETE, &client_path(&client_id))).await;

    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty(), "204 has no body");
    let refused = app.client_credentials(&client_id, &secret, "").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "invalid_client"
    );
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await,
        json!({"active": false})
    );
    assert_eq!(
        wallet_resource(&app, "accounts", &token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(fetch(&app, &client_id).await.status, StatusCode::NOT_FOUND);
    assert!(
        list(&app).await.body["clients"]
            .as_array()
            .expect("clients")
            .iter()
            .all(|c| c["client_id"] != client_id.as_str())
    );
    assert_eq!(
        send(app.admin(Method::DELETE, &client_path(&client_id)))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a second delete finds nothing"
    );

    // The same id may be registered again; it is a new client.
    let (again, new_secret) = app.wallet("doomed", &["accounts:view"]).await;
    assert_eq!(again, client_id);
    assert_ne!(new_secret, secret);
    assert_eq!(
        app.client_credentials(&again, &secret, "").await.status(),
        StatusCode::UNAUTHORIZED,
        "the old secret stays dead"
    );
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await,
        json!({"active": false}),
        "the old token stays dead"
    );
    assert_eq!(
        introspect(&app, (&again, &new_secret), &token).await,
        json!({"active": false}),
        "even for the new owner of the id"
    );
    assert_eq!(
        wallet_resource(&app, "accounts", &token).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.access_token(&again, &new_secret).await;
    assert_eq!(
        wallet_resource(&app, "accounts", &fresh).await,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// ADMIN-07: what an edit may change (AMB-15)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_07_roles_and_notes_are_editable_and_show_on_the_next_get() {
    let app = spawn().await;
    let (client_id, _) = app.wallet("editable", &["accounts:view"]).await;

    let edited = edit(
        &app,
        &client_id,
        json!({"roles": ["payments:change", "reports:view"], "notes": "moved to payments"}),
    )
    .await;

    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let got = fetch(&app, &client_id).await;
    assert_eq!(
        strings(&got.body["roles"]),
        ["payments:change", "payments:view", "reports:view"]
    );
    assert_eq!(got.body["notes"], "moved to payments");
    assert_eq!(
        got.body, edited.body,
        "the edit answer is the stored client"
    );
}

#[tokio::test]
async fn admin_07_client_id_and_expiry_date_cannot_change_but_resending_them_is_accepted() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let created = create(
        &app,
        json!({"kind": "wallet", "id": "fixed", "expiry_date": "2030-12-31", "notes": "before"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let client_id = "wallet-demo-fixed";

    for (case, patch, field) in [
        (
            "another client_id",
            json!({"client_id": "wallet-demo-other", "notes": "after"}),
            "client_id",
        ),
        (
            "another wallet id",
            json!({"id": "other", "notes": "after"}),
            "id",
        ),
        (
            "a later expiry date",
            json!({"expiry_date": "2031-12-31", "notes": "after"}),
            "expiry_date",
        ),
        (
            "an earlier expiry date",
            json!({"expiry_date": "2030-07-01", "notes": "after"}),
            "expiry_date",
        ),
        (
            "another kind",
            json!({"kind": "admin_api", "notes": "after"}),
            "kind",
        ),
    ] {
        let reply = edit(&app, client_id, patch).await;
        assert_refused(&reply, "invalid_client_metadata", field, case);
    }
    let unchanged = fetch(&app, client_id).await;
    assert_eq!(unchanged.body["client_id"], client_id);
    assert_eq!(unchanged.body["id"], "fixed");
    assert_eq!(unchanged.body["expiry_date"], "2030-12-31");
    assert_eq!(unchanged.body["expires_at"], "2031-01-01T00:00:00Z");
    assert_eq!(
        unchanged.body["notes"], "before",
        "a refused edit changes nothing"
    );
    assert_eq!(
        fetch(&app, "wallet-demo-other").await.status,
        StatusCode::NOT_FOUND
    );

    let same = edit(
        &app,
        client_id,
        json!({"kind": "wallet", "client_id": client_id, "id": "fixed", "expiry_date": "2030-12-31", "notes": "after"}),
    )
    .await;
    assert_eq!(
        same.status,
        StatusCode::OK,
        "resending the same values: {}",
        same.text
    );
    assert_eq!(same.body["notes"], "after");
    assert_eq!(same.body["expiry_date"], "2030-12-31");

    // Once the date has passed, resending it is still no change.
    app.set_clock("2031-03-01T00:00:00Z").await;
    let late = edit(
        &app,
        client_id,
        json!({"expiry_date": "2030-12-31", "notes": "expired"}),
    )
    .await;
    assert_eq!(
        late.status,
        StatusCode::OK,
        "an expired client keeps its date: {}",
        late.text
    );
    assert_eq!(late.body["expires_at"], "2031-01-01T00:00:00Z");
    assert_eq!(late.body["expired"], true);

    let (admin_api, _) = app.admin_api_client(json!({})).await;
    let renamed = edit(&app, &admin_api, json!({"client_id": "renamed-admin"})).await;
    assert_refused(
        &renamed,
        "invalid_client_metadata",
        "client_id",
        "an admin_api client's id",
    );
    assert_eq!(
        fetch(&app, "renamed-admin").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(&app, &admin_api).await.status, StatusCode::OK);
}

#[tokio::test]
async fn admin_07_editing_an_unknown_client_is_404() {
    let app = spawn().await;
    let reply = edit(&app, "wallet-demo-nobody", json!({"notes": "x"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["error"], "not_found");
    assert_eq!(
        fetch(&app, "wallet-demo-nobody").await.status,
        StatusCode::NOT_FOUND
    );
}
