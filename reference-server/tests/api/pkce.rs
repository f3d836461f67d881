//! PKCE at both ends of the flow (PKCE-01 to PKCE-08), in both profiles.

use reqwest::StatusCode;
use serde_json::Value;

use crate::authorize::expect_error_redirect;
use crate::browser::{
    Browser, CHALLENGE, SHOP_CB, VERIFIER, code_query, form_encode_pair, grant_error,
};
use crate::helpers::{TestServer, spawn, spawn_strict};

/// A code client and a browser whose user is signed in.
async fn signed_in(app: &TestServer) -> (String, String, Browser) {
    let (id, secret) = app.code_client(&[SHOP_CB]).await;
    let browser = Browser::new(app);
    browser
        .sign_in(&code_query(
            &id,
            SHOP_CB,
            &format!("code_challenge={CHALLENGE}&code_challenge_method=S256"),
        ))
        .await;
    (id, secret, browser)
}

/// The token request's parameters with this verifier (or none).
fn with_verifier(verifier: Option<&str>) -> String {
    let redirect = form_encode_pair("redirect_uri", SHOP_CB);
    match verifier {
        Some(verifier) => format!("{redirect}&{}", form_encode_pair("code_verifier", verifier)),
        None => redirect,
    }
}

/// Authorizes with `pkce` parameters and redeems with `verifier`; the token response.
async fn round_trip(
    app: &TestServer,
    (id, secret, browser): &(String, String, Browser),
    pkce: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let code = browser.code(&code_query(id, SHOP_CB, pkce)).await;
    app.redeem(id, secret, &code, &with_verifier(verifier))
        .await
}

/// `round_trip` with `challenge` and `method`; the `error` of its 400.
async fn refused_verifier(
    app: &TestServer,
    flow: &(String, String, Browser),
    (challenge, method): (&str, &str),
    verifier: &str,
) -> String {
    let pkce = format!("code_challenge={challenge}&code_challenge_method={method}");
    grant_error(round_trip(app, flow, &pkce, Some(verifier)).await).await
}

/// The authorization answer for `pkce` parameters must be an invalid_request redirect.
async fn refused_at_authorization(app: &TestServer, pkce: &str, case: &str) -> String {
    let (id, _, browser) = signed_in(app).await;
    let response = browser
        .authorize(&code_query(&id, SHOP_CB, &format!("state=st&{pkce}")))
        .await;
    let location =
        expect_error_redirect(response, SHOP_CB, "invalid_request", Some("st"), case).await;
    crate::browser::query_param(&location, "error_description").unwrap_or_default()
}

const S256: &str = "code_challenge_method=S256";

