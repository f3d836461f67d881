//! Settings → IAM → API Access (seed 002), one test per sentence: the table, **Add API
//! client** with the permissions grid, the secret shown once, expired rows, edit, delete, and
//! the permissions enforced by the server.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{ADMIN, Session, VIEWER, run};
use crate::helpers::{fetch, introspect, wallet_resource_server};

const TABLE: &str = "/backoffice/settings/iam/api-access";

async fn stored(s: &Session, client_id: &str) -> Option<Value> {
    let reply = fetch(&s.app, client_id).await;
    (reply.status == StatusCode::OK).then_some(reply.body)
}

/// "Change column — grants CRUD … and automatically selects View as well; View column — …
/// can be selected independently when Change is not selected."
#[tokio::test]
async fn seed_002_ticking_change_ticks_view_and_view_alone_is_allowed() {
    run(async |s: &Session| {
        s.sign_in(ADMIN).await;
        s.click_text("Settings → IAM → API Access").await;
        s.wait_for_heading("API Access").await;
        s.click_text("Add API client").await;
        s.wait_for_heading("Add API client").await;
        assert!(!s.checked("#perm-payments-view").await);
        s.click("#perm-payments-change").await;
        assert!(s.checked("#perm-payments-view").await, "Change ticks View");
        s.click("#perm-reports-view").await;
        assert!(!s.checked("#perm-reports-change").await, "View alone");
        s.fill("#id", "acme-backend").await;
        s.fill("#notes", "ACME Ltd, ops@acme.example").await;
        s.assert_accessible_names().await;
        s.screenshot("api-access-add").await;
        s.click_text("Save").await;
        s.wait_for_heading("Copy the secret now").await;
        let client = stored(s, "wallet-demo-acme-backend")
            .await
            .expect("created");
        assert_eq!(
            client["roles"],
            json!(["payments:change", "payments:view", "reports:view"])
        );
    })
    .await;
}

/// "Click Save. A dialog appears showing the generated client secret … only shown once."
#[tokio::test]
async fn seed_002_save_shows_the_secret_once_and_a_reload_does_not() {
    run(async |s: &Session| {
        s.sign_in(ADMIN).await;
        s.goto(TABLE).await;
        s.click_text("Add API client").await;
        s.wait_for_heading("Add API client").await;
        let default_expiry = s.prop("#expiry_date", "value").await;
        // A bad id first: the API's message at the Client ID field, the rest kept (AMB-26).
        let api =
            crate::helpers::create(&s.app, json!({"kind": "wallet", "id": "Reporting Service"}))
                .await;
        let message = api.body["error_description"]
            .as_str()
            .expect("the API's message");
        s.fill("#id", "Reporting Service").await;
        s.fill("#notes", "reports team").await;
        s.click("#perm-reports-view").await;
        s.click_text("Save").await;
        s.wait_for_heading("Add API client").await;
        assert_eq!(s.text("#id-error").await, message);
        assert_eq!(s.prop("#notes", "value").await, "reports team");
        assert!(s.checked("#perm-reports-view").await, "the grid is kept");
        s.fill("#id", "reporting-service").await;
        s.click_text("Save").await;
        s.wait_for_heading("Copy the secret now").await;
        s.screenshot("api-access-secret").await;
        assert!(
            s.exists("button[data-copy=client-secret]").await,
            "a copy button"
        );
        let secret = s.prop("#client-secret", "value").await;
        let client_id = "wallet-demo-reporting-service";
        s.app.access_token(client_id, &secret).await;
        let row = s.text("#api-clients tbody tr").await;
        assert!(
            row.contains(client_id) && row.contains("reports:view"),
            "{row}"
        );
        assert!(
            row.contains(&default_expiry),
            "the default expiry date: {row}"
        );
        let stored = stored(s, client_id).await.expect("created");
        assert_eq!(
            stored["expiry_date"],
            json!(default_expiry),
            "one year from today"
        );

        s.browser.refresh().await.expect("reload");
        s.wait_for_heading("API Access").await;
        assert!(!s.exists("#client-secret").await, "never shown again");
        assert!(!s.browser.source().await.expect("html").contains(&secret));
    })
    .await;
}

