//! ADMIN-02 to ADMIN-04: the secret is shown once (AMB-17), and New Secret (AMB-18).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Api, Caller, active, answered, client_path, dead, field, is_unreserved, pending_code, redeemed,
    refused_client, sees_active, user_tokens, wallet_id,
};
use crate::check;
use crate::checks::support::{refresh, with_secret};
use crate::ctx::{ClientCreds, Ctx, member};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure};
use crate::target::Secret;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-02a",
            ["ADMIN-02"],
            [
                (
                    Vendor,
                    "seed 002 › Add a client ID",
                    "Click Save. A dialog appears showing the generated client secret."
                ),
                (
                    Must,
                    "RFC 6749 §10.10",
                    "The probability of an attacker guessing generated tokens (and other credentials not intended for handling by end-users) MUST be less than or equal to 2^(-128)"
                )
            ],
            VendorOnly,
            [Admin],
            "create is 201 with client_id, a 256-bit unreserved client_secret and no-store",
            admin_02a
        ),
        check!(
            "admin-02b",
            ["ADMIN-02"],
            [(
                Vendor,
                "seed 002 › Client secret dialog",
                "The client secret is only shown once. Store it securely — it cannot be retrieved afterwards."
            )],
            VendorOnly,
            [Admin],
            "a wallet's secret is never shown again: not by get, list, edit or an error",
            admin_02b
        ),
        check!(
            "admin-02c",
            ["ADMIN-02"],
            [(
                Decision,
                "AMB-17",
                "every client's secret is shown exactly once, at creation and at each regeneration. The reference server cannot offer seed 001's Show"
            )],
            VendorOnly,
            [Admin],
            "an Admin API client's secret is never shown again, and there is no show-secret endpoint",
            admin_02c
        ),
        check!(
            "admin-03",
            ["ADMIN-03"],
            [
                (
                    Vendor,
                    "seed 001 › Client secret",
                    "Note that the client secret can be regenerated with `New Secret`, which will replace the old secret upon action."
                ),
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code"
                ),
                (
                    Must,
                    "RFC 6749 §10.10",
                    "The probability of an attacker guessing generated tokens (and other credentials not intended for handling by end-users) MUST be less than or equal to 2^(-128)"
                )
            ],
            VendorOnly,
            [Admin],
            "New Secret shows a fresh secret once; the old one is refused at once",
            admin_03
        ),
        check!(
            "admin-04a",
            ["ADMIN-04"],
            [(
                Decision,
                "AMB-18",
                "the old secret stops working at once, with no grace period. Issued tokens stay valid, and refresh tokens then require the new secret."
            )],
            VendorOnly,
            [Admin, Ua],
            "after New Secret, earlier access tokens stay active and refresh needs the new secret",
            admin_04a
        ),
        check!(
            "admin-04b",
            ["ADMIN-04"],
            [(
                Decision,
                "AMB-18",
                "An optional `revoke_tokens=true` also kills all tokens and codes."
            )],
            VendorOnly,
            [Admin, Ua],
            "New Secret with revoke_tokens=true kills the client's tokens and pending codes",
            admin_04b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// ADMIN-02: the secret is shown once (AMB-17)

/// Milli-bits per character of a secret drawn from the smallest alphabet that holds it.
fn millibits_per_char(secret: &str) -> usize {
    if secret.chars().all(|c| c.is_ascii_hexdigit()) {
        4_000
    } else if secret.chars().all(|c| c.is_ascii_alphanumeric()) {
        5_954
    } else {
        6_000
    }
}

/// RFC 6749 §10.10 bounds a guess at a credential by 2^-128 (MUST); the catalog's secrets are
/// 256 bits in at least 43 unreserved characters, so that Basic encoding leaves them alone.
fn strong_secret(secret: &str, what: &str, deviations: &Deviations) -> CheckResult {
    let length = secret.chars().count();
    ensure(
        length * millibits_per_char(secret) >= 128_000,
        format!("{what}: at least 128 bits (RFC 6749 §10.10)"),
        format!("{length} characters"),
    )?;
    if length < 43 || !secret.chars().all(is_unreserved) {
        deviations.note(
            format!("{what}: at least 43 unreserved characters (256 bits)"),
            format!("{length} characters"),
        );
    }
    Ok(())
}

/// `Cache-Control: no-store` on an answer that shows a secret (the catalog's rule; the admin
/// API is no OAuth endpoint).
fn not_stored(reply: &Reply, what: &str, deviations: &Deviations) {
    let no_store = reply.header("cache-control").is_some_and(|v| {
        v.split(',')
            .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
    });
    if !no_store {
        deviations.note(
            format!("Cache-Control: no-store with {what}"),
            reply.header("cache-control").unwrap_or("none"),
        );
    }
}

with_api!(admin_02a, admin_02a_run);
async fn admin_02a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let body = json!({"kind": "wallet", "id": wallet_id("shown"), "roles": ["accounts:view"]});
    let reply = api.create(body).await?;
    answered(&reply, 201, "creating a wallet client", &deviations)?;
    not_stored(&reply, "the secret", &deviations);
    let view = reply.json()?;
    let id = member(&view, "client_id")?;
    let secret = member(&view, "client_secret")?;
    strong_secret(&secret, "the secret", &deviations)?;
    let other = api.wallet("other", &[]).await?;
    ensure(
        other.secret.expose() != secret,
        "each client its own secret",
        "two clients share one",
    )?;
    let client = ClientCreds {
        id,
        secret: Secret::new(secret),
        redirect_uri: None,
        scope: None,
    };
    let token = ctx.client_credentials(&client).await?;
    ensure(
        token.status == 200,
        "the shown secret works",
        token.summary(),
    )?;
    deviations.end()
}

