//! Spawning a server and talking to it.
//!
//! `spawn()` starts the reference server in-process on `127.0.0.1:0` with a fresh SQLite file
//! in a temporary directory and the test clock on. Requests go through reqwest with redirects
//! off. `TEST_LOG=1` shows the server's logs.
#![allow(dead_code)]

use std::net::IpAddr;
use std::sync::Once;

use reference_server::config::{Config, Profile};
use reference_server::secret::ClientSecret;
use reference_server::{RunningServer, start};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const ADMIN_ID: &str = "bootstrap-admin";
pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789";

static TRACING: Once = Once::new();

fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .init();
        }
    });
}

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: TempDir,
}

/// A vendor-profile server with the test clock.
pub async fn spawn() -> TestServer {
    spawn_with(|_| {}).await
}

pub async fn spawn_strict() -> TestServer {
    spawn_with(|c| c.profile = Profile::Strict).await
}

/// A server whose configuration `adjust` may change first.
pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    init_tracing();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config::for_tests();
    config.database = format!("sqlite://{}", dir.path().join("reference.db").display());
    adjust(&mut config);
    let server = start(config, Some(ClientSecret::new(ADMIN_SECRET.to_owned())))
        .await
        .expect("the server starts");
    TestServer {
        base: server.base_url(),
        server: Some(server),
        http: http_client(None),
        dir,
    }
}

/// A reqwest client with redirects off, optionally bound to a source address (127.0.0.2 …).
pub fn http_client(source: Option<IpAddr>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(ip) = source {
        builder = builder.local_address(ip);
    }
    builder.build().expect("http client")
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with no authentication.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A POST with a raw `application/x-www-form-urlencoded` body, exactly as given.
    pub fn post_form(&self, path: &str, body: &str) -> RequestBuilder {
        self.http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
    }

    /// The same, sent from `source` (e.g. 127.0.0.2).
    pub fn post_form_from(&self, source: &str, path: &str, body: &str) -> RequestBuilder {
        http_client(Some(source.parse().expect("an IP address")))
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
    }

    /// A request authenticated as the bootstrap admin.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path)
            .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
    }

    /// Creates a client through the admin API; returns its view and its secret.
    pub async fn create_client(&self, body: Value) -> (Value, String) {
        let response = self
            .admin(Method::POST, "/admin/clients")
            .json(&body)
            .send()
            .await
            .expect("create");
        let status = response.status();
        let mut view: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "creating {body}: {view}");
        let secret = view["client_secret"].as_str().expect("secret").to_owned();
        view.as_object_mut()
            .expect("object")
            .remove("client_secret");
        (view, secret)
    }

    /// A wallet client `wallet-demo-{id}` with these roles.
    pub async fn wallet(&self, id: &str, roles: &[&str]) -> (String, String) {
        let (view, secret) = self
            .create_client(json!({"kind": "wallet", "id": id, "roles": roles}))
            .await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    }

    /// An admin_api client with the default scopes.
    pub async fn admin_api_client(&self, extra: Value) -> (String, String) {
        let mut body = json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]});
        if let (Some(target), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            target.extend(extra.clone());
        }
        let (view, secret) = self.create_client(body).await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    }

    /// `grant_type=client_credentials` with Basic authentication; the raw response.
    pub async fn client_credentials(&self, client_id: &str, secret: &str, extra: &str) -> Response {
        let mut body = "grant_type=client_credentials".to_owned();
        if !extra.is_empty() {
            body.push('&');
            body.push_str(extra);
        }
        self.post_form("/oauth/token", &body)
            .basic_auth(form_encode(client_id), Some(form_encode(secret)))
            .send()
            .await
            .expect("token request")
    }

    /// A fresh access token; panics unless the token endpoint answers 200.
    pub async fn access_token(&self, client_id: &str, secret: &str) -> String {
        let response = self.client_credentials(client_id, secret, "").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// POSTs `token=…` to an endpoint (introspect, check_token, revoke) as `client_id`.
    pub async fn token_call(
        &self,
        path: &str,
        client_id: &str,
        secret: &str,
        token: &str,
    ) -> Response {
        self.post_form(path, &format!("token={}", form_encode(token)))
            .basic_auth(form_encode(client_id), Some(form_encode(secret)))
            .send()
            .await
            .expect("token call")
    }

    /// Sets the server clock (RFC 3339) and freezes it there.
    pub async fn set_clock(&self, now: &str) {
        let response = self
            .admin(Method::PUT, "/test/clock")
            .json(&json!({ "now": now }))
            .send()
            .await
            .expect("clock");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "setting the clock to {now}"
        );
    }

    pub async fn advance_clock(&self, seconds: i64) {
        let response = self
            .admin(Method::POST, "/test/clock/advance")
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .expect("clock");
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (RFC 6749 App. B).
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Status, selected headers and body of a response, for assertions and snapshots.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

// ---------------------------------------------------------------------------------------------
// The admin API (admin*, ip_whitelist)
// ---------------------------------------------------------------------------------------------

/// One admin API answer: status, headers, the raw text (for leak checks) and the parsed body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: reqwest::header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map_or("", |v| v.to_str().expect("an ASCII header"))
    }
}

pub async fn send(request: RequestBuilder) -> Reply {
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
pub async fn create(app: &TestServer, body: Value) -> Reply {
    send(app.admin(Method::POST, "/admin/clients").json(&body)).await
}

pub async fn edit(app: &TestServer, client_id: &str, patch: Value) -> Reply {
    send(
        app.admin(Method::PATCH, &client_path(client_id))
            .json(&patch),
    )
    .await
}

pub async fn fetch(app: &TestServer, client_id: &str) -> Reply {
    send(app.admin(Method::GET, &client_path(client_id))).await
}

pub async fn list(app: &TestServer) -> Reply {
    send(app.admin(Method::GET, "/admin/clients")).await
}

/// `/admin/clients/{client_id}` with the id percent-encoded as a path segment: form encoding
/// writes a space as `+`, which a path keeps as a literal `+`.
pub fn client_path(client_id: &str) -> String {
    format!(
        "/admin/clients/{}",
        form_encode(client_id).replace('+', "%20")
    )
}

/// The listing's entry for `client_id`.
pub fn entry<'a>(listing: &'a Value, client_id: &str) -> &'a Value {
    listing["clients"]
        .as_array()
        .expect("a clients array")
        .iter()
        .find(|c| c["client_id"] == client_id)
        .unwrap_or_else(|| panic!("{client_id} is listed in {listing}"))
}

/// Introspection by `caller`; the parsed body.
pub async fn introspect(app: &TestServer, caller: (&str, &str), token: &str) -> Value {
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
pub async fn wallet_resource_server(app: &TestServer) -> (String, String) {
    let (view, secret) = app
        .create_client(json!({"kind": "resource_server", "resource_ids": ["wallet_api"]}))
        .await;
    (view["client_id"].as_str().expect("id").to_owned(), secret)
}

pub async fn wallet_resource(app: &TestServer, resource: &str, token: &str) -> StatusCode {
    app.request(Method::GET, &format!("/resources/wallet/{resource}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("resource request")
        .status()
}

pub fn strings(value: &Value) -> Vec<&str> {
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
pub fn assert_refused(reply: &Reply, error: &str, field: &str, case: &str) {
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

/// An RFC 3986 unreserved character: it survives Basic and form encoding unchanged.
pub fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}
