//! The client administration API (ADMIN-*, ROLE-01, ROLE-04, EXP-01, EXP-05, VREDIR-04,
//! VREDIR-09, SEC-BCP-01, SEC-BCP-03, IP-06; AMB-05, AMB-07, AMB-13, AMB-15 to AMB-21, AMB-25,
//! AMB-26, AMB-35).
//!
//! Every test drives a real server over HTTP. Expiry rows set the server's test clock; nothing
//! sleeps. Error bodies are pinned by insta snapshots in `snapshots/`.

// The helpers below are test code outside `#[test]` functions: a panic there is a failed test.
#![allow(clippy::expect_used)]

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_ID, ADMIN_SECRET, TestServer, form_encode, spawn, spawn_strict};

/// One admin API answer: status, headers, the raw text (for leak checks) and the parsed body.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
    body: Value,
}

impl Reply {
    fn header(&self, name: reqwest::header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map_or("", |v| v.to_str().expect("an ASCII header"))
    }
}

async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("the request is sent");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// `POST /admin/clients` as the bootstrap admin.
async fn create(app: &TestServer, body: Value) -> Reply {
    send(app.admin(Method::POST, "/admin/clients").json(&body)).await
}

async fn edit(app: &TestServer, client_id: &str, patch: Value) -> Reply {
    send(
        app.admin(Method::PATCH, &client_path(client_id))
            .json(&patch),
    )
    .await
}

async fn fetch(app: &TestServer, client_id: &str) -> Reply {
    send(app.admin(Method::GET, &client_path(client_id))).await
}

async fn list(app: &TestServer) -> Reply {
    send(app.admin(Method::GET, "/admin/clients")).await
}

/// `/admin/clients/{client_id}` with the id percent-encoded as a path segment: form encoding
/// writes a space as `+`, which a path keeps as a literal `+`.
fn client_path(client_id: &str) -> String {
    format!(
        "/admin/clients/{}",
        form_encode(client_id).replace('+', "%20")
    )
}

/// The listing's entry for `client_id`.
fn entry<'a>(listing: &'a Value, client_id: &str) -> &'a Value {
    listing["clients"]
        .as_array()
        .expect("a clients array")
        .iter()
        .find(|c| c["client_id"] == client_id)
        .unwrap_or_else(|| panic!("{client_id} is listed in {listing}"))
}

/// Introspection by `caller`; the parsed body.
async fn introspect(app: &TestServer, caller: (&str, &str), token: &str) -> Value {
    let response = app
        .token_call("/oauth/introspect", caller.0, caller.1, token)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "introspection answers 200"
    );
    response.json().await.expect("json")
}

/// A resource-server client that may introspect wallet tokens (AMB-33).
async fn wallet_resource_server(app: &TestServer) -> (String, String) {
    let (view, secret) = app
        .create_client(json!({"kind": "resource_server", "resource_ids": ["wallet_api"]}))
        .await;
    (view["client_id"].as_str().expect("id").to_owned(), secret)
}

