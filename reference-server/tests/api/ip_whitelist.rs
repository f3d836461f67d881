//! The IP whitelist (IP-*), over real source addresses: the client socket binds 127.0.0.2 or
//! 127.0.0.3, which Linux routes over loopback like 127.0.0.1.
//!
//! IP-04 (the authorization endpoint ignores the whitelist) waits for that endpoint. The admin
//! API's checks of the entries themselves (IP-06) come last.

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    self, TestServer, create, edit, fetch, form_encode, http_client, json_of, spawn, spawn_with,
};

const HOME: &str = "127.0.0.1";
const LISTED: &str = "127.0.0.2";
const OTHER: &str = "127.0.0.3";
const CC: &str = "grant_type=client_credentials";

/// An Admin API client (client_credentials) with this whitelist.
async fn listed_client(app: &TestServer, whitelist: &[&str]) -> (String, String) {
    app.admin_api_client(json!({ "ip_whitelist": whitelist }))
        .await
}

/// A form POST to `path` from `source`, authenticated with Basic.
fn call_from(
    app: &TestServer,
    source: &str,
    path: &str,
    body: &str,
    id: &str,
    secret: &str,
) -> RequestBuilder {
    app.post_form_from(source, path, body)
        .basic_auth(form_encode(id), Some(form_encode(secret)))
}

async fn token_from(app: &TestServer, source: &str, id: &str, secret: &str) -> Response {
    call_from(app, source, "/oauth/token", CC, id, secret)
        .send()
        .await
        .expect("token request")
}

/// `token=…` to introspect, check_token or revoke, from `source`.
async fn token_call_from(
    app: &TestServer,
    source: &str,
    path: &str,
    id: &str,
    secret: &str,
    token: &str,
) -> Response {
    call_from(
        app,
        source,
        path,
        &format!("token={}", form_encode(token)),
        id,
        secret,
    )
    .send()
    .await
    .expect("token call")
}

/// A fresh access token requested from `source`.
async fn access_token_from(app: &TestServer, source: &str, id: &str, secret: &str) -> String {
    let (status, body) = json_of(token_from(app, source, id, secret).await).await;
    assert_eq!(status, StatusCode::OK, "a token from {source}: {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// 401 invalid_client with the Basic challenge, the one refusal a client ever sees (AMB-10).
async fn assert_refused(response: Response, case: &str) {
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
    assert_eq!(body["error"], "invalid_client", "{case}");
    assert!(
        challenge.is_some_and(|c| c.starts_with("Basic ")),
        "{case}: Basic challenge"
    );
}

async fn assert_ok(response: Response, case: &str) -> Value {
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{case}: {body}");
    body
}

/// Whether `token` introspects as active, asked by its owner from an admitted address.
async fn is_active(app: &TestServer, source: &str, id: &str, secret: &str, token: &str) -> bool {
    let body = assert_ok(
        token_call_from(app, source, "/oauth/introspect", id, secret, token).await,
        "introspection",
    )
    .await;
    body["active"].as_bool().expect("active")
}

async fn set_whitelist(app: &TestServer, id: &str, entries: Value) {
    let response = app
        .admin(Method::PATCH, &format!("/admin/clients/{id}"))
        .json(&json!({ "ip_whitelist": entries }))
        .send()
        .await
        .expect("edit");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "PATCH ip_whitelist {entries}"
    );
}

fn comparable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn ip_01_empty_whitelist_admits_every_address() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[]).await;

    for source in [HOME, LISTED] {
        let token = access_token_from(&app, source, &id, &secret).await;
        let check = token_call_from(&app, source, "/oauth/check_token", &id, &secret, &token).await;

        let body = assert_ok(check, &format!("check_token from {source}")).await;
        assert_eq!(body["active"], true, "from {source}");
    }
}

// Only client_credentials here: the authorization_code and refresh_token grants arrive with
// the next issue, and their whitelist cases with them.
#[tokio::test]
async fn ip_02_token_requests_only_from_a_listed_address() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;

    let listed = token_from(&app, LISTED, &id, &secret).await;
    let unlisted = token_from(&app, HOME, &id, &secret).await;

    let body = assert_ok(listed, "client_credentials from 127.0.0.2").await;
    assert!(body["access_token"].is_string());
    assert_refused(unlisted, "client_credentials from 127.0.0.1").await;
}

