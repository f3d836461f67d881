//! The guarded test clock (`/test/clock`): what the `clock` rows of the catalogue stand on.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestServer, json_of, spawn, spawn_with};

const CLOCK: &str = "/test/clock";
const ADVANCE: &str = "/test/clock/advance";
/// 2030-06-15T23:59:59Z
const FIXED_UNIX: i64 = 1_907_798_399;

async fn reading(app: &TestServer) -> Value {
    let (status, body) = json_of(app.admin(Method::GET, CLOCK).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn unix_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[tokio::test]
async fn get_reads_a_running_clock_near_real_time() {
    let app = spawn().await;

    let body = reading(&app).await;

    assert_eq!(body["frozen"], false);
    let unix = body["unix"].as_i64().unwrap();
    assert!((unix - unix_now()).abs() <= 5, "{unix} is about now");
    assert_eq!(body["unix_millis"].as_i64().unwrap().div_euclid(1000), unix);
    assert!(body["now"].is_string());
}

#[tokio::test]
async fn put_sets_and_freezes_the_clock() {
    let app = spawn().await;

    for (what, request) in [
        ("now", json!({"now": "2030-06-15T23:59:59Z"})),
        ("unix", json!({"unix": FIXED_UNIX})),
    ] {
        let (status, set) = json_of(
            app.admin(Method::PUT, CLOCK)
                .json(&request)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let later = reading(&app).await;

        assert_eq!(status, StatusCode::OK, "{what}");
        assert_eq!(set["now"], "2030-06-15T23:59:59Z", "{what}");
        assert_eq!(set["unix"], FIXED_UNIX, "{what}");
        assert_eq!(set["frozen"], true, "{what}");
        assert_eq!(
            later["unix_millis"], set["unix_millis"],
            "{what}: it stands still"
        );
    }
}

#[tokio::test]
async fn advance_moves_the_clock_by_seconds_or_millis() {
    let app = spawn().await;
    app.set_clock("2030-06-15T23:59:59Z").await;

    let (status, by_seconds) = json_of(
        app.admin(Method::POST, ADVANCE)
            .json(&json!({"seconds": 61}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (_, by_millis) = json_of(
        app.admin(Method::POST, ADVANCE)
            .json(&json!({"millis": 500}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_seconds["unix"], FIXED_UNIX + 61);
    assert_eq!(by_seconds["now"], "2030-06-16T00:01:00Z");
    assert_eq!(by_millis["unix_millis"], (FIXED_UNIX + 61) * 1000 + 500);
    assert_eq!(by_millis["frozen"], true);
}

#[tokio::test]
async fn the_clock_drives_token_expiry() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;

    app.advance_clock(3600).await;
    let (_, body) = json_of(
        app.token_call("/oauth/introspect", &id, &secret, &token)
            .await,
    )
    .await;

    assert_eq!(body, json!({"active": false}));
}

#[tokio::test]
async fn delete_returns_to_real_time() {
    let app = spawn().await;
    app.set_clock("2030-06-15T23:59:59Z").await;

    let response = app.admin(Method::DELETE, CLOCK).send().await.unwrap();
    let body = reading(&app).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(body["frozen"], false);
    assert!(
        (body["unix"].as_i64().unwrap() - unix_now()).abs() <= 5,
        "back to about now: {body}"
    );
}

#[tokio::test]
async fn malformed_settings_are_400_naming_the_field() {
    let app = spawn().await;

    for (what, method, path, body) in [
        (
            "not RFC 3339",
            Method::PUT,
            CLOCK,
            json!({"now": "15/06/2030"}),
        ),
        (
            "both now and unix",
            Method::PUT,
            CLOCK,
            json!({"now": "2030-06-15T23:59:59Z", "unix": FIXED_UNIX}),
        ),
        ("neither", Method::PUT, CLOCK, json!({})),
        ("unknown field", Method::PUT, CLOCK, json!({"when": 1})),
        (
            "both seconds and millis",
            Method::POST,
            ADVANCE,
            json!({"seconds": 1, "millis": 1}),
        ),
    ] {
        let (status, json) =
            json_of(app.admin(method, path).json(&body).send().await.unwrap()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {json}");
        assert!(json["field"].is_string(), "{what}: {json}");
    }
    assert_eq!(reading(&app).await["frozen"], false, "nothing was set");
}

#[tokio::test]
async fn every_clock_endpoint_needs_authentication() {
    let app = spawn().await;

    for (method, path, body) in [
        (Method::GET, CLOCK, None),
        (Method::PUT, CLOCK, Some(json!({"unix": FIXED_UNIX}))),
        (Method::POST, ADVANCE, Some(json!({"seconds": 61}))),
        (Method::DELETE, CLOCK, None),
    ] {
        let mut request = app.request(method.clone(), path);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();

        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert!(
            response.headers().get("www-authenticate").is_some(),
            "{method} {path}: a challenge"
        );
    }
    assert_eq!(reading(&app).await["frozen"], false, "nothing was set");
}

#[tokio::test]
async fn read_only_admin_may_read_but_not_change_the_clock() {
    let app = spawn().await;
    let (reader, reader_secret) = app.wallet("reader", &["api_access:view"]).await;

    let get = app
        .request(Method::GET, CLOCK)
        .basic_auth(&reader, Some(&reader_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK, "GET with read permission");

    for (method, path, body) in [
        (Method::PUT, CLOCK, Some(json!({"unix": FIXED_UNIX}))),
        (Method::POST, ADVANCE, Some(json!({"seconds": 61}))),
        (Method::DELETE, CLOCK, None),
    ] {
        let mut request = app
            .request(method.clone(), path)
            .basic_auth(&reader, Some(&reader_secret));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let (status, json) = json_of(request.send().await.unwrap()).await;

        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {json}");
    }
    assert_eq!(reading(&app).await["frozen"], false, "nothing was set");
}

#[tokio::test]
async fn without_test_clock_the_endpoints_do_not_exist() {
    let app = spawn_with(|c| c.test_clock = false).await;

    for (method, path) in [
        (Method::GET, CLOCK),
        (Method::PUT, CLOCK),
        (Method::POST, ADVANCE),
        (Method::DELETE, CLOCK),
    ] {
        let response = app
            .admin(method.clone(), path)
            .json(&json!({"unix": FIXED_UNIX}))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
}
