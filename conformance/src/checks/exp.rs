//! EXP: wallet client expiry (seed 002; AMB-12 to AMB-16). Every instant comes from the
//! target's test clock.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{access_token, client_view, resource_server, unique, wallet, with_secret};
use crate::check;
use crate::ctx::{ClientCreds, Ctx};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, fail};

const EXPIRY_DATE: &str = "2030-06-15";
const BEFORE: &str = "2030-06-01T00:00:00Z";
const LAST_SECOND: &str = "2030-06-15T23:59:59Z";
const HALF_HOUR_LEFT: &str = "2030-06-15T23:30:00Z";
const CUT_OFF: &str = "2030-06-16T00:00:00Z";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "exp-01a",
            ["EXP-01"],
            [(
                Vendor,
                "seed 002 › Add a client ID",
                "Expiry date (required) The date on which this client ID expires. Defaults to one year from today."
            )],
            VendorOnly,
            [Admin, Clock],
            "a wallet created without an expiry date expires on the same day one year later (UTC)",
            exp_01a
        ),
        check!(
            "exp-01b",
            ["EXP-01"],
            [
                (
                    Decision,
                    "AMB-13",
                    "the UTC date at creation plus one calendar year; 29 February becomes 28 February."
                ),
                (
                    Decision,
                    "AMB-15",
                    "A date in the past is refused; today is accepted."
                )
            ],
            VendorOnly,
            [Admin, Clock],
            "created on 29 February, a wallet expires on 28 February; today is accepted, yesterday refused",
            exp_01b
        ),
        check!(
            "exp-02",
            ["EXP-02"],
            [
                (
                    Vendor,
                    "seed 002 › API Access overview",
                    "The date after which this client ID is rejected"
                ),
                (
                    Decision,
                    "AMB-12",
                    "the client is valid through 23:59:59.999 UTC on the expiry date and rejected from 00:00 UTC the next day."
                ),
                (
                    Decision,
                    "AMB-16",
                    "401 `invalid_client`. The description \"client expired\" is given only when the secret was right"
                )
            ],
            VendorOnly,
            [Admin, Clock],
            "the expiry date is inclusive in UTC: 23:59:59 works, midnight after gives 401 invalid_client",
            exp_02
        ),
        check!(
            "exp-03",
            ["EXP-03"],
            [(
                Decision,
                "AMB-14",
                "a token's `exp` is capped at the client's cut-off, and tokens of an expired client introspect as inactive."
            )],
            VendorOnly,
            [Admin, Clock],
            "tokens never outlive their client: expires_in is capped, and after the cut-off introspection and check_token refuse them",
            exp_03
        ),
        check!(
            "exp-04",
            ["EXP-04"],
            [(
                Decision,
                "AMB-16",
                "401 `invalid_client`. The description \"client expired\" is given only when the secret was right; otherwise the generic description is used."
            )],
            VendorOnly,
            [Admin, Clock],
            "an expired client is refused as a caller at introspection, check_token and revocation",
            exp_04
        ),
        check!(
            "exp-05",
            ["EXP-05"],
            [
                (
                    Vendor,
                    "seed 002 › API Access overview",
                    "Expired client IDs are visually greyed out and flagged with a warning icon."
                ),
                (
                    Decision,
                    "AMB-12",
                    "The server stores that cut-off instant and shows it as `expires_at`."
                )
            ],
            VendorOnly,
            [Admin, Clock],
            "the listing shows expiry_date, the cut-off expires_at, and expired:true once it has passed",
            exp_05
        ),
    ]
}

/// Creates a wallet through the admin API and returns the raw answer.
async fn create_raw(ctx: &Ctx, body: Value) -> Result<Reply, Outcome> {
    let reply = ctx
        .send(ctx.admin(Method::POST, "/admin/clients")?.json(&body))
        .await?;
    if reply.status == 201 {
        // Only the answer matters: the client goes at once.
        if let Ok(view) = reply.json()
            && let Some(id) = view.get("client_id").and_then(Value::as_str)
        {
            let path = format!("/admin/clients/{}", crate::ctx::url_path_segment(id));
            let _ = ctx.send(ctx.admin(Method::DELETE, &path)?).await;
        }
    }
    Ok(reply)
}

