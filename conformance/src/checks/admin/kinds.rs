//! ADMIN-08, ADMIN-09: 1-Click clients (seed 000; AMB-25, AMB-34) and Admin API clients
//! (seed 001; AMB-22 to AMB-24).

use serde_json::{Value, json};

use super::{Api, SHOP_CB, answered, field, strings};
use crate::check;
use crate::ctx::{ClientCreds, Ctx};
use crate::model::{Check, CheckResult, Deviations, ensure, fail};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-08a",
            ["ADMIN-08"],
            [
                (
                    Vendor,
                    "seed 000 › Create API Client in PaymentIQ Backoffice",
                    "Client type: Grant type to use and should always be set to authorization_code for 1-Click API."
                ),
                (
                    Decision,
                    "AMB-34",
                    "confidential, with a secret. PKCE is optional in the vendor profile and required in the strict profile."
                ),
                (
                    Decision,
                    "AMB-25",
                    "a 1-Click client holds a non-empty subset, defaulting to identity_api."
                )
            ],
            VendorOnly,
            [Admin],
            "a 1-Click client gets the code grant, a secret and identity_api by default",
            admin_08a
        ),
        check!(
            "admin-08b",
            ["ADMIN-08"],
            [(
                Vendor,
                "seed 000 › Create API Client in PaymentIQ Backoffice",
                "Redirect URLs: The redirect_uri in the operator platform. PaymentIQ will redirect the end-user with the one-time code and state."
            )],
            VendorOnly,
            [Admin],
            "a 1-Click client needs at least one redirect URL",
            admin_08b
        ),
        check!(
            "admin-08c",
            ["ADMIN-08"],
            [
                (
                    Vendor,
                    "seed 000 › Create API Client in PaymentIQ Backoffice",
                    "Resource ids: The resource the client is attempting to access. Available resources are backoffice_api and identity_api."
                ),
                (
                    Decision,
                    "AMB-25",
                    "a 1-Click client holds a non-empty subset, defaulting to identity_api."
                )
            ],
            VendorOnly,
            [Admin],
            "1-Click resource ids are a non-empty subset of backoffice_api and identity_api",
            admin_08c
        ),
        check!(
            "admin-09a",
            ["ADMIN-09"],
            [
                (
                    Vendor,
                    "seed 001 › Grants",
                    "Grant should be set to `client_credentials`."
                ),
                (
                    Vendor,
                    "seed 001 › Scopes",
                    "For which scopes the client is for, default values are: `web-origins,address,phone,roles,profile,paymentiq,email`"
                ),
                (
                    Vendor,
                    "seed 001 › Access Token Validity Seconds",
                    "This shows how many seconds the access token is valid. … This will be populated automatically"
                ),
                (
                    Decision,
                    "AMB-23",
                    "access tokens 3600 s, because RFC 6750 §5.3 asks for one hour or less; refresh tokens 30 days. Both can be overridden per client"
                )
            ],
            VendorOnly,
            [Admin],
            "an Admin API client gets client_credentials, backoffice_api, seven default scopes \
             and shown validities, and expires_in equals its access validity",
            admin_09a
        ),
        check!(
            "admin-09b",
            ["ADMIN-09"],
            [
                (
                    Vendor,
                    "seed 001 › Resources",
                    "Which \"resource\" the client is meant for. This will always be `backoffice_api`."
                ),
                (
                    Vendor,
                    "seed 001 › Grants",
                    "Grant should be set to `client_credentials`."
                )
            ],
            VendorOnly,
            [Admin],
            "an Admin API client's resources and grant are fixed: anything else is 400",
            admin_09b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// ADMIN-08: 1-Click clients (seed 000; AMB-25, AMB-34)

with_api!(admin_08a, admin_08a_run);
async fn admin_08a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let reply = api
        .create(json!({"kind": "one_click", "redirect_urls": [SHOP_CB]}))
        .await?;
    answered(&reply, 201, "creating a 1-Click client", &deviations)?;
    let view = reply.json()?;
    // Seed 000 names no secret: a confidential client is AMB-34's decision.
    let secret = view.get("client_secret").and_then(Value::as_str);
    if secret.is_none_or(|s| s.len() < 43) {
        deviations.note(
            "a confidential client with a secret",
            "a short or no secret",
        );
    }
    ensure(
        strings(view.get("grants")) == ["authorization_code"],
        "grants [authorization_code]",
        field(&view, "grants"),
    )?;
    if strings(view.get("resource_ids")) != ["identity_api"] {
        deviations.note(
            "resource_ids [identity_api] by default",
            field(&view, "resource_ids"),
        );
    }
    ensure(
        strings(view.get("redirect_urls")) == [SHOP_CB],
        format!("redirect_urls [{SHOP_CB}]"),
        field(&view, "redirect_urls"),
    )?;
    let (full, _) = api
        .created(json!({
            "kind": "one_click",
            "name": "bambora_client",
            "redirect_urls": [SHOP_CB, "https://*.shop.example/return/*"],
            "resource_ids": ["backoffice_api", "identity_api"],
            "ip_whitelist": ["127.0.0.2"]
        }))
        .await?;
    ensure(
        field(&full, "name") == &json!("bambora_client")
            && strings(full.get("resource_ids")) == ["backoffice_api", "identity_api"]
            && field(&full, "ip_whitelist") == &json!(["127.0.0.2"]),
        "name, both resource ids and the whitelist as given",
        &full,
    )?;
    deviations.end()
}

