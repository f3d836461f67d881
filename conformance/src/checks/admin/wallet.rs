//! ADMIN-06, ADMIN-07: wallet ids (AMB-26) and what an edit may change (AMB-15).

use serde_json::json;

use super::{Api, answered, field, strings, wallet_id};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, ensure};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-06a",
            ["ADMIN-06"],
            [(
                Vendor,
                "seed 002 › Authenticate using a client ID",
                "client_id=wallet-{external-key}-{your-client-id}"
            )],
            VendorOnly,
            [Admin],
            "a wallet's answer gives the short id and the OAuth id wallet-{key}-{id}",
            admin_06a
        ),
        check!(
            "admin-06b",
            ["ADMIN-06"],
            [(
                Vendor,
                "seed 002 › Add a client ID",
                "Client ID (required) A unique identifier for this client."
            )],
            VendorOnly,
            [Admin],
            "a duplicate wallet id is 409 and leaves the first client as it was",
            admin_06b
        ),
        check!(
            "admin-06c",
            ["ADMIN-06"],
            [
                (
                    Vendor,
                    "seed 002 › Add a client ID",
                    "Client ID (required) A unique identifier for this client."
                ),
                (
                    Decision,
                    "AMB-26",
                    "Short ids are restricted to `a-z 0-9 . _ -`, so Basic and form encoding leave them unchanged."
                )
            ],
            VendorOnly,
            [Admin],
            "a wallet id is required: 1-64 of a-z 0-9 . _ -, starting with a letter or digit",
            admin_06c
        ),
        check!(
            "admin-07a",
            ["ADMIN-07"],
            [(
                Vendor,
                "seed 002 › Edit a client ID",
                "You can update the roles and notes."
            )],
            VendorOnly,
            [Admin],
            "a wallet's roles and notes are editable and show on the next GET",
            admin_07a
        ),
        check!(
            "admin-07b",
            ["ADMIN-07"],
            [
                (
                    Vendor,
                    "seed 002 › Edit a client ID",
                    "You can update the roles and notes. The client ID and expiry date cannot be changed."
                ),
                (
                    Decision,
                    "AMB-15",
                    "the date is immutable after creation, so extending access means creating a new client id."
                )
            ],
            VendorOnly,
            [Admin],
            "changing the client id or the expiry date is 400; resending the same values is fine",
            admin_07b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// ADMIN-06: wallet ids (AMB-26)

with_api!(admin_06a, admin_06a_run);
async fn admin_06a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let short = wallet_id("acme");
    let (view, client) = api.created(json!({"kind": "wallet", "id": short})).await?;
    ensure(
        field(&view, "id") == &json!(short),
        format!("id {short}"),
        field(&view, "id"),
    )?;
    let key = client
        .id
        .strip_prefix("wallet-")
        .and_then(|rest| rest.strip_suffix(&format!("-{short}")));
    ensure(
        key.is_some_and(|k| !k.is_empty()),
        format!("client_id wallet-{{key}}-{short}, with a key"),
        &client.id,
    )?;
    let got = api.get(&client.id).await?.json()?;
    ensure(
        field(&got, "id") == &json!(short) && field(&got, "kind") == &json!("wallet"),
        "GET shows the short id and kind wallet",
        &got,
    )?;
    let token = ctx.client_credentials(&client).await?;
    ensure(
        token.status == 200,
        "the OAuth id authenticates",
        token.summary(),
    )
}

with_api!(admin_06b, admin_06b_run);
async fn admin_06b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let short = wallet_id("dup");
    let (_, first) = api
        .created(json!({"kind": "wallet", "id": short, "roles": ["accounts:view"]}))
        .await?;
    let duplicate = api
        .create(json!({"kind": "wallet", "id": short, "roles": ["payments:change"]}))
        .await?;
    answered(&duplicate, 409, "a duplicate wallet id", &deviations)?;
    let kept = api.get(&first.id).await?.json()?;
    ensure(
        strings(kept.get("roles")) == ["accounts:view"],
        "the first client's roles unchanged",
        field(&kept, "roles"),
    )?;
    let works = ctx.client_credentials(&first).await?;
    ensure(
        works.status == 200,
        "the first client's secret unchanged",
        works.summary(),
    )?;
    deviations.end()
}

