//! RFC 8414 metadata (META-*).
//!
//! Every advertised endpoint and grant is exercised, not just read.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestServer, form_encode, json_of, spawn, spawn_strict, spawn_with};

const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

async fn metadata(app: &TestServer) -> Value {
    let response = app.request(Method::GET, WELL_KNOWN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// `endpoint` from the metadata as a path on this server.
fn path_of(app: &TestServer, doc: &Value, endpoint: &str) -> String {
    let url = doc[endpoint]
        .as_str()
        .unwrap_or_else(|| panic!("{endpoint} is advertised"));
    url.strip_prefix(&app.base)
        .unwrap_or_else(|| panic!("{endpoint} {url} is on this server"))
        .to_owned()
}

#[tokio::test]
async fn meta_01_metadata_is_json_with_no_empty_arrays() {
    let app = spawn().await;

    let response = app.request(Method::GET, WELL_KNOWN).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    for (name, value) in body.as_object().unwrap() {
        if let Some(values) = value.as_array() {
            assert!(!values.is_empty(), "{name} is an empty array");
        }
        if name.ends_with("_supported") {
            assert!(value.is_array(), "{name} can hold several values: an array");
        }
    }
    assert_eq!(
        body["issuer"],
        app.base.as_str(),
        "META-02: issuer is the base URL"
    );
}

#[tokio::test]
async fn meta_01_metadata_document_is_pinned() {
    let app = spawn().await;

    let text = app
        .request(Method::GET, WELL_KNOWN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // The port changes on every run.
    let body: Value = serde_json::from_str(&text.replace(&app.base, "http://[issuer]")).unwrap();
    insta::assert_json_snapshot!("metadata_vendor", body);
}

#[tokio::test]
async fn meta_02_issuer_is_the_base_url_without_query_or_fragment() {
    let app = spawn().await;

    let doc = metadata(&app).await;
    let issuer = doc["issuer"].as_str().unwrap();
    let parsed = url::Url::parse(issuer).unwrap();

    assert_eq!(
        issuer, app.base,
        "the URL the well-known path was derived from"
    );
    assert_eq!(parsed.query(), None);
    assert_eq!(parsed.fragment(), None);
    assert_eq!(
        parsed.scheme(),
        "http",
        "plain http only in the loopback sandbox"
    );
    assert!(
        parsed
            .host_str()
            .unwrap()
            .parse::<std::net::IpAddr>()
            .unwrap()
            .is_loopback(),
        "{issuer} is loopback"
    );
}

#[tokio::test]
async fn meta_02_issuer_with_a_path_is_served_at_the_suffixed_well_known_url() {
    let issuer = "https://sandbox.example/tenant-1";
    let app = spawn_with(|c| c.issuer = Some(issuer.to_owned())).await;

    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    let response = app
        .request(Method::GET, &format!("{WELL_KNOWN}/tenant-1"))
        .send()
        .await
        .unwrap();
    let (status, doc) = json_of(response).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        doc["issuer"], issuer,
        "exactly the issuer it was derived from"
    );
    assert_eq!(doc["token_endpoint"], format!("{issuer}/oauth/token"));
}

#[tokio::test]
async fn meta_04_grant_types_supported_is_the_working_set_and_others_are_unsupported() {
    let app = spawn().await;
    let doc = metadata(&app).await;
    let listed = strings(&doc["grant_types_supported"]);
    let (cc, cc_secret) = app.admin_api_client(json!({})).await;
    // A client registered for the code grant, so that only the server's support is in question.
    let (code_view, code_secret) = app
        .create_client(json!({
            "kind": "one_click",
            "grants": ["authorization_code", "client_credentials"],
            "redirect_urls": ["https://client.example/cb"],
        }))
        .await;
    let code = code_view["client_id"].as_str().unwrap();

    assert_eq!(
        listed,
        BTreeSet::from(
            ["authorization_code", "client_credentials", "refresh_token"].map(String::from)
        ),
        "grant_types_supported"
    );
    let works = app.client_credentials(&cc, &cc_secret, "").await;
    assert_eq!(works.status(), StatusCode::OK, "client_credentials works");
    // The user grants are served: a made-up code or refresh token is a bad grant, not an unknown grant type.
    for grant in ["authorization_code", "refresh_token"] {
        let body = format!(
            "grant_type={grant}&code=abc&refresh_token=abc&redirect_uri={}",
            form_encode("https://client.example/cb")
        );
        let response = app
            .post_form(&path_of(&app, &doc, "token_endpoint"), &body)
            .basic_auth(code, Some(&code_secret))
            .send()
            .await
            .unwrap();
        let (status, json) = json_of(response).await;
        assert_eq!(
            (status, json["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{grant} is served"
        );
    }

    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:example:nope",
    ] {
        assert!(!listed.contains(grant), "{grant} is not listed");
        let body = format!(
            "grant_type={}&code=abc&refresh_token=abc&username=u&password=p&redirect_uri={}",
            form_encode(grant),
            form_encode("https://client.example/cb")
        );
        let response = app
            .post_form(&path_of(&app, &doc, "token_endpoint"), &body)
            .basic_auth(code, Some(&code_secret))
            .send()
            .await
            .unwrap();
        let (status, json) = json_of(response).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{grant}");
        assert_eq!(json["error"], "unsupported_grant_type", "{grant}");
        assert!(json.get("access_token").is_none(), "{grant}: no token");
    }
}

#[tokio::test]
async fn meta_05_every_listed_auth_method_works_at_token_introspection_and_revocation() {
    let app = spawn().await;
    let doc = metadata(&app).await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let expected = BTreeSet::from([
        "client_secret_basic".to_owned(),
        "client_secret_post".to_owned(),
    ]);

    for (endpoint, methods) in [
        ("token_endpoint", "token_endpoint_auth_methods_supported"),
        (
            "introspection_endpoint",
            "introspection_endpoint_auth_methods_supported",
        ),
        (
            "revocation_endpoint",
            "revocation_endpoint_auth_methods_supported",
        ),
    ] {
        assert_eq!(strings(&doc[methods]), expected, "{methods}");
        let path = path_of(&app, &doc, endpoint);
        for method in &expected {
            let token = app.access_token(&id, &secret).await;
            let params = if endpoint == "token_endpoint" {
                "grant_type=client_credentials".to_owned()
            } else {
                format!("token={}", form_encode(&token))
            };
            let request = match method.as_str() {
                "client_secret_basic" => {
                    app.post_form(&path, &params).basic_auth(&id, Some(&secret))
                }
                _ => app.post_form(
                    &path,
                    &format!(
                        "{params}&client_id={}&client_secret={}",
                        form_encode(&id),
                        form_encode(&secret)
                    ),
                ),
            };

            let (status, body) = json_of(request.send().await.unwrap()).await;

            assert_eq!(status, StatusCode::OK, "{endpoint} with {method}: {body}");
            if endpoint == "token_endpoint" {
                assert!(body["access_token"].is_string(), "{method}: a token");
            }
            if endpoint == "introspection_endpoint" {
                assert_eq!(body["active"], true, "{method}: the caller was recognised");
            }
        }
    }
}

#[tokio::test]
async fn meta_05_none_and_unlisted_auth_methods_fail_everywhere() {
    let app = spawn().await;
    let doc = metadata(&app).await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;
    let assertion_type = form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

    for endpoint in [
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        let path = path_of(&app, &doc, endpoint);
        let params = if endpoint == "token_endpoint" {
            "grant_type=client_credentials".to_owned()
        } else {
            format!("token={}", form_encode(&token))
        };
        for (method, body) in [
            ("none", format!("{params}&client_id={id}")),
            (
                "client_secret_jwt / private_key_jwt",
                format!(
                    "{params}&client_id={id}&client_assertion_type={assertion_type}&client_assertion=eyJhbGciOiJub25lIn0.e30."
                ),
            ),
        ] {
            let (status, json) = json_of(app.post_form(&path, &body).send().await.unwrap()).await;

            assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint} with {method}");
            assert_eq!(json["error"], "invalid_client", "{endpoint} with {method}");
        }
    }
    assert!(
        !strings(&doc["token_endpoint_auth_methods_supported"]).contains("none"),
        "none is not listed"
    );
}

#[tokio::test]
async fn meta_06_revocation_and_introspection_endpoints_are_advertised_and_live() {
    let app = spawn().await;
    let doc = metadata(&app).await;
    let (id, secret) = app.admin_api_client(json!({})).await;
    let token = app.access_token(&id, &secret).await;
    let introspect = path_of(&app, &doc, "introspection_endpoint");
    let revoke = path_of(&app, &doc, "revocation_endpoint");

    let (_, before) = json_of(app.token_call(&introspect, &id, &secret, &token).await).await;
    let revoked = app.token_call(&revoke, &id, &secret, &token).await;
    let (_, after) = json_of(app.token_call(&introspect, &id, &secret, &token).await).await;

    assert_eq!(before["active"], true, "introspection finds the live token");
    assert_eq!(revoked.status(), StatusCode::OK, "revocation answers");
    assert_eq!(after, json!({"active": false}), "and revoked it");
    let scopes = strings(&doc["scopes_supported"]);
    assert!(!scopes.is_empty(), "scopes_supported is present");
    for scope in ["email", "paymentiq", "reports:view", "reports:change"] {
        assert!(scopes.contains(scope), "scopes_supported lists {scope}");
    }
}

#[tokio::test]
async fn meta_06_check_token_is_advertised_only_where_it_exists() {
    let vendor = spawn().await;
    let strict = spawn_strict().await;

    let vendor_doc = metadata(&vendor).await;
    let strict_doc = metadata(&strict).await;

    let path = path_of(&vendor, &vendor_doc, "check_token_endpoint");
    let live = vendor.post_form(&path, "token=x").send().await.unwrap();
    assert_eq!(
        live.status(),
        StatusCode::UNAUTHORIZED,
        "vendor check_token is live"
    );
    assert!(
        strict_doc.get("check_token_endpoint").is_none(),
        "strict profile: not advertised"
    );
}

#[tokio::test]
async fn meta_03_code_is_the_only_response_type_and_both_endpoints_are_live() {
    let app = spawn().await;
    let doc = metadata(&app).await;

    assert_eq!(
        strings(&doc["response_types_supported"]),
        BTreeSet::from(["code".to_owned()])
    );
    for endpoint in ["authorization_endpoint", "token_endpoint"] {
        assert!(
            doc[endpoint].as_str().unwrap().starts_with(&app.base),
            "{endpoint} is absolute"
        );
    }
    let authorize = app
        .request(Method::GET, &path_of(&app, &doc, "authorization_endpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        authorize.status(),
        StatusCode::BAD_REQUEST,
        "authorize without parameters: the error page"
    );
    assert!(
        authorize.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let token = app
        .request(Method::POST, &path_of(&app, &doc, "token_endpoint"))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(token).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "token without a body: a JSON error"
    );
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn meta_07_pkce_methods_match_the_profile() {
    let vendor = metadata(&spawn().await).await;
    let strict = metadata(&spawn_strict().await).await;

    assert_eq!(
        strings(&vendor["code_challenge_methods_supported"]),
        BTreeSet::from(["S256".to_owned(), "plain".to_owned()])
    );
    assert_eq!(
        strings(&strict["code_challenge_methods_supported"]),
        BTreeSet::from(["S256".to_owned()])
    );
    for doc in [&vendor, &strict] {
        for (name, value) in doc.as_object().unwrap() {
            if name.ends_with("_signing_alg_values_supported") {
                assert!(!strings(value).contains("none"), "{name} lists none");
            }
        }
    }
}