#[tokio::test]
async fn pkce_01_s256_with_the_appendix_b_pair_from_the_fixture() {
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../fixtures/pkce-rfc7636-appendix-b.json"
    ))
    .unwrap();
    assert_eq!(fixture["code_challenge"], CHALLENGE);
    assert_eq!(fixture["code_verifier"], VERIFIER);
    for app in [spawn().await, spawn_strict().await] {
        let flow = signed_in(&app).await;

        let response = round_trip(
            &app,
            &flow,
            &format!("code_challenge={CHALLENGE}&{S256}"),
            Some(VERIFIER),
        )
        .await;

        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn pkce_02_a_verifier_one_character_off_is_invalid_grant() {
    for app in [spawn().await, spawn_strict().await] {
        let flow = signed_in(&app).await;
        for position in [0, 21, VERIFIER.len() - 1] {
            let mut off = VERIFIER.as_bytes().to_vec();
            off[position] = if off[position] == b'A' { b'B' } else { b'A' };
            let off = String::from_utf8(off).unwrap();

            let error = refused_verifier(&app, &flow, (CHALLENGE, "S256"), &off).await;

            assert_eq!(error, "invalid_grant", "{off}");
        }
    }
}

#[tokio::test]
async fn pkce_03_vendor_plain_and_a_missing_method_compare_the_verifier_as_is() {
    let app = spawn().await;
    let flow = signed_in(&app).await;
    let plain_value = "plain-verifier-0123456789-0123456789-0123456789";
    for method in ["&code_challenge_method=plain", ""] {
        let pkce = format!("code_challenge={plain_value}{method}");

        let equal = round_trip(&app, &flow, &pkce, Some(plain_value)).await;
        assert_eq!(
            equal.status(),
            StatusCode::OK,
            "{pkce}: verifier = challenge"
        );

        // The server must not assume S256: the Appendix B verifier does not answer the
        // Appendix B challenge sent as plain.
        let as_s256 = round_trip(
            &app,
            &flow,
            &format!("code_challenge={CHALLENGE}{method}"),
            Some(VERIFIER),
        )
        .await;
        assert_eq!(
            grant_error(as_s256).await,
            "invalid_grant",
            "{method:?} is not S256"
        );
    }
}

#[tokio::test]
async fn pkce_03_strict_refuses_plain_and_a_missing_method() {
    let app = spawn_strict().await;
    for pkce in [
        format!("code_challenge={CHALLENGE}&code_challenge_method=plain"),
        format!("code_challenge={CHALLENGE}"),
    ] {
        refused_at_authorization(&app, &pkce, &pkce).await;
    }
}

#[tokio::test]
async fn pkce_04_an_unknown_method_is_invalid_request() {
    for app in [spawn().await, spawn_strict().await] {
        for method in ["S512", "s256", "SHA256"] {
            let pkce = format!("code_challenge={CHALLENGE}&code_challenge_method={method}");
            refused_at_authorization(&app, &pkce, method).await;
        }
    }
}

#[tokio::test]
async fn pkce_05_a_code_with_a_challenge_needs_a_verifier() {
    for app in [spawn().await, spawn_strict().await] {
        let flow = signed_in(&app).await;

        let response = round_trip(
            &app,
            &flow,
            &format!("code_challenge={CHALLENGE}&{S256}"),
            None,
        )
        .await;

        let error = grant_error(response).await;
        assert!(
            error == "invalid_grant" || error == "invalid_request",
            "AMB-30: {error}"
        );
    }
}

#[tokio::test]
async fn pkce_06_a_verifier_for_a_code_issued_without_a_challenge_is_refused() {
    let app = spawn().await;
    let flow = signed_in(&app).await;

    let downgrade = round_trip(&app, &flow, "", Some(VERIFIER)).await;
    let without = round_trip(&app, &flow, "", None).await;

    assert_eq!(grant_error(downgrade).await, "invalid_grant");
    assert_eq!(without.status(), StatusCode::OK, "vendor: PKCE is optional");
}

#[tokio::test]
async fn pkce_07_challenge_syntax_is_enforced_at_authorization() {
    let app = spawn().await;
    let cases = [
        ("42 characters", "a".repeat(42)),
        ("129 characters", "a".repeat(129)),
        (
            "a character outside the set",
            format!("{}+", &CHALLENGE[..43]),
        ),
        ("a space", format!("{} x", &CHALLENGE[..43])),
    ];
    for (case, challenge) in cases {
        let pkce = format!("{}&{S256}", form_encode_pair("code_challenge", &challenge));
        refused_at_authorization(&app, &pkce, case).await;
    }
    // The boundaries themselves are fine.
    let flow = signed_in(&app).await;
    for length in [43, 128] {
        let value = "b".repeat(length);
        let response = round_trip(
            &app,
            &flow,
            &format!("code_challenge={value}&code_challenge_method=plain"),
            Some(&value),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{length} characters");
    }
}

#[tokio::test]
async fn pkce_07_a_malformed_verifier_is_invalid_grant() {
    let app = spawn().await;
    let flow = signed_in(&app).await;
    let short = "c".repeat(42);
    let long = "c".repeat(129);
    for (case, challenge, verifier) in [
        ("S256, 42 characters", CHALLENGE.to_owned(), short.clone()),
        (
            "S256, a bad character",
            CHALLENGE.to_owned(),
            format!("{VERIFIER}!"),
        ),
        ("plain, 129 characters", "c".repeat(128), long),
    ] {
        let method = if challenge == CHALLENGE {
            "S256"
        } else {
            "plain"
        };
        let error = refused_verifier(&app, &flow, (&challenge, method), &verifier).await;

        assert_eq!(error, "invalid_grant", "{case}");
    }
}

#[tokio::test]
async fn pkce_08_strict_requires_a_challenge() {
    let app = spawn_strict().await;

    let description = refused_at_authorization(&app, "", "no code_challenge").await;

    assert!(
        description.contains("code challenge required"),
        "{description}"
    );
}

#[tokio::test]
async fn pkce_08_vendor_issues_a_code_without_a_challenge() {
    let app = spawn().await;
    let (id, _, browser) = signed_in(&app).await;

    let location = browser.approve(&code_query(&id, SHOP_CB, "state=st")).await;

    assert!(
        location.starts_with(&format!("{SHOP_CB}?code=")),
        "{location}"
    );
}