async fn wallet_resource(app: &TestServer, resource: &str, token: &str) -> StatusCode {
    app.request(Method::GET, &format!("/resources/wallet/{resource}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("resource request")
        .status()
}

fn strings(value: &Value) -> Vec<&str> {
    let mut values: Vec<&str> = value
        .as_array()
        .unwrap_or_else(|| panic!("{value} is an array"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect();
    values.sort_unstable();
    values
}

/// 400 with the given error code naming `field`.
fn assert_refused(reply: &Reply, error: &str, field: &str, case: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{case}: {}",
        reply.text
    );
    assert_eq!(reply.body["error"], error, "{case}: {}", reply.text);
    assert_eq!(reply.body["field"], field, "{case}: {}", reply.text);
    assert!(
        reply.body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{case}: a description says why: {}",
        reply.text
    );
}

/// Builds a request authenticated as one particular caller.
type Caller<'a> = Box<dyn Fn(Method, &str) -> RequestBuilder + 'a>;

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

// ---------------------------------------------------------------------------------------------
// ADMIN-01: who may use the admin API (AMB-35)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_01_every_endpoint_without_valid_authentication_is_401_with_a_challenge() {
    let app = spawn().await;
    let (target, _) = app.wallet("target", &[]).await;
    let path = client_path(&target);
    let secret_path = format!("{path}/secret");
    let endpoints = [
        (Method::GET, "/admin/clients"),
        (Method::POST, "/admin/clients"),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
        (Method::POST, secret_path.as_str()),
    ];
    for (method, endpoint) in endpoints {
        let attempts = [
            (
                "no Authorization header",
                app.request(method.clone(), endpoint),
            ),
            (
                "a wrong admin secret",
                app.request(method.clone(), endpoint)
                    .basic_auth(ADMIN_ID, Some("not-the-secret")),
            ),
            (
                "an unknown bearer token",
                app.request(method.clone(), endpoint)
                    .bearer_auth("no-such-token"),
            ),
            (
                "an unknown scheme",
                app.request(method.clone(), endpoint)
                    .header("authorization", "Digest x"),
            ),
        ];
        for (how, request) in attempts {
            let reply = send(request.json(&json!({"kind": "wallet", "id": "intruder"}))).await;
            let case = format!("{method} {endpoint} with {how}");
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
            let challenge = reply.header(WWW_AUTHENTICATE);
            assert!(
                challenge.contains("Basic") && challenge.contains("Bearer"),
                "{case}: challenge {challenge:?}"
            );
            assert_eq!(reply.body["error"], "invalid_client", "{case}");
        }
    }
    // Nothing was changed by the refused calls.
    assert_eq!(fetch(&app, &target).await.status, StatusCode::OK);
    assert_eq!(
        fetch(&app, "wallet-demo-intruder").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admin_01_read_permission_lists_and_gets_but_every_change_is_403() {
    let app = spawn().await;
    let (reader, reader_secret) = app.wallet("reader", &["api_access:view"]).await;
    let (target, target_secret) = app.wallet("target", &["accounts:view"]).await;
    let reader_token = app.access_token(&reader, &reader_secret).await;
    let path = client_path(&target);
    let secret_path = format!("{path}/secret");
    let as_basic = |method: Method, endpoint: &str| {
        app.request(method, endpoint)
            .basic_auth(&reader, Some(&reader_secret))
    };
    let as_bearer =
        |method: Method, endpoint: &str| app.request(method, endpoint).bearer_auth(&reader_token);

    for (how, call) in [
        (
            "Basic",
            &as_basic as &dyn Fn(Method, &str) -> RequestBuilder,
        ),
        ("Bearer", &as_bearer),
    ] {
        let listing = send(call(Method::GET, "/admin/clients")).await;
        assert_eq!(listing.status, StatusCode::OK, "list via {how}");
        entry(&listing.body, &target);
        let got = send(call(Method::GET, &path)).await;
        assert_eq!(got.status, StatusCode::OK, "get via {how}");
        assert_eq!(got.body["client_id"], target.as_str());

        let changes = [
            (
                "create",
                call(Method::POST, "/admin/clients")
                    .json(&json!({"kind": "wallet", "id": "new-one"})),
            ),
            (
                "edit",
                call(Method::PATCH, &path).json(&json!({"notes": "changed"})),
            ),
            ("delete", call(Method::DELETE, &path)),
            ("new secret", call(Method::POST, &secret_path)),
        ];
        for (what, request) in changes {
            let reply = send(request).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{what} via {how}: {}",
                reply.text
            );
            assert_eq!(reply.body["error"], "access_denied", "{what} via {how}");
        }
    }

    // The refused changes left everything as it was.
    let after = fetch(&app, &target).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body["notes"], Value::Null);
    assert_eq!(
        fetch(&app, "wallet-demo-new-one").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client_credentials(&target, &target_secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the target's secret was not replaced"
    );
}

#[tokio::test]
async fn admin_01_change_permission_or_merchant_admin_may_do_everything() {
    let app = spawn().await;
    let (merchant_admin, merchant_secret) = app
        .admin_api_client(json!({"roles": ["MERCHANT_ADMIN"]}))
        .await;
    let (wallet_admin, wallet_secret) = app.wallet("changer", &["api_access:change"]).await;
    let merchant_token = app.access_token(&merchant_admin, &merchant_secret).await;
    let wallet_token = app.access_token(&wallet_admin, &wallet_secret).await;

    let callers: [(&str, Caller<'_>); 4] = [
        (
            "MERCHANT_ADMIN via Basic",
            Box::new(|m, p| {
                app.request(m, p)
                    .basic_auth(&merchant_admin, Some(&merchant_secret))
            }),
        ),
        (
            "MERCHANT_ADMIN via Bearer",
            Box::new(|m, p| app.request(m, p).bearer_auth(&merchant_token)),
        ),
        (
            "api_access:change via Basic",
            Box::new(|m, p| {
                app.request(m, p)
                    .basic_auth(&wallet_admin, Some(&wallet_secret))
            }),
        ),
        (
            "api_access:change via Bearer",
            Box::new(|m, p| app.request(m, p).bearer_auth(&wallet_token)),
        ),
    ];
    for (i, (who, call)) in callers.iter().enumerate() {
        let id = format!("made-by-{i}");
        let created =
            send(call(Method::POST, "/admin/clients").json(&json!({"kind": "wallet", "id": id})))
                .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{who} creates: {}",
            created.text
        );
        let client_id = created.body["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned();
        let path = client_path(&client_id);

        // Change implies read.
        assert_eq!(
            send(call(Method::GET, "/admin/clients")).await.status,
            StatusCode::OK,
            "{who} lists"
        );
        assert_eq!(
            send(call(Method::GET, &path)).await.status,
            StatusCode::OK,
            "{who} gets"
        );
        let edited = send(call(Method::PATCH, &path).json(&json!({"notes": "edited"}))).await;
        assert_eq!(
            edited.status,
            StatusCode::OK,
            "{who} edits: {}",
            edited.text
        );
        assert_eq!(edited.body["notes"], "edited");
        let renewed = send(call(Method::POST, &format!("{path}/secret"))).await;
        assert_eq!(
            renewed.status,
            StatusCode::OK,
            "{who} issues a new secret: {}",
            renewed.text
        );
        let deleted = send(call(Method::DELETE, &path)).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{who} deletes");
        assert_eq!(
            fetch(&app, &client_id).await.status,
            StatusCode::NOT_FOUND,
            "{who}'s delete took effect"
        );
    }
}

#[tokio::test]
async fn admin_01_a_client_without_an_admin_permission_is_403() {
    let app = spawn().await;
    let (payments, payments_secret) = app
        .admin_api_client(json!({"roles": ["PAYMENTS_VIEW", "USERS_MANAGE"]}))
        .await;
    let (wallet, wallet_secret) = app
        .wallet("no-admin", &["accounts:change", "payments:change"])
        .await;
    let (one_click, one_click_secret) = {
        let (view, secret) = app
            .create_client(json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"]}))
            .await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    };
    let (rs, rs_secret) = wallet_resource_server(&app).await;
    let payments_token = app.access_token(&payments, &payments_secret).await;
    let wallet_token = app.access_token(&wallet, &wallet_secret).await;
    // A wallet with api_access:change acts with what its token was granted: a token scoped
    // without api_access carries no admin permission, and one scoped to view only reads.
    let (changer, changer_secret) = app
        .wallet("scoped", &["api_access:change", "accounts:view"])
        .await;
    let scoped_token = {
        let response = app
            .client_credentials(&changer, &changer_secret, "scope=accounts%3Aview")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.expect("json")["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let view_token = {
        let response = app
            .client_credentials(&changer, &changer_secret, "scope=api_access%3Aview")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.expect("json")["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    };

    let callers = [
        (
            "admin_api without MERCHANT_ADMIN, Basic",
            app.request(Method::GET, "/admin/clients")
                .basic_auth(&payments, Some(&payments_secret)),
        ),
        (
            "admin_api without MERCHANT_ADMIN, Bearer",
            app.request(Method::GET, "/admin/clients")
                .bearer_auth(&payments_token),
        ),
        (
            "wallet without api_access, Basic",
            app.request(Method::GET, "/admin/clients")
                .basic_auth(&wallet, Some(&wallet_secret)),
        ),
        (
            "wallet without api_access, Bearer",
            app.request(Method::GET, "/admin/clients")
                .bearer_auth(&wallet_token),
        ),
        (
            "one_click, Basic",
            app.request(Method::GET, "/admin/clients")
                .basic_auth(&one_click, Some(&one_click_secret)),
        ),
        (
            "resource_server, Basic",
            app.request(Method::GET, "/admin/clients")
                .basic_auth(&rs, Some(&rs_secret)),
        ),
        (
            "api_access:change wallet, token scoped to accounts:view",
            app.request(Method::GET, "/admin/clients")
                .bearer_auth(&scoped_token),
        ),
    ];
    for (who, request) in callers {
        let reply = send(request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}: {}", reply.text);
        assert_eq!(reply.body["error"], "access_denied", "{who}");
    }
    let read_only = send(
        app.request(Method::POST, "/admin/clients")
            .bearer_auth(&view_token)
            .json(&json!({"kind": "wallet", "id": "x"})),
    )
    .await;
    assert_eq!(
        read_only.status,
        StatusCode::FORBIDDEN,
        "a token scoped to api_access:view cannot create"
    );
    let listing = send(
        app.request(Method::GET, "/admin/clients")
            .bearer_auth(&view_token),
    )
    .await;
    assert_eq!(listing.status, StatusCode::OK, "but it can list");
}

#[tokio::test]
async fn admin_01_losing_the_admin_permission_takes_effect_at_once_for_basic_and_bearer() {
    let app = spawn().await;
    let (admin, secret) = app.wallet("demoted", &["api_access:change"]).await;
    let token = app.access_token(&admin, &secret).await;
    let as_basic = || {
        app.request(Method::GET, "/admin/clients")
            .basic_auth(&admin, Some(&secret))
    };
    let as_bearer = || {
        app.request(Method::GET, "/admin/clients")
            .bearer_auth(&token)
    };
    assert_eq!(send(as_basic()).await.status, StatusCode::OK);
    assert_eq!(send(as_bearer()).await.status, StatusCode::OK);

    let demoted = edit(&app, &admin, json!({"roles": ["accounts:view"]})).await;
    assert_eq!(demoted.status, StatusCode::OK);

    assert_eq!(
        send(as_basic()).await.status,
        StatusCode::FORBIDDEN,
        "Basic, after the role is gone"
    );
    assert_eq!(
        send(as_bearer()).await.status,
        StatusCode::FORBIDDEN,
        "a token issued before, after the role is gone"
    );
}

// ---------------------------------------------------------------------------------------------
// ADMIN-02: the secret is shown once (AMB-17)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_02_create_is_201_with_a_strong_secret_shown_once_and_never_again() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "wallet", "id": "acme-backend", "roles": ["accounts:view"]}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.header(CACHE_CONTROL), "no-store");
    let client_id = created.body["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();
    assert_eq!(client_id, "wallet-demo-acme-backend");
    let secret = created.body["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    // 43 base64url characters carry 258 bits; unreserved characters survive Basic and form encoding.
    assert!(
        secret.len() >= 43,
        "at least 256 bits: {} characters",
        secret.len()
    );
    assert!(
        secret.chars().all(is_unreserved),
        "only unreserved characters"
    );
    let location = created.header(LOCATION).to_owned();
    assert!(
        location.starts_with("/admin/clients/"),
        "Location {location:?}"
    );
    let (_, other_secret) = app.wallet("other", &[]).await;
    assert_ne!(
        secret, other_secret,
        "each client gets its own random secret"
    );
    assert_eq!(
        app.client_credentials(&client_id, &secret, "")
            .await
            .status(),
        StatusCode::OK,
        "the shown secret works"
    );

    // Every later answer about the client leaves the secret out.
    let later = [
        ("get", fetch(&app, &client_id).await),
        (
            "get via Location",
            send(app.admin(Method::GET, &location)).await,
        ),
        ("list", list(&app).await),
        (
            "edit",
            edit(
                &app,
                &client_id,
                json!({"notes": "rotated keys", "roles": ["accounts:change"]}),
            )
            .await,
        ),
        (
            "edit error",
            edit(&app, &client_id, json!({"expiry_date": "2099-01-01"})).await,
        ),
        (
            "edit naming the secret",
            edit(&app, &client_id, json!({"client_secret": secret})).await,
        ),
        (
            "duplicate create",
            create(
                &app,
                json!({"kind": "wallet", "id": "acme-backend", "client_secret": secret}),
            )
            .await,
        ),
        (
            "unknown field",
            create(&app, json!({"kind": "wallet", "id": "x", "secret": secret})).await,
        ),
        (
            "wrong type",
            create(
                &app,
                json!({"kind": "wallet", "id": ["x"], "client_secret": secret}),
            )
            .await,
        ),
        (
            "show secret",
            send(app.admin(Method::GET, &format!("{}/secret", client_path(&client_id)))).await,
        ),
    ];
    for (what, reply) in &later {
        assert!(
            !reply.text.contains(&secret),
            "{what} leaks the secret: {}",
            reply.text
        );
        assert!(
            !reply.text.contains(ADMIN_SECRET),
            "{what} leaks the bootstrap admin's secret"
        );
        assert!(
            reply.body.get("client_secret").is_none(),
            "{what} has a client_secret member"
        );
    }
    assert_eq!(later[0].1.status, StatusCode::OK);
    assert_eq!(
        later[1].1.status,
        StatusCode::OK,
        "the Location names the client"
    );
    assert_eq!(later[1].1.body["client_id"], client_id.as_str());
    assert_eq!(later[3].1.status, StatusCode::OK);
    assert_eq!(later[4].1.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        later[5].1.status,
        StatusCode::BAD_REQUEST,
        "the secret is not editable"
    );
    assert_eq!(later[6].1.status, StatusCode::CONFLICT);
    assert!(
        matches!(
            later[9].1.status,
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
        ),
        "there is no show-secret endpoint: {}",
        later[9].1.status
    );
}

#[tokio::test]
async fn admin_02_location_names_the_created_client_even_with_reserved_characters() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "admin_api", "client_id": "enc client:1/+"}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let location = created.header(LOCATION).to_owned();
    let got = send(app.admin(Method::GET, &location)).await;
    assert_eq!(got.status, StatusCode::OK, "GET {location}");
    assert_eq!(got.body["client_id"], "enc client:1/+");
}

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
// ROLE-01, ROLE-04: roles (AMB-20, AMB-21)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn role_01_change_grants_view_too_and_view_cannot_be_removed_while_change_stays() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({"kind": "wallet", "id": "roles", "roles": ["accounts:change"]}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        strings(&created.body["roles"]),
        ["accounts:change", "accounts:view"]
    );
    assert_eq!(
        strings(&fetch(&app, "wallet-demo-roles").await.body["roles"]),
        ["accounts:change", "accounts:view"]
    );
    let secret = created.body["client_secret"].as_str().expect("secret");
    let token: Value = app
        .client_credentials("wallet-demo-roles", secret, "")
        .await
        .json()
        .await
        .expect("json");
    let mut granted: Vec<&str> = token["scope"].as_str().expect("scope").split(' ').collect();
    granted.sort_unstable();
    assert_eq!(
        granted,
        ["accounts:change", "accounts:view"],
        "a token carries both"
    );

    // The edit body lists change without view: view stays.
    let edited = edit(
        &app,
        "wallet-demo-roles",
        json!({"roles": ["accounts:change", "reports:view"]}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(
        strings(&edited.body["roles"]),
        ["accounts:change", "accounts:view", "reports:view"]
    );

    let view_only = create(
        &app,
        json!({"kind": "wallet", "id": "viewer", "roles": ["reports:view"]}),
    )
    .await;
    assert_eq!(view_only.status, StatusCode::CREATED);
    assert_eq!(
        strings(&view_only.body["roles"]),
        ["reports:view"],
        "view alone is allowed"
    );
}

#[tokio::test]
async fn role_01_malformed_wallet_roles_are_400() {
    let app = spawn().await;
    for (case, role) in [
        ("an unknown resource", "wallets:view"),
        ("an unknown level", "accounts:edit"),
        ("no level", "accounts"),
        ("upper case", "Accounts:View"),
        ("an admin_api role", "MERCHANT_ADMIN"),
    ] {
        let reply = create(
            &app,
            json!({"kind": "wallet", "id": "r", "roles": ["accounts:view", role]}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "roles[1]", case);
    }
}

#[tokio::test]
async fn role_04_an_admin_api_role_outside_the_catalogue_is_400() {
    let app = spawn().await;
    for (case, role) in [
        ("an unknown role", "ROOT"),
        ("wrong case", "merchant_admin"),
        ("a wallet role", "accounts:view"),
        ("empty", ""),
    ] {
        let reply = create(
            &app,
            json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", role]}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "roles[1]", case);
    }
    let (client_id, _) = app.admin_api_client(json!({})).await;
    let edited = edit(&app, &client_id, json!({"roles": ["SUPERUSER"]})).await;
    assert_refused(
        &edited,
        "invalid_client_metadata",
        "roles[0]",
        "an edit to an unknown role",
    );
    assert_eq!(
        strings(&fetch(&app, &client_id).await.body["roles"]),
        ["PAYMENTS_VIEW"]
    );
}

#[tokio::test]
async fn role_04_admin_api_roles_appear_as_authorities_in_introspection_and_check_token() {
    let app = spawn().await;
    let (client_id, secret) = app
        .admin_api_client(json!({"roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
        .await;
    let token = app.access_token(&client_id, &secret).await;

    let introspected = introspect(&app, (&client_id, &secret), &token).await;
    let checked = app
        .token_call("/oauth/check_token", &client_id, &secret, &token)
        .await;

    assert_eq!(introspected["active"], true);
    assert_eq!(
        strings(&introspected["authorities"]),
        ["PAYMENTS_VIEW", "REPORTS_VIEW"]
    );
    assert_eq!(checked.status(), StatusCode::OK);
    let checked: Value = checked.json().await.expect("json");
    assert_eq!(
        strings(&checked["authorities"]),
        ["PAYMENTS_VIEW", "REPORTS_VIEW"]
    );
}

// ---------------------------------------------------------------------------------------------
// EXP-01, EXP-05: wallet expiry dates (AMB-12, AMB-13, AMB-15)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn exp_01_without_an_expiry_date_a_wallet_expires_one_calendar_year_later() {
    let app = spawn().await;
    for (now, date, cutoff) in [
        ("2030-06-15T12:00:00Z", "2031-06-15", "2031-06-16T00:00:00Z"),
        ("2030-12-31T23:59:59Z", "2031-12-31", "2032-01-01T00:00:00Z"),
        // The UTC date counts, not the one of any other zone.
        ("2030-01-01T00:00:00Z", "2031-01-01", "2031-01-02T00:00:00Z"),
    ] {
        app.set_clock(now).await;
        let id = format!("y{}", &now[..10]);
        let created = create(&app, json!({"kind": "wallet", "id": id})).await;
        assert_eq!(created.status, StatusCode::CREATED, "at {now}");
        assert_eq!(created.body["expiry_date"], date, "created at {now}");
        assert_eq!(created.body["expires_at"], cutoff, "created at {now}");
    }
}

#[tokio::test]
async fn exp_01_created_on_29_february_a_wallet_expires_on_28_february() {
    let app = spawn().await;
    for (i, now) in ["2028-02-29T00:00:00Z", "2028-02-29T23:59:59Z"]
        .into_iter()
        .enumerate()
    {
        app.set_clock(now).await;

        let created = create(&app, json!({"kind": "wallet", "id": format!("leap-{i}")})).await;

        assert_eq!(created.status, StatusCode::CREATED);
        assert_eq!(
            created.body["expiry_date"], "2029-02-28",
            "created at {now}"
        );
        assert_eq!(
            created.body["expires_at"], "2029-03-01T00:00:00Z",
            "created at {now}"
        );
    }
    let explicit = create(
        &app,
        json!({"kind": "wallet", "id": "leap-explicit", "expiry_date": "2032-02-29"}),
    )
    .await;
    assert_eq!(
        explicit.status,
        StatusCode::CREATED,
        "29 February of a leap year is a date"
    );
    assert_eq!(explicit.body["expires_at"], "2032-03-01T00:00:00Z");
}

#[tokio::test]
async fn exp_01_today_is_accepted_and_yesterday_refused() {
    let app = spawn().await;
    for (i, now) in ["2030-06-15T00:00:00Z", "2030-06-15T23:59:59Z"]
        .into_iter()
        .enumerate()
    {
        app.set_clock(now).await;

        let today = create(
            &app,
            json!({"kind": "wallet", "id": format!("today-{i}"), "expiry_date": "2030-06-15"}),
        )
        .await;
        let yesterday = create(
            &app,
            json!({"kind": "wallet", "id": format!("yesterday-{i}"), "expiry_date": "2030-06-14"}),
        )
        .await;

        assert_eq!(
            today.status,
            StatusCode::CREATED,
            "today at {now}: {}",
            today.text
        );
        assert_eq!(today.body["expiry_date"], "2030-06-15");
        assert_eq!(today.body["expires_at"], "2030-06-16T00:00:00Z");
        assert_eq!(today.body["expired"], false);
        assert_refused(
            &yesterday,
            "invalid_client_metadata",
            "expiry_date",
            &format!("yesterday at {now}"),
        );
        if i == 0 {
            insta::assert_json_snapshot!(
                "exp_01_expiry_date_in_the_past",
                json!({"status": yesterday.status.as_u16(), "body": yesterday.body})
            );
        }
    }
}

#[tokio::test]
async fn exp_01_a_malformed_expiry_date_is_400() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    for (case, date) in [
        ("day first", json!("15/06/2030")),
        ("no leading zeros", json!("2030-6-15")),
        ("30 February", json!("2031-02-30")),
        ("29 February of a common year", json!("2031-02-29")),
        ("a timestamp", json!("2030-06-15T00:00:00Z")),
        ("empty", json!("")),
    ] {
        let reply = create(
            &app,
            json!({"kind": "wallet", "id": "bad-date", "expiry_date": date}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "expiry_date", case);
        if case == "30 February" {
            insta::assert_json_snapshot!(
                "exp_01_malformed_expiry_date",
                json!({"status": reply.status.as_u16(), "body": reply.body})
            );
        }
    }
    let number = create(
        &app,
        json!({"kind": "wallet", "id": "bad-date", "expiry_date": 20_300_615}),
    )
    .await;
    assert_refused(
        &number,
        "invalid_client_metadata",
        "expiry_date",
        "a number",
    );
    let other_kind = create(
        &app,
        json!({"kind": "admin_api", "expiry_date": "2031-01-01"}),
    )
    .await;
    assert_refused(
        &other_kind,
        "invalid_client_metadata",
        "expiry_date",
        "an admin_api client has no expiry date",
    );
}

#[tokio::test]
async fn exp_05_the_listing_shows_the_cutoff_and_expired_true_once_it_has_passed() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let created = create(
        &app,
        json!({"kind": "wallet", "id": "short-lived", "expiry_date": "2030-06-15"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let (lasting, _) = app.wallet("lasting", &[]).await;
    let client_id = "wallet-demo-short-lived";

    for (now, expired) in [
        ("2030-06-15T12:00:00Z", false),
        ("2030-06-15T23:59:59Z", false),
        ("2030-06-16T00:00:00Z", true),
        ("2031-01-01T00:00:00Z", true),
    ] {
        app.set_clock(now).await;

        let listing = list(&app).await;

        assert_eq!(listing.status, StatusCode::OK);
        let shown = entry(&listing.body, client_id);
        assert_eq!(shown["expiry_date"], "2030-06-15", "at {now}");
        assert_eq!(shown["expires_at"], "2030-06-16T00:00:00Z", "at {now}");
        assert_eq!(shown["expired"], expired, "listing at {now}");
        assert_eq!(
            fetch(&app, client_id).await.body["expired"],
            expired,
            "get at {now}"
        );
        assert_eq!(
            entry(&listing.body, &lasting)["expired"],
            false,
            "a client expiring 2031-06-15, at {now}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// VREDIR-04, VREDIR-09, SEC-BCP-01, SEC-BCP-03: redirect URL registration (AMB-01 to AMB-05)
// ---------------------------------------------------------------------------------------------

/// Registers `url` as the second redirect URL of a new 1-Click client.
async fn register(app: &TestServer, url: &str) -> Reply {
    create(
        app,
        json!({"kind": "one_click", "redirect_urls": ["https://ok.example/cb", url]}),
    )
    .await
}

#[tokio::test]
async fn vredir_04_a_registration_with_a_query_or_fragment_is_400() {
    let app = spawn().await;
    for url in [
        "https://m.example/cb?order=42",
        "https://m.example/cb?",
        "https://m.example/cb?*",
        "https://m.example/cb#x",
        "https://m.example/cb#",
        "https://m.example/cb?a=1#x",
    ] {
        let reply = register(&app, url).await;
        assert_refused(&reply, "invalid_redirect_uri", "redirect_urls[1]", url);
        if url == "https://m.example/cb?order=42" {
            insta::assert_json_snapshot!(
                "vredir_04_registered_query",
                json!({"status": reply.status.as_u16(), "body": reply.body})
            );
        }
    }
    let (client_id, _) = {
        let (view, secret) = app
            .create_client(json!({"kind": "one_click", "redirect_urls": ["https://m.example/cb"]}))
            .await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    };
    let edited = edit(
        &app,
        &client_id,
        json!({"redirect_urls": ["https://m.example/cb?x=1"]}),
    )
    .await;
    assert_refused(
        &edited,
        "invalid_redirect_uri",
        "redirect_urls[0]",
        "an edit adding a query",
    );
}

#[tokio::test]
async fn vredir_09_misplaced_wildcards_are_refused_at_registration() {
    let app = spawn().await;
    for (case, url) in [
        ("* alone", "*"),
        ("a bare host wildcard", "https://*/cb"),
        ("one literal label after the wildcard", "https://*.com/cb"),
        ("two host wildcards", "https://*.*.m.example/cb"),
        (
            "a wildcard below the left-most label",
            "https://a.*.m.example/cb",
        ),
        ("a partial label", "https://shop*.m.example/cb"),
        ("a wildcard with an IPv4 host", "https://*.10.0.0.1/cb"),
        ("a wildcard in an IPv6 host", "https://[*::1]/cb"),
        ("a wildcard user-info", "https://*@m.example/cb"),
        ("a wildcard password", "https://user:*@m.example/cb"),
        ("a wildcard port", "https://m.example:*/cb"),
        ("a partial wildcard port", "https://*.m.example:8*/cb"),
        ("a wildcard scheme", "*://m.example/cb"),
        ("a partial wildcard scheme", "http*://m.example/cb"),
    ] {
        let reply = register(&app, url).await;
        assert_refused(
            &reply,
            "invalid_redirect_uri",
            "redirect_urls[1]",
            &format!("{case}: {url}"),
        );
    }
    insta::assert_json_snapshot!("vredir_09_bad_redirect_url", {
        let reply = register(&app, "https://*.com/cb").await;
        json!({"status": reply.status.as_u16(), "body": reply.body})
    });
    for url in [
        "https://*.m.example/cb",
        "https://m.example/cb/*",
        "https://m.example/*/cb",
        "https://*.m.example/*/x*",
    ] {
        let reply = register(&app, url).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "the vendor profile accepts {url}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn sec_bcp_01_the_strict_profile_refuses_every_wildcard_pattern() {
    let app = spawn_strict().await;
    for url in [
        "https://*.m.example/cb",
        "https://m.example/cb/*",
        "https://m.example/*",
        "https://m.example/c*b",
    ] {
        let reply = register(&app, url).await;
        assert_refused(&reply, "invalid_redirect_uri", "redirect_urls[1]", url);
    }
    let exact = register(&app, "https://m.example/cb").await;
    assert_eq!(
        exact.status,
        StatusCode::CREATED,
        "an exact URL is fine: {}",
        exact.text
    );
}

#[tokio::test]
async fn sec_bcp_03_http_redirect_urls_need_a_loopback_host_in_both_profiles() {
    for (profile, app) in [("vendor", spawn().await), ("strict", spawn_strict().await)] {
        for url in [
            "http://m.example/cb",
            "HTTP://M.EXAMPLE/cb",
            "http://10.0.0.1/cb",
            "http://192.168.1.1:8080/cb",
            "http://[2001:db8::1]/cb",
            "http://localhost.m.example/cb",
            "http://127.0.0.1.nip.io/cb",
        ] {
            let reply = register(&app, url).await;
            assert_refused(
                &reply,
                "invalid_redirect_uri",
                "redirect_urls[1]",
                &format!("{profile}: {url}"),
            );
        }
        for url in [
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51234/cb",
            "http://[::1]/cb",
            "http://localhost:8080/cb",
        ] {
            let reply = register(&app, url).await;
            assert_eq!(
                reply.status,
                StatusCode::CREATED,
                "{profile}: loopback {url}: {}",
                reply.text
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IP-06: whitelist entries (AMB-07)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ip_06_addresses_and_cidr_blocks_of_both_families_are_accepted() {
    let app = spawn().await;

    let created = create(
        &app,
        json!({
            "kind": "wallet",
            "id": "listed",
            "ip_whitelist": ["127.0.0.2", "127.0.0.0/30", "::1", "::1/128", "2001:db8::/32", "::ffff:127.0.0.3", "10.0.0.0/8"]
        }),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    // ::1 and ::1/128 are the same entry; a mapped address is stored as IPv4.
    assert_eq!(
        created.body["ip_whitelist"],
        json!([
            "127.0.0.2",
            "127.0.0.0/30",
            "::1",
            "2001:db8::/32",
            "127.0.0.3",
            "10.0.0.0/8"
        ])
    );
    assert_eq!(
        fetch(&app, "wallet-demo-listed").await.body["ip_whitelist"],
        created.body["ip_whitelist"]
    );
    let edited = edit(
        &app,
        "wallet-demo-listed",
        json!({"ip_whitelist": ["192.0.2.0/24"]}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(edited.body["ip_whitelist"], json!(["192.0.2.0/24"]));
}

#[tokio::test]
async fn ip_06_invalid_whitelist_entries_are_400_naming_the_entry() {
    let app = spawn().await;
    for entry in [
        "300.1.1.1",
        "10.0.0.0/33",
        "::1/129",
        "fe80::1%eth0",
        "localhost",
        "m.example",
        "127.0.0.1/8/1",
        "1.2.3",
        "010.0.0.1",
        "0x7f.0.0.1",
        "",
    ] {
        let reply = create(
            &app,
            json!({"kind": "wallet", "id": "ip", "ip_whitelist": ["127.0.0.2", entry]}),
        )
        .await;
        assert_refused(
            &reply,
            "invalid_client_metadata",
            "ip_whitelist[1]",
            &format!("entry {entry:?}"),
        );
    }
    let (client_id, _) = app.wallet("ip-edit", &[]).await;
    let edited = edit(&app, &client_id, json!({"ip_whitelist": ["fe80::1%eth0"]})).await;
    assert_refused(
        &edited,
        "invalid_client_metadata",
        "ip_whitelist[0]",
        "an edit with a zone id",
    );
    assert_eq!(
        fetch(&app, &client_id).await.body["ip_whitelist"],
        json!([])
    );
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

#[tokio::test]
async fn admin_02_a_created_wallet_view_is_pinned() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;

    let created = create(
        &app,
        json!({"kind": "wallet", "id": "acme-backend", "name": "Acme", "notes": "n", "roles": ["accounts:change"], "ip_whitelist": ["127.0.0.2"]}),
    )
    .await;

    assert_eq!(created.status, StatusCode::CREATED);
    insta::assert_json_snapshot!("admin_02_created_wallet", created.body, {".client_secret" => "[secret]"});
}
