//! ADMIN-01: who may use the admin API (AMB-35).

use reqwest::Method;
use serde_json::json;

use super::{Api, Caller, answered, client_path, field, wallet_id};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, member};
use crate::model::{Check, CheckResult, Deviations, ensure};
use crate::target::Secret;

/// Seed 002's permission rule; seed 000 asks MERCHANT_ADMIN for the same view.
pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-01a",
            ["ADMIN-01"],
            [
                (
                    Vendor,
                    "seed 002 › Required permission",
                    "You need the API Access (Read) permission to view this screen, and API Access (Change) to add, edit, or delete client IDs."
                ),
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field … containing at least one challenge applicable to the target resource."
                )
            ],
            VendorOnly,
            [Admin],
            "every admin endpoint answers 401 with a challenge without valid authentication",
            admin_01a
        ),
        check!(
            "admin-01b",
            ["ADMIN-01"],
            [(
                Vendor,
                "seed 002 › Required permission",
                "You need the API Access (Read) permission to view this screen, and API Access (Change) to add, edit, or delete client IDs."
            )],
            VendorOnly,
            [Admin],
            "read permission lists and gets; create, edit, delete and New Secret are 403",
            admin_01b
        ),
        check!(
            "admin-01c",
            ["ADMIN-01"],
            [
                (
                    Vendor,
                    "seed 002 › Required permission",
                    "You need the API Access (Read) permission to view this screen, and API Access (Change) to add, edit, or delete client IDs."
                ),
                (
                    Vendor,
                    "seed 000 › Create API Client in PaymentIQ Backoffice",
                    "The back-office user must have role MERCHANT_ADMIN enabled to be able to access the view."
                )
            ],
            VendorOnly,
            [Admin],
            "change permission or MERCHANT_ADMIN may do everything, reading included",
            admin_01c
        ),
    ]
}

with_api!(admin_01a, admin_01a_run);
async fn admin_01a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let target = api.wallet("target", &[]).await?;
    let path = client_path(&target.id);
    let secret_path = format!("{path}/secret");
    let admin_id = ctx
        .run
        .target
        .admin
        .as_ref()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    let wrong = ClientCreds {
        id: admin_id,
        secret: Secret::new("not-the-admin-secret"),
        redirect_uri: None,
        scope: None,
    };
    let intruder = wallet_id("intruder");
    let body = json!({"kind": "wallet", "id": intruder});
    let deviations = Deviations::default();
    for (method, endpoint) in [
        (Method::GET, "/admin/clients"),
        (Method::POST, "/admin/clients"),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
        (Method::POST, secret_path.as_str()),
    ] {
        for (how, caller) in [
            ("no authentication", Caller::Anonymous),
            ("a wrong admin secret", Caller::Basic(&wrong)),
            (
                "an unknown bearer token",
                Caller::Bearer("no-such-token-c4"),
            ),
            ("an unknown scheme", Caller::Header("Digest x")),
        ] {
            let reply = api
                .call(&caller, method.clone(), endpoint, Some(&body))
                .await?;
            let case = format!("{method} {endpoint} with {how}");
            answered(&reply, 401, &case, &deviations)?;
            if reply.status == 401 {
                ensure(
                    reply.header("www-authenticate").is_some(),
                    format!("a WWW-Authenticate challenge with the 401 for {case}"),
                    "none",
                )?;
            }
        }
    }
    // The refused calls changed nothing.
    let kept = api.get(&target.id).await?;
    ensure(
        kept.status == 200,
        "the target client still there",
        kept.summary(),
    )?;
    ensure(
        ctx.client_credentials(&target).await?.status == 200,
        "the target's secret unchanged",
        "it no longer works",
    )?;
    let listing = api.list().await?;
    ensure(
        !listing.body.contains(&intruder),
        format!("no client {intruder} created"),
        "it is listed",
    )?;
    deviations.end()
}

