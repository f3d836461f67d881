//! Signing in to the back office: its own strict session cookie, the login throttle, and the
//! headers that keep its pages out of frames and referrers (SEC-BCP-06, TOKEN-AUTH-08).

use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_FRAME_OPTIONS,
};

use crate::browser::{ADMIN, Session, run};
use crate::helpers::spawn;

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_for_the_back_office_alone() {
    run(async |s: &Session| {
        s.goto("/backoffice/admin/api-clients").await;
        s.wait_for_heading("Sign in to the back office").await;
        s.screenshot("sign-in").await;
        s.fill("#username", ADMIN.0).await;
        s.fill("#password", "not-the-password").await;
        s.click_text("Sign in").await;
        s.wait_for_heading("Sign in to the back office").await;
        assert!(s.text("[role=alert]").await.contains("not correct"));
        s.sign_in(ADMIN).await;
        let cookie = s
            .browser
            .get_named_cookie("backoffice_session")
            .await
            .expect("the session cookie");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.path(), Some("/backoffice"));
        assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
        assert!(s.text("nav").await.contains("Admin > API clients"));

        s.click_text("Sign out").await;
        s.wait_for_heading("Sign in to the back office").await;
        s.goto("/backoffice/settings/iam/api-access").await;
        s.wait_for_heading("Sign in to the back office").await;
        let replayed = s
            .app
            .request(reqwest::Method::GET, "/backoffice/")
            .header("cookie", format!("backoffice_session={}", cookie.value()))
            .send()
            .await
            .expect("a page with the old cookie");
        assert_eq!(
            replayed.status(),
            StatusCode::SEE_OTHER,
            "signing out ends the session"
        );
        assert_eq!(replayed.headers()["location"], "/backoffice/login");
    })
    .await;
}

#[tokio::test]
async fn pages_cannot_be_framed_leak_no_referrer_run_no_inline_script_and_are_not_cached() {
    let app = spawn().await;
    let response = app
        .request(reqwest::Method::GET, "/backoffice/login")
        .send()
        .await
        .expect("login page");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[REFERRER_POLICY], "no-referrer");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    let csp = headers[CONTENT_SECURITY_POLICY].to_str().expect("ascii");
    for directive in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let cookie = headers[SET_COOKIE].to_str().expect("ascii");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/backoffice"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let html = response.text().await.expect("html");
    assert!(!html.contains("<script>"), "no inline script: {html}");
}

/// The csrf value and the session cookie of a fresh login page.
async fn login_form(app: &crate::helpers::TestServer) -> (String, String) {
    let response = app
        .request(reqwest::Method::GET, "/backoffice/login")
        .send()
        .await
        .expect("login page");
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    let html = response.text().await.expect("html");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf field")
        .to_owned();
    (cookie, csrf)
}

async fn attempt(app: &crate::helpers::TestServer, password: &str) -> reqwest::Response {
    let (cookie, csrf) = login_form(app).await;
    app.post_form(
        "/backoffice/login",
        &format!("csrf={csrf}&username={}&password={password}", ADMIN.0),
    )
    .header("cookie", cookie)
    .send()
    .await
    .expect("login post")
}

#[tokio::test]
async fn token_auth_08_ten_wrong_passwords_lock_the_user_name_out_of_this_address() {
    let app = spawn().await;
    let right = attempt(&app, ADMIN.1).await;
    assert_eq!(
        right.status(),
        StatusCode::SEE_OTHER,
        "the documented password works"
    );
    for _ in 0..10 {
        let wrong = attempt(&app, "wrong").await;
        assert_eq!(wrong.status(), StatusCode::OK, "the form again");
    }
    let locked = attempt(&app, ADMIN.1).await;
    assert_eq!(
        locked.status(),
        StatusCode::OK,
        "even the right password is refused while throttled"
    );
    assert!(locked.text().await.expect("html").contains("not correct"));
}

#[tokio::test]
async fn a_login_post_without_the_anti_forgery_value_gets_403() {
    let app = spawn().await;
    let (cookie, _) = login_form(&app).await;
    let response = app
        .post_form(
            "/backoffice/login",
            &format!("username={}&password={}", ADMIN.0, ADMIN.1),
        )
        .header("cookie", cookie)
        .send()
        .await
        .expect("login post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
