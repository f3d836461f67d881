//! Wallet expiry dates at the admin API (EXP-01, EXP-05; AMB-12, AMB-13, AMB-15): the default
//! of one calendar year, the dates a create accepts, and the `expired` flag of the listing. What
//! an expired client may still do (EXP-02 to EXP-04) is in `expiry`.
//!
//! Every test drives a real server over HTTP. Expiry rows set the server's test clock; nothing
//! sleeps. Error bodies are pinned by insta snapshots in `snapshots/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_refused, create, entry, fetch, list, spawn};

// ---------------------------------------------------------------------------------------------
// EXP-01, EXP-05: wallet expiry dates (AMB-12, AMB-13, AMB-15)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn exp_01_without_an_expiry_date_a_wallet_expires_one_calendar_year_later() {
    let app = spawn().await;
    for (now, date, cutoff) in [
        ("2030-06-15T12:00:00Z", "2031-06-15", "2031-06-16T00:00:00Z"),
        ("2030-12-31T23:59:59Z", "2031-12-31", "2032-01-01T00:00:00Z"),
        // The UTC date counts, not the one of any other zone.
        ("2030-01-01T00:00:00Z", "2031-01-01", "2031-01-02T00:00:00Z"),
    ] {
        app.set_clock(now).await;
        let id = format!("y{}", &now[..10]);
        let created = create(&app, json!({"kind": "wallet", "id": id})).await;
        assert_eq!(created.status, StatusCode::CREATED, "at {now}");
        assert_eq!(created.body["expiry_date"], date, "created at {now}");
        assert_eq!(created.body["expires_at"], cutoff, "created at {now}");
    }
}

#[tokio::test]
async fn exp_01_created_on_29_february_a_wallet_expires_on_28_february() {
    let app = spawn().await;
    for (i, now) in ["2028-02-29T00:00:00Z", "2028-02-29T23:59:59Z"]
        .into_iter()
        .enumerate()
    {
        app.set_clock(now).await;

        let created = create(&app, json!({"kind": "wallet", "id": format!("leap-{i}")})).await;

        assert_eq!(created.status, StatusCode::CREATED);
        assert_eq!(
            created.body["expiry_date"], "2029-02-28",
            "created at {now}"
        );
        assert_eq!(
            created.body["expires_at"], "2029-03-01T00:00:00Z",
            "created at {now}"
        );
    }
    let explicit = create(
        &app,
        json!({"kind": "wallet", "id": "leap-explicit", "expiry_date": "2032-02-29"}),
    )
    .await;
    assert_eq!(
        explicit.status,
        StatusCode::CREATED,
        "29 February of a leap year is a date"
    );
    assert_eq!(explicit.body["expires_at"], "2032-03-01T00:00:00Z");
}

#[tokio::test]
async fn exp_01_today_is_accepted_and_yesterday_refused() {
    let app = spawn().await;
    for (i, now) in ["2030-06-15T00:00:00Z", "2030-06-15T23:59:59Z"]
        .into_iter()
        .enumerate()
    {
        app.set_clock(now).await;

        let today = create(
            &app,
            json!({"kind": "wallet", "id": format!("today-{i}"), "expiry_date": "2030-06-15"}),
        )
        .await;
        let yesterday = create(
            &app,
            json!({"kind": "wallet", "id": format!("yesterday-{i}"), "expiry_date": "2030-06-14"}),
        )
        .await;

        assert_eq!(
            today.status,
            StatusCode::CREATED,
            "today at {now}: {}",
            today.text
        );
        assert_eq!(today.body["expiry_date"], "2030-06-15");
        assert_eq!(today.body["expires_at"], "2030-06-16T00:00:00Z");
        assert_eq!(today.body["expired"], false);
        assert_refused(
            &yesterday,
            "invalid_client_metadata",
            "expiry_date",
            &format!("yesterday at {now}"),
        );
        if i == 0 {
            insta::assert_json_snapshot!(
                "exp_01_expiry_date_in_the_past",
                json!({"status": yesterday.status.as_u16(), "body": yesterday.body})
            );
        }
    }
}

#[tokio::test]
async fn exp_01_a_malformed_expiry_date_is_400() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    for (case, date) in [
        ("day first", json!("15/06/2030")),
        ("no leading zeros", json!("2030-6-15")),
        ("30 February", json!("2031-02-30")),
        ("29 February of a common year", json!("2031-02-29")),
        ("a timestamp", json!("2030-06-15T00:00:00Z")),
        ("empty", json!("")),
    ] {
        let reply = create(
            &app,
            json!({"kind": "wallet", "id": "bad-date", "expiry_date": date}),
        )
        .await;
        assert_refused(&reply, "invalid_client_metadata", "expiry_date", case);
        if case == "30 February" {
            insta::assert_json_snapshot!(
                "exp_01_malformed_expiry_date",
                json!({"status": reply.status.as_u16(), "body": reply.body})
            );
        }
    }
    let number = create(
        &app,
        json!({"kind": "wallet", "id": "bad-date", "expiry_date": 20_300_615}),
    )
    .await;
    assert_refused(
        &number,
        "invalid_client_metadata",
        "expiry_date",
        "a number",
    );
    let other_kind = create(
        &app,
        json!({"kind": "admin_api", "expiry_date": "2031-01-01"}),
    )
    .await;
    assert_refused(
        &other_kind,
        "invalid_client_metadata",
        "expiry_date",
        "an admin_api client has no expiry date",
    );
}

#[tokio::test]
async fn exp_05_the_listing_shows_the_cutoff_and_expired_true_once_it_has_passed() {
    let app = spawn().await;
    app.set_clock("2030-06-15T12:00:00Z").await;
    let created = create(
        &app,
        json!({"kind": "wallet", "id": "short-lived", "expiry_date": "2030-06-15"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let (lasting, _) = app.wallet("lasting", &[]).await;
    let client_id = "wallet-demo-short-lived";

    for (now, expired) in [
        ("2030-06-15T12:00:00Z", false),
        ("2030-06-15T23:59:59Z", false),
        ("2030-06-16T00:00:00Z", true),
        ("2031-01-01T00:00:00Z", true),
    ] {
        app.set_clock(now).await;

        let listing = list(&app).await;

        assert_eq!(listing.status, StatusCode::OK);
        let shown = entry(&listing.body, client_id);
        assert_eq!(shown["expiry_date"], "2030-06-15", "at {now}");
        assert_eq!(shown["expires_at"], "2030-06-16T00:00:00Z", "at {now}");
        assert_eq!(shown["expired"], expired, "listing at {now}");
        assert_eq!(
            fetch(&app, client_id).await.body["expired"],
            expired,
            "get at {now}"
        );
        assert_eq!(
            entry(&listing.body, &lasting)["expired"],
            false,
            "a client expiring 2031-06-15, at {now}"
        );
    }
}
