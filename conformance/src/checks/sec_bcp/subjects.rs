//! SEC-BCP-10: a wallet cannot impersonate a user (RFC 9700 §4.15.1).

use serde_json::{Value, json};

use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "sec-bcp-10",
        ["SEC-BCP-10"],
        [(
            ShouldNot,
            "RFC 9700 §4.15.1",
            "Authorization servers SHOULD NOT allow clients to influence their client_id or any other claim that could cause confusion with a genuine resource owner"
        )],
        VendorOnly,
        [Admin],
        "a wallet named after a user gets the full wallet id as subject and no username",
        bcp_10
    )]
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-10: a wallet cannot impersonate a user

async fn bcp_10(ctx: Ctx) -> CheckResult {
    let user = ctx
        .run
        .target
        .login
        .as_ref()
        .and_then(|l| l.username.clone())
        .unwrap_or_else(|| "test-user".to_owned());
    let wallet = ctx
        .client_with(json!({"kind": "wallet", "id": user, "roles": ["reports:view"]}))
        .await?;
    ensure(
        wallet.id != user
            && wallet.id.starts_with("wallet-")
            && wallet.id.ends_with(&format!("-{user}")),
        format!("the OAuth id wallet-{{key}}-{user}"),
        &wallet.id,
    )?;
    let token = ctx.access_token(&wallet).await?;
    // Introspection shows what a resource server would see; a server that does not show a
    // client its own token gives this check no view.
    let reply = ctx.token_call("introspection", &wallet, &token).await?;
    let view = if reply.status == 200 {
        reply.json()?
    } else {
        return Err(skip(format!(
            "introspection does not answer a client about its own token ({})",
            reply.summary()
        )));
    };
    if view.get("active") != Some(&Value::Bool(true)) {
        return Err(skip(
            "introspection shows the client its own fresh token as inactive: no subject to judge",
        ));
    }
    ensure(
        view.get("sub").and_then(Value::as_str) == Some(wallet.id.as_str()),
        format!("sub {}", wallet.id),
        view.get("sub").cloned().unwrap_or(Value::Null),
    )?;
    ensure(
        view.get("username").is_none(),
        "no username",
        view.get("username").cloned().unwrap_or(Value::Null),
    )
}
