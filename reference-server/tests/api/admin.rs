//! The client administration API: who may use it (ADMIN-01; AMB-35) and what a create answers
//! (ADMIN-02; AMB-17).
//!
//! The API's other rows have modules of their own: `admin_lifecycle` (ADMIN-03 to ADMIN-05,
//! ADMIN-07), `admin_fields` (ADMIN-06, ADMIN-08 to ADMIN-10 and the pinned validation errors),
//! `admin_roles` (ROLE-01, ROLE-04), `admin_expiry` (EXP-01, EXP-05), `admin_redirects`
//! (VREDIR-04, VREDIR-09, SEC-BCP-01, SEC-BCP-03) and `ip_whitelist` (IP-06). The calls they
//! share (`create`, `edit`, `fetch`, `assert_refused` …) are in `helpers`.
//!
//! Every test drives a real server over HTTP. Bodies are pinned by insta snapshots in
//! `snapshots/`.

use reqwest::header::{CACHE_CONTROL, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_ID, ADMIN_SECRET, client_path, create, edit, entry, fetch, is_unreserved, list, send,
    spawn, wallet_resource_server,
};

/// Builds a request authenticated as one particular caller.
type Caller<'a> = Box<dyn Fn(Method, &str) -> RequestBuilder + 'a>;

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
// ADMIN-02: the created view (pinned)
// ---------------------------------------------------------------------------------------------

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