/// Every later answer about `client` leaves its secret out.
async fn never_again(
    api: &Api,
    client: &ClientCreds,
    edit: Value,
    deviations: &Deviations,
) -> CheckResult {
    let secret = client.secret.expose().to_owned();
    let path = client_path(&client.id);
    let later = [
        ("get", api.get(&client.id).await?),
        ("list", api.list().await?),
        ("edit", api.edit(&client.id, edit).await?),
        (
            "an edit naming the secret",
            api.edit(&client.id, json!({"client_secret": secret}))
                .await?,
        ),
        (
            "an unknown field",
            api.create(json!({"kind": "wallet", "id": wallet_id("x"), "secret": secret}))
                .await?,
        ),
        (
            "show secret",
            api.call(&Caller::Admin, Method::GET, &format!("{path}/secret"), None)
                .await?,
        ),
    ];
    for (what, reply) in &later {
        ensure(
            !reply.body.contains(&secret),
            format!("{what} without the secret"),
            format!("{} with the secret in its body", reply.status),
        )?;
    }
    answered(&later[0].1, 200, "get", deviations)?;
    answered(&later[2].1, 200, "the edit", deviations)?;
    // Whether the secret field is refused or ignored, it is not shown: the 400 is ours.
    if later[3].1.status != 400 {
        deviations.note("400: the secret is not editable", later[3].1.summary());
    }
    Ok(())
}

with_api!(admin_02b, admin_02b_run);
async fn admin_02b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let client = api.wallet("once", &["accounts:view"]).await?;
    never_again(api, &client, json!({"notes": "rotated keys"}), &deviations).await?;
    deviations.end()
}

with_api!(admin_02c, admin_02c_run);
async fn admin_02c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let (_, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    never_again(api, &client, json!({"name": "renamed"}), &deviations).await?;
    let show = api
        .call(
            &Caller::Admin,
            Method::GET,
            &format!("{}/secret", client_path(&client.id)),
            None,
        )
        .await?;
    ensure(
        matches!(show.status, 404 | 405),
        "no show-secret endpoint: 404 or 405",
        show.summary(),
    )?;
    deviations.end()
}

// ---------------------------------------------------------------------------------------------
// ADMIN-03, ADMIN-04: New Secret (AMB-18)

