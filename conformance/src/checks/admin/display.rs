//! ADMIN-10: name and notes are display-only.

use serde_json::{Value, json};

use super::{Api, field, sees_active, wallet_id};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, ensure};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-10a",
            ["ADMIN-10"],
            [(
                Vendor,
                "seed 002 › Add a client ID",
                "Notes (optional) Free-text field to record context about the client, such as the integrating party's name, contact person, or purpose."
            )],
            VendorOnly,
            [Admin],
            "notes hold up to 1,000 characters, and name and notes come back verbatim",
            admin_10a
        ),
        check!(
            "admin-10b",
            ["ADMIN-10"],
            [(
                Vendor,
                "seed 001 › Client Name",
                "Set any Client Name to your liking. It is only used for display and can be changed later if wanted."
            )],
            VendorOnly,
            [Admin],
            "editing name and notes changes no id, secret or token",
            admin_10b
        ),
    ]
}

with_api!(admin_10a, admin_10a_run);
async fn admin_10a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    // Free text comes back as written (the seeds); the 1,000-character limit and the JSON
    // media type are the catalog's, so they only deviate.
    let deviations = Deviations::default();
    // Characters, not bytes: 1,000 two-byte characters fit.
    let longest = "é".repeat(1_000);
    let notes = "<script>alert('x')</script>\n<b>bold</b> &amp; \"quoted\"  {{template}}  ";
    let name = "<img src=x onerror=alert(1)> & Co";
    let at_limit = api
        .create(json!({"kind": "wallet", "id": wallet_id("long"), "notes": longest}))
        .await?;
    if at_limit.status == 201 {
        ensure(
            field(&at_limit.json()?, "notes") == &json!(longest),
            "1,000 characters kept as written",
            "other notes",
        )?;
    } else {
        deviations.note("201 for notes of 1,000 characters", at_limit.summary());
    }
    let over = api
        .create(json!({"kind": "wallet", "id": wallet_id("over"), "notes": "n".repeat(1_001)}))
        .await?;
    if over.status != 400 {
        deviations.note("400 for 1,001 characters", over.summary());
    }
    let edited = api.wallet("edited", &[]).await?;
    let too_long = api
        .edit(&edited.id, json!({"notes": "é".repeat(1_001)}))
        .await?;
    if too_long.status != 400 {
        deviations.note("400 for an edit to 1,001 characters", too_long.summary());
    }

    let (_, marked) = api
        .created(json!({"kind": "wallet", "id": wallet_id("markup"), "name": name, "notes": notes}))
        .await?;
    let got = api.get(&marked.id).await?;
    if !got
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"))
    {
        deviations.note(
            "served as JSON data",
            got.header("content-type").unwrap_or("none"),
        );
    }
    let listing = api.list().await?.json()?;
    let listed = listing
        .get("clients")
        .and_then(Value::as_array)
        .and_then(|all| {
            all.iter()
                .find(|c| field(c, "client_id") == &json!(marked.id))
        })
        .cloned()
        .unwrap_or(Value::Null);
    for (what, view) in [("get", got.json()?), ("list", listed)] {
        ensure(
            field(&view, "notes") == &json!(notes) && field(&view, "name") == &json!(name),
            format!("{what} returns name and notes verbatim"),
            &view,
        )?;
    }
    deviations.end()
}

/// What an edit of name and notes must leave alone in a token's introspection.
const TOKEN_FIELDS: [&str; 5] = ["active", "scope", "exp", "client_id", "sub"];

with_api!(admin_10b, admin_10b_run);
async fn admin_10b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "name": "before", "notes": "old"}))
        .await?;
    let token = ctx.access_token(&client).await?;
    sees_active(ctx, &client, &token, "its own access token").await?;
    let before = ctx.introspect(&client, &token).await?;
    let edited = api
        .edit(
            &client.id,
            json!({"name": "after <b>", "notes": "new\nline"}),
        )
        .await?;
    ensure(
        (200..300).contains(&edited.status),
        "a success to the edit",
        edited.summary(),
    )?;
    let view = api.get(&client.id).await?.json()?;
    ensure(
        field(&view, "client_id") == &json!(client.id)
            && field(&view, "name") == &json!("after <b>")
            && field(&view, "notes") == &json!("new\nline"),
        "the same client id with the new name and notes",
        &view,
    )?;
    let works = ctx.client_credentials(&client).await?;
    ensure(
        works.status == 200,
        "the secret still works",
        works.summary(),
    )?;
    // A display name the server shows at introspection may change with it; the token not.
    let after = ctx.introspect(&client, &token).await?;
    ensure(
        TOKEN_FIELDS
            .iter()
            .all(|name| field(&after, name) == field(&before, name)),
        "the token untouched",
        &after,
    )
}