with_api!(admin_06c, admin_06c_run);
async fn admin_06c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    // The seed requires an id; its format is AMB-26's, so a different format only deviates.
    let deviations = Deviations::default();
    let nonce = format!("{:08x}", rand::random::<u32>());
    let longest = format!("{nonce}{}", "a".repeat(56));
    for (case, id) in [
        (
            "a digit first and every allowed character",
            format!("0.a_b-{nonce}"),
        ),
        ("64 characters", longest),
    ] {
        let reply = api.create(json!({"kind": "wallet", "id": id})).await?;
        if reply.status != 201 {
            deviations.note(format!("201 for {case}"), reply.summary());
            continue;
        }
        let view = reply.json()?;
        ensure(
            field(&view, "id") == &json!(id),
            format!("{case}: id {id} as given"),
            field(&view, "id"),
        )?;
    }
    for (case, id) in [
        ("upper case", json!(format!("A{nonce}"))),
        ("a leading -", json!(format!("-{nonce}"))),
        ("a leading .", json!(format!(".{nonce}"))),
        ("a leading _", json!(format!("_{nonce}"))),
        ("65 characters", json!(format!("{nonce}{}", "a".repeat(57)))),
        ("a space", json!(format!("a {nonce}"))),
        ("a slash", json!(format!("a/{nonce}"))),
        ("a colon", json!(format!("a:{nonce}"))),
        ("non-ASCII", json!(format!("å{nonce}"))),
    ] {
        let reply = api.create(json!({"kind": "wallet", "id": id})).await?;
        if reply.status != 400 {
            deviations.note(format!("400 for {case}"), reply.summary());
        }
    }
    for (case, body) in [
        ("no id", json!({"kind": "wallet"})),
        ("an empty id", json!({"kind": "wallet", "id": ""})),
    ] {
        let reply = api.create(body).await?;
        answered(&reply, 400, case, &deviations)?;
    }
    deviations.end()
}

// ---------------------------------------------------------------------------------------------
// ADMIN-07: what an edit may change (AMB-15)

with_api!(admin_07a, admin_07a_run);
async fn admin_07a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let client = api.wallet("editable", &["accounts:view"]).await?;
    let edited = api
        .edit(
            &client.id,
            json!({"roles": ["payments:change", "reports:view"], "notes": "moved to payments"}),
        )
        .await?;
    answered(&edited, 200, "the edit", &deviations)?;
    let got = api.get(&client.id).await?.json()?;
    let roles = strings(got.get("roles"));
    ensure(
        roles.iter().any(|r| r == "payments:change")
            && roles.iter().any(|r| r == "reports:view")
            && !roles.iter().any(|r| r == "accounts:view"),
        "the new roles on the next GET",
        field(&got, "roles"),
    )?;
    ensure(
        field(&got, "notes") == &json!("moved to payments"),
        "the new notes on the next GET",
        field(&got, "notes"),
    )?;
    deviations.end()
}

with_api!(admin_07b, admin_07b_run);
async fn admin_07b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    // Far enough ahead for any test clock the target may have been left at.
    let expiry = "2099-12-31";
    let short = wallet_id("fixed");
    let (view, client) = api
        .created(json!({"kind": "wallet", "id": short, "expiry_date": expiry, "notes": "before"}))
        .await?;
    let expires_at = field(&view, "expires_at").clone();
    for (case, patch) in [
        (
            "another client_id",
            json!({"client_id": format!("{}-other", client.id), "notes": "after"}),
        ),
        (
            "another wallet id",
            json!({"id": format!("{short}-other"), "notes": "after"}),
        ),
        (
            "a later expiry date",
            json!({"expiry_date": "2100-01-31", "notes": "after"}),
        ),
        (
            "an earlier expiry date",
            json!({"expiry_date": "2099-06-30", "notes": "after"}),
        ),
    ] {
        // Refused or ignored, the value stays: the seed holds either way, the 400 is ours.
        let reply = api.edit(&client.id, patch).await?;
        if reply.status != 400 {
            deviations.note(format!("400 for {case}"), reply.summary());
        }
    }
    let unchanged = api.get(&client.id).await?.json()?;
    ensure(
        field(&unchanged, "client_id") == &json!(client.id)
            && field(&unchanged, "id") == &json!(short)
            && field(&unchanged, "expiry_date") == &json!(expiry)
            && field(&unchanged, "expires_at") == &expires_at,
        "the client id and the expiry date unchanged",
        &unchanged,
    )?;
    if field(&unchanged, "notes") != &json!("before") {
        deviations.note(
            "the refused edits changed nothing, notes included",
            field(&unchanged, "notes"),
        );
    }
    let same = api
        .edit(
            &client.id,
            json!({"client_id": client.id, "id": short, "expiry_date": expiry, "notes": "after"}),
        )
        .await?;
    if same.status != 200 {
        deviations.note("200 resending the same values", same.summary());
    }
    if !(200..300).contains(&same.status) {
        return deviations.end();
    }
    let after = api.get(&client.id).await?.json()?;
    ensure(
        field(&after, "notes") == &json!("after") && field(&after, "expiry_date") == &json!(expiry),
        "the notes changed, the date kept",
        &after,
    )?;
    deviations.end()
}