with_api!(admin_08b, admin_08b_run);
async fn admin_08b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    for (case, body) in [
        ("no redirect_urls", json!({"kind": "one_click"})),
        (
            "an empty list",
            json!({"kind": "one_click", "redirect_urls": []}),
        ),
    ] {
        let reply = api.create(body).await?;
        answered(&reply, 400, case, &deviations)?;
    }
    let client = api.one_click().await?;
    // Refused or ignored, the URL must stay; the 400 is the admin API's.
    let emptied = api.edit(&client.id, json!({"redirect_urls": []})).await?;
    if emptied.status != 400 {
        deviations.note("400 for an edit removing every URL", emptied.summary());
    }
    let got = api.get(&client.id).await?.json()?;
    ensure(
        strings(got.get("redirect_urls")) == [SHOP_CB],
        "the URL kept",
        field(&got, "redirect_urls"),
    )?;
    deviations.end()
}

with_api!(admin_08c, admin_08c_run);
async fn admin_08c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    for ids in [json!(["backoffice_api"]), json!(["identity_api"])] {
        let (view, _) = api
            .created(json!({"kind": "one_click", "redirect_urls": [SHOP_CB], "resource_ids": ids}))
            .await?;
        ensure(
            field(&view, "resource_ids") == &ids,
            format!("resource_ids {ids}"),
            field(&view, "resource_ids"),
        )?;
    }
    for (case, ids) in [
        ("empty", json!([])),
        ("wallet_api", json!(["wallet_api"])),
        ("an unknown id", json!(["identity_api", "payments_api"])),
        ("wrong case", json!(["Identity_API"])),
    ] {
        let reply = api
            .create(json!({"kind": "one_click", "redirect_urls": [SHOP_CB], "resource_ids": ids}))
            .await?;
        let expected = format!("400 for {case}");
        if !(200..300).contains(&reply.status) {
            if reply.status != 400 {
                deviations.note(expected, reply.summary());
            }
            continue;
        }
        // Accepted: only ids the seed makes available may have been stored. An empty set
        // (AMB-25) or a case folded to a known id deviates.
        let stored = strings(reply.json()?.get("resource_ids"));
        let available = stored
            .iter()
            .all(|id| id == "backoffice_api" || id == "identity_api");
        ensure(available, &expected, reply.summary())?;
        deviations.note(expected, reply.summary());
    }
    deviations.end()
}

// ---------------------------------------------------------------------------------------------
// ADMIN-09: Admin API clients (seed 001; AMB-22 to AMB-24)

