//! RFC 8414 metadata (META-*).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn;

#[tokio::test]
async fn meta_01_metadata_is_json_with_no_empty_arrays() {
    let app = spawn().await;

    let response = app
        .request(Method::GET, "/.well-known/oauth-authorization-server")
        .send()
        .await
        .unwrap();

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
    }
    assert_eq!(
        body["issuer"],
        app.base.as_str(),
        "META-02: issuer is the base URL"
    );
}
