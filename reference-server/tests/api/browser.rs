//! A scripted user agent for the code flow: a cookie jar, redirects never followed, the login
//! and consent forms filled from the pages the server sends.

#![allow(dead_code)]

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestServer, form_encode};

pub const USER: &str = "test-user";
pub const PASSWORD: &str = "test-password";

/// The RFC 7636 Appendix B pair (also in fixtures/pkce-rfc7636-appendix-b.json).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
}

/// A consent page as served: its form fields and its HTML.
pub struct ConsentPage {
    pub ticket: String,
    pub csrf: String,
    pub html: String,
}

impl Browser {
    pub fn new(app: &TestServer) -> Self {
        Self::from_source(app, None)
    }

    /// A user agent whose socket is bound to `source` (e.g. 127.0.0.2).
    pub fn from_source(app: &TestServer, source: Option<&str>) -> Self {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true);
        if let Some(ip) = source {
            builder = builder.local_address(ip.parse::<std::net::IpAddr>().expect("an IP address"));
        }
        Self {
            http: builder.build().expect("browser"),
            base: app.base.clone(),
        }
    }

    /// `GET /oauth/authorize?{query}` as is.
    pub async fn authorize(&self, query: &str) -> Response {
        self.http
            .get(format!("{}/oauth/authorize?{query}", self.base))
            .send()
            .await
            .expect("authorize")
    }

    /// Fills the login page that `authorize(query)` shows; returns the login POST's answer.
    pub async fn sign_in_as(&self, query: &str, user: &str, password: &str) -> Response {
        let page = self.authorize(query).await;
        assert_eq!(page.status(), StatusCode::OK, "expected the login page");
        let html = page.text().await.expect("html");
        let csrf = hidden_field(&html, "csrf").expect("login csrf");
        let return_to = hidden_field(&html, "return_to").expect("return_to");
        self.http
            .post(format!("{}/oauth/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "csrf={}&return_to={}&username={}&password={}",
                form_encode(&csrf),
                form_encode(&return_to),
                form_encode(user),
                form_encode(password)
            ))
            .send()
            .await
            .expect("login")
    }

    /// Logs the test user in (through any valid authorization request of `query`).
    pub async fn sign_in(&self, query: &str) {
        let response = self.sign_in_as(query, USER, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login should answer 303"
        );
    }

    /// The consent page of a logged-in user agent.
    pub async fn consent_page(&self, query: &str) -> ConsentPage {
        let response = self.authorize(query).await;
        let status = response.status();
        let location = location(&response);
        let html = response.text().await.expect("html");
        assert_eq!(
            status,
            StatusCode::OK,
            "expected the consent page, got {status} {location:?}: {html}"
        );
        ConsentPage {
            ticket: hidden_field(&html, "ticket").expect("ticket"),
            csrf: hidden_field(&html, "csrf").expect("consent csrf"),
            html,
        }
    }

    /// Posts the consent form with `decision` (`approve` or `deny`).
    pub async fn decide(&self, page: &ConsentPage, decision: &str) -> Response {
        self.post_consent(&format!(
            "csrf={}&ticket={}&decision={decision}",
            form_encode(&page.csrf),
            form_encode(&page.ticket)
        ))
        .await
    }

    pub async fn post_consent(&self, body: &str) -> Response {
        self.http
            .post(format!("{}/oauth/consent", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .expect("consent")
    }

    /// Logs in if needed, approves, and returns the `Location` the server sends back.
    pub async fn approve(&self, query: &str) -> String {
        let first = self.authorize(query).await;
        let html = first.text().await.expect("html");
        if hidden_field(&html, "return_to").is_some() {
            self.sign_in(query).await;
        }
        let page = self.consent_page(query).await;
        let response = self.decide(&page, "approve").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        location(&response).expect("a Location")
    }

    /// A fresh code for `query` (which must be valid).
    pub async fn code(&self, query: &str) -> String {
        let location = self.approve(query).await;
        query_param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
    }
}

/// `name=value`, both form-encoded.
pub fn form_encode_pair(name: &str, value: &str) -> String {
    format!("{}={}", form_encode(name), form_encode(value))
}

pub fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("ASCII Location").to_owned())
}