/// Every call a reader must be refused, and the reads it may make.
async fn reader_calls(
    api: &Api,
    caller: &Caller<'_>,
    how: &str,
    target: &str,
    intruder: &str,
    deviations: &Deviations,
) -> CheckResult {
    let path = client_path(target);
    for (what, method, endpoint) in [
        ("list", Method::GET, "/admin/clients".to_owned()),
        ("get", Method::GET, path.clone()),
    ] {
        let reply = api.call(caller, method, &endpoint, None).await?;
        answered(&reply, 200, &format!("{what} via {how}"), deviations)?;
    }
    let create = json!({"kind": "wallet", "id": intruder});
    let notes = json!({"notes": "changed by a reader"});
    for (what, method, endpoint, body) in [
        (
            "create",
            Method::POST,
            "/admin/clients".to_owned(),
            Some(&create),
        ),
        ("edit", Method::PATCH, path.clone(), Some(&notes)),
        ("delete", Method::DELETE, path.clone(), None),
        ("New Secret", Method::POST, format!("{path}/secret"), None),
    ] {
        let reply = api.call(caller, method, &endpoint, body).await?;
        answered(&reply, 403, &format!("{what} via {how}"), deviations)?;
    }
    Ok(())
}

with_api!(admin_01b, admin_01b_run);
async fn admin_01b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let reader = api.wallet("reader", &["api_access:view"]).await?;
    let target = api.wallet("target", &["accounts:view"]).await?;
    let token = ctx.access_token(&reader).await?;
    let intruder = wallet_id("intruder");
    let deviations = Deviations::default();
    for (caller, how) in [
        (Caller::Basic(&reader), "Basic"),
        (Caller::Bearer(&token), "Bearer"),
    ] {
        reader_calls(api, &caller, how, &target.id, &intruder, &deviations).await?;
    }
    // A client without any admin permission may not even read.
    let outsider = api.wallet("outsider", &["accounts:change"]).await?;
    let reply = api
        .call(
            &Caller::Basic(&outsider),
            Method::GET,
            "/admin/clients",
            None,
        )
        .await?;
    answered(
        &reply,
        403,
        "listing as a client without an admin permission",
        &deviations,
    )?;
    // The refused changes left everything as it was.
    let after = api.get(&target.id).await?.json()?;
    ensure(
        field(&after, "notes").is_null(),
        "the target's notes unchanged",
        field(&after, "notes"),
    )?;
    ensure(
        ctx.client_credentials(&target).await?.status == 200,
        "the target's secret unchanged",
        "it no longer works",
    )?;
    ensure(
        !api.list().await?.body.contains(&intruder),
        format!("no client {intruder} created"),
        "it is listed",
    )?;
    deviations.end()
}

with_api!(admin_01c, admin_01c_run);
async fn admin_01c_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, merchant) = api
        .created(json!({"kind": "admin_api", "roles": ["MERCHANT_ADMIN"]}))
        .await?;
    let changer = api.wallet("changer", &["api_access:change"]).await?;
    let merchant_token = ctx.access_token(&merchant).await?;
    let changer_token = ctx.access_token(&changer).await?;
    let callers = [
        ("MERCHANT_ADMIN via Basic", Caller::Basic(&merchant)),
        ("MERCHANT_ADMIN via Bearer", Caller::Bearer(&merchant_token)),
        ("api_access:change via Basic", Caller::Basic(&changer)),
        (
            "api_access:change via Bearer",
            Caller::Bearer(&changer_token),
        ),
    ];
    let deviations = Deviations::default();
    for (who, caller) in &callers {
        let body = json!({"kind": "wallet", "id": wallet_id("made")});
        let created = api
            .call(caller, Method::POST, "/admin/clients", Some(&body))
            .await?;
        answered(&created, 201, &format!("creating as {who}"), &deviations)?;
        let id = member(&created.json()?, "client_id")?;
        let path = client_path(&id);
        let notes = json!({"notes": "edited"});
        for (what, method, endpoint, body, status) in [
            ("list", Method::GET, "/admin/clients".to_owned(), None, 200),
            ("get", Method::GET, path.clone(), None, 200),
            ("edit", Method::PATCH, path.clone(), Some(&notes), 200),
            (
                "New Secret",
                Method::POST,
                format!("{path}/secret"),
                None,
                200,
            ),
            ("delete", Method::DELETE, path.clone(), None, 204),
        ] {
            let reply = api.call(caller, method, &endpoint, body).await?;
            answered(&reply, status, &format!("{what} as {who}"), &deviations)?;
        }
        let gone = api.get(&id).await?;
        answered(
            &gone,
            404,
            &format!("a get after the delete as {who}"),
            &deviations,
        )?;
    }
    deviations.end()
}
