//! Redirect URL registration at the admin API (VREDIR-04, VREDIR-09, SEC-BCP-01, SEC-BCP-03;
//! AMB-01 to AMB-05): what a 1-Click client may register in each profile. How registered URLs
//! match at the authorization endpoint is in `redirects`.
//!
//! Every test drives a real server over HTTP. Error bodies are pinned by insta snapshots in
//! `snapshots/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Reply, TestServer, assert_refused, create, edit, spawn, spawn_strict};

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