/// A query parameter of a URL, form-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of `<input type="hidden" name="{name}" value="…">`, HTML entities decoded.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// An authorization request for `client_id` to `redirect_uri`, with extra parameters.
pub fn code_query(client_id: &str, redirect_uri: &str, extra: &str) -> String {
    let mut query = format!(
        "response_type=code&client_id={}&redirect_uri={}",
        form_encode(client_id),
        form_encode(redirect_uri)
    );
    if !extra.is_empty() {
        query.push('&');
        query.push_str(extra);
    }
    query
}

impl TestServer {
    /// A one_click client (confidential, code grant) with these redirect URLs.
    pub async fn code_client(&self, redirect_urls: &[&str]) -> (String, String) {
        self.code_client_with(json!({ "redirect_urls": redirect_urls }))
            .await
    }

    pub async fn code_client_with(&self, fields: Value) -> (String, String) {
        let mut body = json!({"kind": "one_click", "name": "Test shop"});
        if let (Some(target), Some(extra)) = (body.as_object_mut(), fields.as_object()) {
            target.extend(extra.clone());
        }
        let (view, secret) = self.create_client(body).await;
        (view["client_id"].as_str().expect("id").to_owned(), secret)
    }

    /// `grant_type=authorization_code` as `client_id`, with extra raw form parameters.
    pub async fn redeem(&self, client_id: &str, secret: &str, code: &str, extra: &str) -> Response {
        let mut body = format!("grant_type=authorization_code&code={}", form_encode(code));
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

    /// `grant_type=refresh_token` as `client_id`, with extra raw form parameters.
    pub async fn refresh(
        &self,
        client_id: &str,
        secret: &str,
        refresh_token: &str,
        extra: &str,
    ) -> Response {
        let mut body = format!(
            "grant_type=refresh_token&refresh_token={}",
            form_encode(refresh_token)
        );
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
}

/// The redirect URL of the code clients in the grant tests.
pub const SHOP_CB: &str = "https://shop.example/cb";

/// The token request's half of a code obtained with [`CHALLENGE`]: the same `redirect_uri`
/// and the Appendix B verifier.
pub fn exchange(redirect_uri: &str) -> String {
    format!(
        "{}&{}",
        form_encode_pair("redirect_uri", redirect_uri),
        form_encode_pair("code_verifier", VERIFIER)
    )
}

impl TestServer {
    /// A code for `client_id` (registered on [`SHOP_CB`]) with the S256 challenge of
    /// Appendix B and these extra authorization parameters.
    pub async fn s256_code(&self, browser: &Browser, client_id: &str, extra: &str) -> String {
        let mut params = format!("code_challenge={CHALLENGE}&code_challenge_method=S256");
        if !extra.is_empty() {
            params.push('&');
            params.push_str(extra);
        }
        browser.code(&code_query(client_id, SHOP_CB, &params)).await
    }

    /// The whole flow for `client_id` with `scope` (empty: the default); the token response.
    pub async fn user_tokens(&self, client_id: &str, secret: &str, scope: &str) -> Value {
        let browser = Browser::new(self);
        let extra = if scope.is_empty() {
            String::new()
        } else {
            form_encode_pair("scope", scope)
        };
        let code = self.s256_code(&browser, client_id, &extra).await;
        let response = self
            .redeem(client_id, secret, &code, &exchange(SHOP_CB))
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "code exchange: {body}");
        body
    }

    /// `token_call` read as JSON.
    pub async fn introspect_as(&self, client_id: &str, secret: &str, token: &str) -> Value {
        let response = self
            .token_call("/oauth/introspect", client_id, secret, token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "introspection");
        response.json().await.expect("json")
    }
}

/// The `error` of a 400 token response; panics on any other status.
pub async fn grant_error(response: Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.expect("json error body");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    body["error"].as_str().expect("error").to_owned()
}

/// A member of a token response as text.
pub fn member<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}
