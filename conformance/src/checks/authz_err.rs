//! AUTHZ-ERR: errors sent back to the client's redirect URI (RFC 6749 §4.1.2.1, §3.1.1, §3.3;
//! RFC 9700 §2.1.2), looked at with a logged-in user agent (AMB-31).

use serde_json::json;

use super::code_flow::{
    StateBack, code_of, code_query, error_redirect, logged_in, s256, s256_query, scoped_client,
};
use crate::check;
use crate::ctx::{CLIENT_CB, Ctx, form_pair};
use crate::model::{Check, CheckResult};
use crate::ua::{Decision, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-err-01",
            ["AUTHZ-ERR-01"],
            Must,
            Both,
            [Ua],
            "a denial redirects with error=access_denied and the state, in the permitted ASCII",
            err_01
        ),
        check!(
            "authz-err-02",
            ["AUTHZ-ERR-02"],
            Must,
            Both,
            [Ua],
            "response_type=token gives unsupported_response_type; no response_type gives an error redirect",
            err_02
        ),
        check!(
            "authz-err-03",
            ["AUTHZ-ERR-03"],
            Must,
            Both,
            [Ua],
            "an unknown or disallowed scope redirects with invalid_scope and the state, no code",
            err_03
        ),
        check!(
            "authz-err-04",
            ["AUTHZ-ERR-04"],
            Must,
            Both,
            [Ua, Admin],
            "a client without the authorization_code grant gets an unauthorized_client redirect",
            err_04
        ),
    ]
}

async fn err_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let state = "deny me & keep = this";
    let query = s256_query(&client, &form_pair("state", state));

    let landing = UserAgent::new(&ctx)
        .authorize_deciding(&query, Decision::Deny)
        .await?;

    error_redirect(
        &landing,
        client.redirect(),
        &["access_denied"],
        StateBack::Exactly(Some(state)),
        "denied",
    )
    .map(|_| ())
}

async fn err_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = logged_in(&ctx, &client).await?;
    let tail = format!(
        "{}&{}&{}&state=s",
        form_pair("client_id", &client.id),
        form_pair("redirect_uri", client.redirect()),
        s256()
    );

    let implicit = ua.authorize(&format!("response_type=token&{tail}")).await?;
    let missing = ua.authorize(&tail).await?;

    error_redirect(
        &implicit,
        client.redirect(),
        &["unsupported_response_type"],
        StateBack::Exactly(Some("s")),
        "response_type=token",
    )?;
    // AMB-30: the reference says invalid_request; unsupported_response_type is accepted.
    error_redirect(
        &missing,
        client.redirect(),
        &["invalid_request", "unsupported_response_type"],
        StateBack::Exactly(Some("s")),
        "no response_type",
    )
    .map(|_| ())
}

async fn err_03(ctx: Ctx) -> CheckResult {
    let mut unknown = vec!["conformance-no-such-scope".to_owned()];
    let (client, allowed) = if ctx.has_admin() {
        // Allowed only `profile`: `email` exists but is not this client's.
        let client = ctx
            .client_with(json!({
                "kind": "one_click",
                "name": "Narrow shop",
                "redirect_urls": [CLIENT_CB],
                "scopes": ["profile"],
            }))
            .await?;
        unknown.push("email".into());
        unknown.push("profile email".into());
        (client, "profile".to_owned())
    } else {
        let (client, scopes) = scoped_client(&ctx).await?;
        unknown.push(format!("{} conformance-no-such-scope", scopes[0]));
        (client, scopes[0].clone())
    };
    let ua = logged_in(&ctx, &client).await?;
    for scope in &unknown {
        let query = s256_query(&client, &format!("{}&state=s", form_pair("scope", scope)));
        let landing = ua.authorize(&query).await?;
        error_redirect(
            &landing,
            client.redirect(),
            &["invalid_scope"],
            StateBack::Exactly(Some("s")),
            &format!("scope {scope:?}"),
        )?;
    }
    // An allowed scope still gets a code: the refusals were about the scope.
    let query = s256_query(&client, &form_pair("scope", &allowed));
    code_of(&ua.authorize(&query).await?).map(|_| ())
}

async fn err_04(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "name": "No-code shop",
            "redirect_urls": [CLIENT_CB],
            "grants": ["client_credentials"],
        }))
        .await?;
    let query = code_query(&client.id, Some(CLIENT_CB), &format!("{}&state=s", s256()));

    let landing = UserAgent::new(&ctx).authorize(&query).await?;

    error_redirect(
        &landing,
        CLIENT_CB,
        &["unauthorized_client"],
        StateBack::Exactly(Some("s")),
        "a client_credentials-only client",
    )
    .map(|_| ())
}