#[tokio::test]
async fn ip_03_the_callers_whitelist_applies_at_introspection_check_token_and_revocation() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;
    let token = access_token_from(&app, LISTED, &id, &secret).await;
    // A resource server listed on 127.0.0.3 checks the token of an unlisted client: its own
    // list decides, not the owner's.
    let (owner, owner_secret) = listed_client(&app, &[]).await;
    let owners_token = access_token_from(&app, HOME, &owner, &owner_secret).await;
    let (_, rs_secret) = app
        .create_client(json!({"kind": "resource_server", "client_id": "rs", "resource_ids": ["backoffice_api"], "ip_whitelist": [OTHER]}))
        .await;
    let rs = "rs";

    for path in ["/oauth/introspect", "/oauth/check_token", "/oauth/revoke"] {
        let response = token_call_from(&app, HOME, path, &id, &secret, &token).await;

        assert_refused(response, &format!("{path} by the owner from 127.0.0.1")).await;
        assert!(
            is_active(&app, LISTED, &id, &secret, &token).await,
            "{path}: the token's state is unchanged"
        );
    }
    for path in ["/oauth/introspect", "/oauth/check_token"] {
        let refused = token_call_from(&app, LISTED, path, rs, &rs_secret, &owners_token).await;
        let admitted = token_call_from(&app, OTHER, path, rs, &rs_secret, &owners_token).await;

        assert_refused(
            refused,
            &format!("{path} by the resource server from 127.0.0.2"),
        )
        .await;
        let body = assert_ok(
            admitted,
            &format!("{path} by the resource server from 127.0.0.3"),
        )
        .await;
        assert_eq!(body["active"], true, "{path}");
    }
}

#[tokio::test]
async fn ip_05_address_refusal_is_indistinguishable_from_a_wrong_secret() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;

    let wrong_secret_listed = token_from(&app, LISTED, &id, "wrong-secret").await;
    let right_secret_unlisted = token_from(&app, HOME, &id, &secret).await;
    let wrong_secret_unlisted = token_from(&app, HOME, &id, "wrong-secret").await;

    let reference = comparable(wrong_secret_listed.headers());
    let (reference_status, reference_body) = json_of(wrong_secret_listed).await;
    assert_eq!(reference_status, StatusCode::UNAUTHORIZED);
    for (response, case) in [
        (right_secret_unlisted, "right secret, unlisted"),
        (wrong_secret_unlisted, "wrong secret, unlisted"),
    ] {
        assert_eq!(comparable(response.headers()), reference, "{case}: headers");
        let (status, body) = json_of(response).await;
        assert_eq!(status, reference_status, "{case}: status");
        assert_eq!(body, reference_body, "{case}: body");
    }
}

#[tokio::test]
async fn ip_06_cidr_entries_and_invalid_entries() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &["127.0.0.0/30"]).await;

    for (source, admitted) in [(LISTED, true), (OTHER, true), ("127.0.0.4", false)] {
        let response = token_from(&app, source, &id, &secret).await;

        let case = format!("127.0.0.0/30 from {source}");
        if admitted {
            assert_ok(response, &case).await;
        } else {
            assert_refused(response, &case).await;
        }
    }
    for entry in [
        "300.1.1.1",
        "10.0.0.0/33",
        "fe80::1%eth0",
        "host.example",
        "",
    ] {
        let response = app
            .admin(Method::POST, "/admin/clients")
            .json(
                &json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "ip_whitelist": [entry]}),
            )
            .send()
            .await
            .expect("create");

        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "entry {entry:?}: {body}");
        assert_eq!(body["error"], "invalid_client_metadata", "entry {entry:?}");
        assert_eq!(body["field"], "ip_whitelist[0]", "entry {entry:?}");
    }
}

#[tokio::test]
async fn ip_06_ipv6_entry_admits_a_client_connecting_over_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback (::1)");
        return;
    }
    let app = spawn_with(|c| c.addr = "[::1]:0".parse().expect("address")).await;
    let (v6, v6_secret) = listed_client(&app, &["::1/128"]).await;
    let (v4, v4_secret) = listed_client(&app, &[HOME]).await;
    let from_v6 = http_client(Some("::1".parse().expect("address")));
    let call = |id: &str, secret: &str| {
        from_v6
            .post(app.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .basic_auth(form_encode(id), Some(form_encode(secret)))
            .body(CC)
            .send()
    };

    let listed = call(&v6, &v6_secret).await.expect("token request");
    let unlisted = call(&v4, &v4_secret).await.expect("token request");

    assert_ok(listed, "::1/128 from ::1").await;
    assert_refused(unlisted, "127.0.0.1 only, from ::1").await;
}