/// A wallet created at [`BEFORE`] that expires on [`EXPIRY_DATE`].
async fn expiring_wallet(ctx: &Ctx) -> Result<ClientCreds, Outcome> {
    ctx.set_clock(BEFORE).await?;
    wallet(ctx, &["accounts:view"], json!({"expiry_date": EXPIRY_DATE})).await
}

/// Refused after the cut-off (vendor: "rejected"); the reference's 401 invalid_client and its
/// "client expired" description only for the right secret are decisions (AMB-16): deviations.
fn expect_refused(
    warnings: &Deviations,
    what: &str,
    reply: &Reply,
    right_secret: bool,
) -> CheckResult {
    ensure(
        !(200..300).contains(&reply.status),
        format!("{what}: refused"),
        reply.summary(),
    )?;
    if !(reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client")) {
        warnings.note(format!("{what}: 401 invalid_client"), reply.summary());
        return Ok(());
    }
    let description = reply
        .json()
        .ok()
        .and_then(|b| {
            b.get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let says_expired = description.to_ascii_lowercase().contains("expired");
    if says_expired != right_secret {
        warnings.note(
            format!(
                "{what}: \"client expired\" {}",
                if right_secret {
                    "with the right secret"
                } else {
                    "never with a wrong secret"
                }
            ),
            format!("error_description {description:?}"),
        );
    }
    Ok(())
}

async fn exp_01a(ctx: Ctx) -> CheckResult {
    for (now, date) in [
        ("2030-06-15T12:00:00Z", "2031-06-15"),
        ("2030-12-31T23:59:59Z", "2031-12-31"),
        ("2030-01-01T00:00:00Z", "2031-01-01"),
    ] {
        ctx.set_clock(now).await?;
        let reply = create_raw(&ctx, json!({"kind": "wallet", "id": unique("y")})).await?;
        ensure(
            reply.status == 201,
            format!("201 creating a wallet at {now}"),
            reply.summary(),
        )?;
        let view = reply.json()?;
        ensure(
            view["expiry_date"] == date,
            format!("created at {now}: expiry_date {date}"),
            &view["expiry_date"],
        )?;
    }
    Ok(())
}

async fn exp_01b(ctx: Ctx) -> CheckResult {
    ctx.set_clock("2028-02-29T12:00:00Z").await?;
    let leap = create_raw(&ctx, json!({"kind": "wallet", "id": unique("leap")})).await?;
    ensure(
        leap.status == 201,
        "201 creating a wallet on 29 February",
        leap.summary(),
    )?;
    let view = leap.json()?;
    ensure(
        view["expiry_date"] == "2029-02-28",
        "created 2028-02-29: expiry_date 2029-02-28",
        &view["expiry_date"],
    )?;

    for now in ["2030-06-15T00:00:00Z", "2030-06-15T23:59:59Z"] {
        ctx.set_clock(now).await?;
        let today = create_raw(
            &ctx,
            json!({"kind": "wallet", "id": unique("today"), "expiry_date": "2030-06-15"}),
        )
        .await?;
        ensure(
            today.status == 201,
            format!("today's date accepted at {now}"),
            today.summary(),
        )?;
        let yesterday = create_raw(
            &ctx,
            json!({"kind": "wallet", "id": unique("past"), "expiry_date": "2030-06-14"}),
        )
        .await?;
        ensure(
            yesterday.status == 400,
            format!("yesterday's date refused with 400 at {now}"),
            yesterday.summary(),
        )?;
    }
    Ok(())
}

async fn exp_02(ctx: Ctx) -> CheckResult {
    let client = expiring_wallet(&ctx).await?;

    ctx.set_clock(LAST_SECOND).await?;
    let last_second = ctx.client_credentials(&client).await?;
    ensure(
        last_second.status == 200,
        format!("200 at {LAST_SECOND}"),
        last_second.summary(),
    )?;

    ctx.set_clock(CUT_OFF).await?;
    let right = ctx.client_credentials(&client).await?;
    let wrong = ctx
        .client_credentials(&with_secret(&client, "wrong-secret-value"))
        .await?;
    let warnings = Deviations::default();
    expect_refused(&warnings, "right secret after the cut-off", &right, true)?;
    expect_refused(&warnings, "wrong secret after the cut-off", &wrong, false)?;
    warnings.end()
}

async fn exp_03(ctx: Ctx) -> CheckResult {
    let client = expiring_wallet(&ctx).await?;
    let rs = resource_server(&ctx, &["wallet_api"]).await?;

    ctx.set_clock(HALF_HOUR_LEFT).await?;
    let reply = ctx.client_credentials(&client).await?;
    ensure(
        reply.status == 200,
        format!("200 at {HALF_HOUR_LEFT}"),
        reply.summary(),
    )?;
    let issued = reply.json()?;
    let token = access_token(&issued)?;
    let expires_in = issued
        .get("expires_in")
        .and_then(Value::as_i64)
        .ok_or_else(|| fail("a numeric expires_in", &issued))?;
    ensure(
        expires_in <= 1800,
        "expires_in ≤ 1800, 30 minutes before the cut-off",
        expires_in,
    )?;
    let alive = ctx.introspect(&rs, &token).await?;
    ensure(alive["active"] == true, "active before the cut-off", &alive)?;

    ctx.set_clock(CUT_OFF).await?;
    let after = ctx.introspect(&rs, &token).await?;
    ensure(
        after == json!({"active": false}),
        "{\"active\":false} after the cut-off",
        &after,
    )?;
    let checked = ctx.token_call("check_token", &rs, &token).await?;
    ensure(
        checked.status == 400 && checked.error_code().as_deref() == Some("invalid_token"),
        "check_token after the cut-off: 400 invalid_token",
        checked.summary(),
    )
}

async fn exp_04(ctx: Ctx) -> CheckResult {
    let client = expiring_wallet(&ctx).await?;
    ctx.set_clock(LAST_SECOND).await?;
    let token = ctx.access_token(&client).await?;

    ctx.set_clock(CUT_OFF).await?;
    let wrong = with_secret(&client, "wrong-secret-value");
    let warnings = Deviations::default();
    for endpoint in ["introspection", "check_token", "revocation"] {
        let right = ctx.token_call(endpoint, &client, &token).await?;
        ensure(
            right.status == 401 && right.error_code().as_deref() == Some("invalid_client"),
            format!("{endpoint}: 401 invalid_client for an expired caller"),
            right.summary(),
        )?;
        let refused = ctx.token_call(endpoint, &wrong, &token).await?;
        expect_refused(
            &warnings,
            &format!("{endpoint}, right secret"),
            &right,
            true,
        )?;
        expect_refused(
            &warnings,
            &format!("{endpoint}, wrong secret"),
            &refused,
            false,
        )?;
    }
    // Back before the cut-off, the refused revocation must have left the token alive.
    ctx.set_clock(LAST_SECOND).await?;
    let view = ctx.introspect(&client, &token).await?;
    ensure(
        view["active"] == true,
        "the refused revocation revoked nothing",
        &view,
    )?;
    warnings.end()
}

async fn exp_05(ctx: Ctx) -> CheckResult {
    ctx.set_clock("2030-06-15T12:00:00Z").await?;
    let client = wallet(&ctx, &[], json!({"expiry_date": EXPIRY_DATE})).await?;
    let warnings = Deviations::default();
    for (now, expired) in [
        ("2030-06-15T12:00:00Z", false),
        ("2030-06-15T23:59:59Z", false),
        (CUT_OFF, true),
        ("2031-01-01T00:00:00Z", true),
    ] {
        ctx.set_clock(now).await?;
        let listing = ctx.send(ctx.admin(Method::GET, "/admin/clients")?).await?;
        ensure(
            listing.status == 200,
            "200 from the listing",
            listing.summary(),
        )?;
        let listing = listing.json()?;
        let shown = listing
            .get("clients")
            .and_then(Value::as_array)
            .and_then(|all| all.iter().find(|c| c["client_id"] == client.id.as_str()))
            .cloned()
            .ok_or_else(|| fail(format!("{} in the listing", client.id), "absent"))?;
        ensure(
            shown["expiry_date"] == EXPIRY_DATE,
            format!("at {now}: expiry_date {EXPIRY_DATE}"),
            &shown,
        )?;
        // The cut-off instant is the reference's way to show it (AMB-12).
        if shown["expires_at"] != CUT_OFF {
            warnings.note(format!("at {now}: expires_at {CUT_OFF}"), &shown);
        }
        ensure(
            shown["expired"] == expired,
            format!("at {now}: expired {expired} in the listing"),
            &shown,
        )?;
        let single = client_view(&ctx, &client.id).await?;
        ensure(
            single["expired"] == expired,
            format!("at {now}: expired {expired} from GET"),
            &single,
        )?;
    }
    warnings.end()
}