/// "Expired client IDs are visually greyed out and flagged with a warning icon" (EXP-01,
/// AMB-12: the last valid day is the expiry date; the test clock moves past it).
#[tokio::test]
async fn seed_002_an_expired_row_is_greyed_with_a_warning_icon_and_screen_reader_text() {
    run(async |s: &Session| {
        s.app.set_clock("2027-03-01T12:00:00Z").await;
        s.app
            .create_client(json!({"kind": "wallet", "id": "old-partner", "expiry_date": "2027-03-01", "roles": ["reports:view"], "notes": "contract ended"}))
            .await;
        s.app
            .create_client(json!({"kind": "wallet", "id": "live-partner", "roles": ["payments:change"], "notes": "ACME payments"}))
            .await;
        s.sign_in(ADMIN).await;
        s.goto(TABLE).await;
        assert!(!s.exists("tr.expired").await, "valid through its expiry date");
        s.app.advance_clock(86_400).await;
        s.browser.refresh().await.expect("reload");
        s.wait_for_heading("API Access").await;
        let expired = s.find("tr.expired").await;
        let text = expired.text().await.expect("text");
        assert!(text.contains("wallet-demo-old-partner"), "{text}");
        assert!(s.exists("tr.expired svg.icon").await, "the warning icon");
        let spoken = s.prop("tr.expired .visually-hidden", "textContent").await;
        assert!(spoken.contains("Expired"), "text for screen readers: {spoken}");
        let grey = s.find("tr.expired td").await.css_value("color").await.expect("color");
        let normal = s.find("tr:not(.expired) td").await.css_value("color").await.expect("color");
        assert_ne!(grey, normal, "greyed out");
        assert_eq!(s.browser.find_all(fantoccini::Locator::Css("tr.expired")).await.expect("rows").len(), 1);
        assert!(s.exists("th[scope=col]").await, "a real table with header cells");
        s.assert_accessible_names().await;
        s.screenshot("api-access-table").await;
    })
    .await;
}

/// "You can update the roles and notes. The client ID and expiry date cannot be changed."
#[tokio::test]
async fn seed_002_edit_changes_roles_and_notes_but_never_the_id_or_expiry() {
    run(async |s: &Session| {
        let (client_id, _) = s.app.wallet("acme", &["reports:view"]).await;
        let before = stored(s, &client_id).await.expect("created");
        s.sign_in(ADMIN).await;
        s.goto(TABLE).await;
        s.click("a[aria-label=Edit]").await;
        s.wait_for_heading("Edit API client").await;
        assert!(
            !s.exists("input[name=id], input[name=expiry_date]").await,
            "not editable"
        );
        assert!(
            s.text("#fixed-client-id").await.contains(&client_id),
            "shown"
        );
        assert_eq!(
            s.text("#fixed-expiry-date").await,
            before["expiry_date"].as_str().expect("date")
        );
        s.fill("#notes", "ACME, now with payments").await;
        s.click("#perm-payments-change").await;
        s.screenshot("api-access-edit").await;
        s.click_text("Save").await;
        s.wait_for_heading("API Access").await;
        let after = stored(s, &client_id).await.expect("kept");
        assert_eq!(after["notes"], "ACME, now with payments");
        assert_eq!(
            after["roles"],
            json!(["payments:change", "payments:view", "reports:view"])
        );

        // A forged edit carrying an id and a date: both are ignored, the rest applies.
        s.goto(&format!("{TABLE}/{client_id}/edit")).await;
        let status = s
            .forge_post(
                &format!("{TABLE}/{client_id}/edit"),
                "id=evil&expiry_date=2099-12-31&notes=forged&roles=reports:view",
                true,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "a redirect back to the table"
        );
        let forged = stored(s, &client_id).await.expect("kept");
        assert_eq!(forged["expiry_date"], before["expiry_date"]);
        assert_eq!(forged["client_id"], json!(client_id));
        assert_eq!(forged["notes"], "forged");
    })
    .await;
}

/// "Click the trash icon … A confirmation dialog appears. Click Yes to permanently revoke
/// access" (ADMIN-05, AMB-19: the tokens die with the client).
#[tokio::test]
async fn seed_002_delete_asks_first_and_yes_revokes_the_tokens() {
    run(async |s: &Session| {
        let (client_id, secret) = s.app.wallet("leaving", &["reports:view"]).await;
        let token = s.app.access_token(&client_id, &secret).await;
        let checker = wallet_resource_server(&s.app).await;
        let checker = (checker.0.as_str(), checker.1.as_str());
        s.sign_in(ADMIN).await;
        s.goto(TABLE).await;
        s.click("a[aria-label=Delete]").await;
        s.wait_for_heading(&format!("Delete {client_id}?")).await;
        s.screenshot("api-access-delete").await;
        assert_eq!(
            introspect(&s.app, checker, &token).await["active"],
            true,
            "asking changes nothing"
        );
        s.click_text("Yes").await;
        s.wait_for_heading("API Access").await;
        assert!(!s.text("main").await.contains(&client_id));
        assert!(stored(s, &client_id).await.is_none());
        assert_eq!(
            introspect(&s.app, checker, &token).await["active"],
            false,
            "revoked"
        );
    })
    .await;
}