#[tokio::test]
async fn ip_07_forwarding_headers_are_ignored_without_a_trusted_proxy() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;

    let headers = [
        ("x-forwarded-for", LISTED),
        ("forwarded", "for=127.0.0.2"),
        ("x-real-ip", LISTED),
    ];
    for (name, value) in headers {
        let response = call_from(&app, HOME, "/oauth/token", CC, &id, &secret)
            .header(name, value)
            .send()
            .await
            .expect("token request");

        assert_refused(response, &format!("{name}: {value} from 127.0.0.1")).await;
    }
}

#[tokio::test]
async fn ip_08_a_trusted_proxy_forwards_the_right_most_untrusted_address() {
    let app = spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")]).await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;

    let cases = [
        (
            HOME,
            Some(("x-forwarded-for", LISTED)),
            true,
            "XFF 127.0.0.2 via the proxy",
        ),
        (
            HOME,
            Some(("forwarded", "for=127.0.0.2;proto=http")),
            true,
            "Forwarded via the proxy",
        ),
        (
            HOME,
            Some(("x-real-ip", LISTED)),
            true,
            "X-Real-IP via the proxy",
        ),
        // IP-06: an IPv4-mapped IPv6 address matches the IPv4 entry.
        (
            HOME,
            Some(("x-forwarded-for", "::ffff:127.0.0.2")),
            true,
            "mapped ::ffff:127.0.0.2 via the proxy",
        ),
        (
            HOME,
            Some(("x-forwarded-for", "127.0.0.2, 10.9.9.9")),
            false,
            "the right-most entry is the client",
        ),
        (
            HOME,
            Some(("x-forwarded-for", "10.9.9.9, 127.0.0.2, 127.0.0.1")),
            true,
            "trusted hops are skipped",
        ),
        (
            HOME,
            Some(("x-forwarded-for", "127.0.0.2, not-an-address")),
            false,
            "an unreadable chain fails closed",
        ),
        (HOME, None, false, "the proxy itself is not listed"),
        (
            OTHER,
            Some(("x-forwarded-for", LISTED)),
            false,
            "the header from an untrusted peer",
        ),
        (
            LISTED,
            Some(("x-forwarded-for", "10.9.9.9")),
            true,
            "an untrusted peer is its own address",
        ),
    ];
    for (source, header, admitted, case) in cases {
        let mut request = call_from(&app, source, "/oauth/token", CC, &id, &secret);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("token request");

        if admitted {
            assert_ok(response, case).await;
        } else {
            assert_refused(response, case).await;
        }
    }
}

#[tokio::test]
async fn ip_09_whitelist_edits_apply_on_the_very_next_request() {
    let app = spawn().await;
    let (id, secret) = listed_client(&app, &[LISTED]).await;

    assert_refused(
        token_from(&app, HOME, &id, &secret).await,
        "before the edit, from 127.0.0.1",
    )
    .await;
    set_whitelist(&app, &id, json!([HOME])).await;
    assert_ok(
        token_from(&app, HOME, &id, &secret).await,
        "after listing 127.0.0.1",
    )
    .await;
    assert_refused(
        token_from(&app, LISTED, &id, &secret).await,
        "after unlisting 127.0.0.2",
    )
    .await;
    set_whitelist(&app, &id, json!([])).await;
    assert_ok(
        token_from(&app, LISTED, &id, &secret).await,
        "cleared, from 127.0.0.2",
    )
    .await;
    assert_ok(
        token_from(&app, OTHER, &id, &secret).await,
        "cleared, from 127.0.0.3",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// IP-06: whitelist entries (AMB-07)
// ---------------------------------------------------------------------------------------------
// `helpers::assert_refused` checks an admin API 400; this module's `assert_refused` checks a
// refused token request.

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
        helpers::assert_refused(
            &reply,
            "invalid_client_metadata",
            "ip_whitelist[1]",
            &format!("entry {entry:?}"),
        );
    }
    let (client_id, _) = app.wallet("ip-edit", &[]).await;
    let edited = edit(&app, &client_id, json!({"ip_whitelist": ["fe80::1%eth0"]})).await;
    helpers::assert_refused(
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