/// The access validity a client's view shows, in seconds.
fn shown_validity(view: &Value) -> Option<i64> {
    field(view, "access_token_validity_seconds").as_i64()
}

/// `expires_in` of a token for `client`: its shown validity (a second or two less allowed,
/// for a server that counts from its own clock).
async fn expires_as_shown(ctx: &Ctx, client: &ClientCreds, validity: i64) -> CheckResult {
    let token = ctx.client_credentials(client).await?.json()?;
    let expires_in = field(&token, "expires_in").as_i64();
    ensure(
        expires_in.is_some_and(|e| (validity - 2..=validity).contains(&e)),
        format!("expires_in {validity}, the validity the client shows"),
        field(&token, "expires_in"),
    )
}

with_api!(admin_09a, admin_09a_run);
async fn admin_09a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let (view, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    ensure(
        strings(view.get("grants")) == ["client_credentials"]
            && strings(view.get("resource_ids")) == ["backoffice_api"],
        "grants [client_credentials], resource_ids [backoffice_api]",
        &view,
    )?;
    let seven = [
        "address",
        "email",
        "paymentiq",
        "phone",
        "profile",
        "roles",
        "web-origins",
    ];
    ensure(
        strings(view.get("scopes")) == seven,
        "seed 001's seven default scopes",
        field(&view, "scopes"),
    )?;
    let got = api.get(&client.id).await?.json()?;
    let validity = shown_validity(&got);
    let refresh = field(&got, "refresh_token_validity_seconds").as_i64();
    let (Some(validity), Some(refresh)) = (validity, refresh) else {
        return Err(fail("both validities filled in and shown", &got));
    };
    if (validity, refresh) != (3600, 2_592_000) {
        deviations.note("validities 3600 / 2592000", &got);
    }
    expires_as_shown(ctx, &client, validity).await?;
    let (_, short) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "access_token_validity_seconds": 600}))
        .await?;
    let shown = shown_validity(&api.get(&short.id).await?.json()?).unwrap_or(validity);
    if shown != 600 {
        deviations.note("a configured validity of 600 kept", shown);
    }
    expires_as_shown(ctx, &short, shown).await?;
    deviations.end()
}

with_api!(admin_09b, admin_09b_run);
async fn admin_09b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let fixed = |view: &Value| {
        strings(view.get("resource_ids")) == ["backoffice_api"]
            && strings(view.get("grants")) == ["client_credentials"]
    };
    let (_, client) = api
        .created(json!({"kind": "admin_api", "resource_ids": ["backoffice_api"], "grants": ["client_credentials"]}))
        .await?;
    for (case, body) in [
        (
            "identity_api",
            json!({"kind": "admin_api", "resource_ids": ["identity_api"]}),
        ),
        (
            "both resource ids",
            json!({"kind": "admin_api", "resource_ids": ["backoffice_api", "identity_api"]}),
        ),
        (
            "no resource id",
            json!({"kind": "admin_api", "resource_ids": []}),
        ),
        (
            "the code grant",
            json!({"kind": "admin_api", "grants": ["authorization_code"]}),
        ),
    ] {
        let reply = api.create(body).await?;
        let expected = format!("400 for {case}");
        if (200..300).contains(&reply.status) {
            // Accepted with the fields forced back to the seed's values holds the seed.
            ensure(fixed(&reply.json()?), &expected, reply.summary())?;
            deviations.note(expected, reply.summary());
        } else if reply.status != 400 {
            deviations.note(expected, reply.summary());
        }
    }
    let moved = api
        .edit(&client.id, json!({"resource_ids": ["identity_api"]}))
        .await?;
    if moved.status != 400 {
        deviations.note("400 for an edit to identity_api", moved.summary());
    }
    let got = api.get(&client.id).await?.json()?;
    ensure(
        strings(got.get("resource_ids")) == ["backoffice_api"],
        "resource_ids still [backoffice_api]",
        field(&got, "resource_ids"),
    )?;
    deviations.end()
}