/// "You need the API Access (Read) permission to view this screen, and API Access (Change) to
/// add, edit, or delete": the controls are absent and the server refuses a forged post.
#[tokio::test]
async fn seed_002_a_read_only_user_sees_no_controls_and_a_forged_post_gets_403() {
    run(async |s: &Session| {
        let (client_id, _) = s.app.wallet("acme", &["reports:view"]).await;
        s.sign_in(VIEWER).await;
        assert!(
            !s.text("nav").await.contains("API clients"),
            "no MERCHANT_ADMIN"
        );
        s.click_text("Settings → IAM → API Access").await;
        s.wait_for_heading("API Access").await;
        assert!(
            s.text("#api-clients").await.contains(&client_id),
            "the table is readable"
        );
        for control in [
            "#add-api-client",
            "a[aria-label=Edit]",
            "a[aria-label=Delete]",
        ] {
            assert!(!s.exists(control).await, "{control} is absent");
        }
        s.screenshot("api-access-read-only").await;
        let add = s
            .forge_post(
                &format!("{TABLE}/new"),
                "id=forged&roles=payments:change",
                true,
            )
            .await;
        assert_eq!(add, StatusCode::FORBIDDEN);
        assert!(stored(s, "wallet-demo-forged").await.is_none());
        let delete = s
            .forge_post(&format!("{TABLE}/{client_id}/delete"), "", true)
            .await;
        assert_eq!(delete, StatusCode::FORBIDDEN);
        assert!(stored(s, &client_id).await.is_some(), "not deleted");
        let edit = s
            .forge_post(
                &format!("{TABLE}/{client_id}/edit"),
                "notes=x&roles=payments:change",
                true,
            )
            .await;
        assert_eq!(edit, StatusCode::FORBIDDEN);
        assert_eq!(
            stored(s, &client_id).await.expect("kept")["roles"],
            json!(["reports:view"])
        );
        let admin_screen = s
            .forge_post(
                "/backoffice/admin/api-clients/new",
                "grants=client_credentials",
                true,
            )
            .await;
        assert_eq!(
            admin_screen,
            StatusCode::FORBIDDEN,
            "Admin > API clients needs MERCHANT_ADMIN"
        );
        s.goto("/backoffice/admin/api-clients").await;
        s.wait_for_heading("Not allowed").await;
    })
    .await;
}

/// Every form carries an anti-forgery value; a post without it (or with another) gets 403 and
/// changes nothing, even from a signed-in admin.
#[tokio::test]
async fn a_post_without_the_anti_forgery_value_gets_403() {
    run(async |s: &Session| {
        s.sign_in(ADMIN).await;
        s.goto(TABLE).await;
        let missing = s
            .forge_post(
                &format!("{TABLE}/new"),
                "id=no-csrf&roles=reports:view",
                false,
            )
            .await;
        assert_eq!(missing, StatusCode::FORBIDDEN);
        let wrong = s
            .forge_post(
                &format!("{TABLE}/new"),
                "id=no-csrf&roles=reports:view&csrf=guess",
                false,
            )
            .await;
        assert_eq!(wrong, StatusCode::FORBIDDEN);
        assert!(stored(s, "wallet-demo-no-csrf").await.is_none());
        let with = s
            .forge_post(
                &format!("{TABLE}/new"),
                "id=with-csrf&roles=reports:view",
                true,
            )
            .await;
        assert_eq!(
            with,
            StatusCode::SEE_OTHER,
            "the same post with the value is honoured"
        );
        assert!(stored(s, "wallet-demo-with-csrf").await.is_some());
        let listing = s
            .app
            .admin(Method::GET, "/admin/clients")
            .send()
            .await
            .expect("list")
            .status();
        assert_eq!(listing, StatusCode::OK);
    })
    .await;
}