/// New Secret for `client`: a success (200 the catalog's), a fresh secret; the client with it.
async fn renewed(
    api: &Api,
    client: &ClientCreds,
    body: Option<Value>,
    deviations: &Deviations,
) -> Result<(Reply, ClientCreds), Outcome> {
    let reply = api.new_secret(&client.id, body).await?;
    answered(&reply, 200, "New Secret", deviations)?;
    let secret = member(&reply.json()?, "client_secret")?;
    ensure(
        secret != client.secret.expose(),
        "a new secret",
        "the old one again",
    )?;
    Ok((reply, with_secret(client, &secret)))
}

with_api!(admin_03, admin_03_run);
async fn admin_03_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let old = api.wallet("rotating", &["accounts:view"]).await?;
    let before = ctx.client_credentials(&old).await?;
    ensure(
        before.status == 200,
        "the first secret works",
        before.summary(),
    )?;
    let (reply, new) = renewed(api, &old, None, &deviations).await?;
    not_stored(&reply, "the new secret", &deviations);
    strong_secret(new.secret.expose(), "the new secret", &deviations)?;
    let refused = ctx.client_credentials(&old).await?;
    refused_client(&refused, "the old secret")?;
    let works = ctx.client_credentials(&new).await?;
    ensure(works.status == 200, "the new secret works", works.summary())?;
    for (what, later) in [
        ("get", api.get(&new.id).await?),
        ("list", api.list().await?),
    ] {
        ensure(
            !later.body.contains(new.secret.expose()),
            format!("{what} without the new secret"),
            "the secret shown again",
        )?;
    }
    deviations.end()
}

with_api!(admin_04a, admin_04a_run);
async fn admin_04a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let old = api.one_click().await?;
    let (access, refresh_token) = user_tokens(ctx, &old).await?;
    sees_active(ctx, &old, &access, "the client's own access token").await?;
    let (reply, new) = renewed(api, &old, Some(json!({})), &deviations).await?;
    ensure(
        field(&reply.json()?, "tokens_revoked") == &Value::Bool(false),
        "tokens_revoked false",
        field(&reply.json()?, "tokens_revoked"),
    )?;
    ensure(
        active(ctx, &new, &access).await?,
        "the earlier access token still active",
        "inactive",
    )?;
    refused_client(
        &refresh(ctx, &old, &refresh_token, "").await?,
        "refresh with the old secret",
    )?;
    let refreshed = refresh(ctx, &new, &refresh_token, "").await?;
    ensure(
        refreshed.status == 200,
        "the refresh token works with the new secret",
        refreshed.summary(),
    )?;
    deviations.end()
}

with_api!(admin_04b, admin_04b_run);
async fn admin_04b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let old = api.one_click().await?;
    let (access, refresh_token) = user_tokens(ctx, &old).await?;
    sees_active(ctx, &old, &access, "the client's own access token").await?;
    let pending = pending_code(ctx, &old).await?;
    let bystander = api.wallet("bystander", &["accounts:view"]).await?;
    let bystander_token = ctx.access_token(&bystander).await?;
    sees_active(ctx, &bystander, &bystander_token, "its own access token").await?;

    let (reply, new) =
        renewed(api, &old, Some(json!({"revoke_tokens": true})), &deviations).await?;

    ensure(
        field(&reply.json()?, "tokens_revoked") == &Value::Bool(true),
        "tokens_revoked true",
        field(&reply.json()?, "tokens_revoked"),
    )?;
    ensure(
        !active(ctx, &new, &access).await?,
        "the earlier access token inactive",
        "active",
    )?;
    dead(
        &refresh(ctx, &new, &refresh_token, "").await?,
        "the earlier refresh token",
    )?;
    dead(&redeemed(ctx, &new, &pending).await?, "the pending code")?;
    let fresh = user_tokens(ctx, &new).await?;
    ensure(
        active(ctx, &new, &fresh.0).await?,
        "tokens issued afterwards active",
        "inactive",
    )?;
    ensure(
        active(ctx, &bystander, &bystander_token).await?,
        "another client's token untouched",
        "inactive",
    )?;
    deviations.end()
}
