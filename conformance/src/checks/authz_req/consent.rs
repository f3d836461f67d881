//! AUTHZ-REQ-05: the consent form resists cross-site request forgery (RFC 6749 §10.12).

use crate::check;
use crate::checks::authz_redir::{base_of, consent};
use crate::checks::support::{
    AUTOMATIC_CONSENT, Browser, CodeRequest, Consent, Form, Stop, approve_fields, redact_url,
};
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, Outcome, fail, skip};
use crate::ua::query_param;

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "authz-req-05",
        ["AUTHZ-REQ-05"],
        [
            (
                Must,
                "RFC 6749 §10.12",
                "The authorization server MUST implement CSRF protection for its authorization endpoint and ensure that a malicious client cannot obtain authorization without the awareness and explicit consent of the resource owner."
            ),
            (
                Decision,
                "AUTHZ-REQ-05",
                "→ 400 or 403, and no code is issued."
            )
        ],
        Both,
        [Ua],
        "the consent form is protected against CSRF: no anti-forgery value, or another session's, issues no code",
        req_05
    )]
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-REQ-05: the consent form resists CSRF

/// Does a form field look like an anti-forgery value?
fn is_csrf_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "csrf",
        "xsrf",
        "authenticity",
        "anti_forgery",
        "antiforgery",
        "_token",
    ]
    .iter()
    .any(|n| name.contains(n))
}

/// A forged consent post must leave the client without a code; the reference refuses it with
/// 400 or 403.
fn refused(stop: &Stop, case: &str, deviations: &Deviations) -> CheckResult {
    match &stop.leaving {
        Some(leaving) if query_param(leaving, "code").is_some() => Err(fail(
            format!("{case}: no code for a forged consent"),
            format!("a redirect with a code to {}", base_of(leaving)),
        )),
        Some(leaving) => {
            deviations.note(
                format!("{case}: 400 or 403, no redirect"),
                format!("a redirect to {}", redact_url(leaving)),
            );
            Ok(())
        }
        None if matches!(stop.reply.status, 400 | 403) => Ok(()),
        None => {
            deviations.note(format!("{case}: 400 or 403"), stop.reply.status);
            Ok(())
        }
    }
}

/// The consent form for `query`, or a skip for a server that consents by itself.
async fn consent_form(ctx: &Ctx, browser: &Browser, query: &str) -> Result<Form, Outcome> {
    match consent(ctx, browser, query).await? {
        Consent::Form(form) => Ok(form),
        Consent::Automatic(_) => Err(skip(AUTOMATIC_CONSENT)),
    }
}

async fn req_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let query = CodeRequest::of(&client)
        .scope(client.scope.as_deref())
        .state("s")
        .query();
    let mine = Browser::new(&ctx);
    let theirs = Browser::new(&ctx);
    let deviations = Deviations::default();

    // The classic forgery: a form from the attacker's own session, posted by the victim's
    // browser.
    let their_form = consent_form(&ctx, &theirs, &query).await?;
    consent_form(&ctx, &mine, &query).await?;
    let stop = mine
        .post(&their_form.action, &approve_fields(&their_form))
        .await?;
    refused(&stop, "another session's form", &deviations)?;

    let form = consent_form(&ctx, &mine, &query).await?;
    if form.hidden().iter().any(|(name, _)| is_csrf_name(name)) {
        let their_form = consent_form(&ctx, &theirs, &query).await?;
        let their_value = |name: &str| {
            their_form
                .hidden()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .unwrap_or_default()
        };
        for case in [
            "without the anti-forgery value",
            "an empty anti-forgery value",
            "another session's anti-forgery value",
        ] {
            let form = consent_form(&ctx, &mine, &query).await?;
            let mut fields = Vec::new();
            let hidden_fields = form.hidden();
            for (name, value) in approve_fields(&form) {
                let hidden = hidden_fields.iter().any(|(n, _)| *n == name);
                if !(hidden && is_csrf_name(&name)) {
                    fields.push((name, value));
                } else if case.starts_with("an empty") {
                    fields.push((name, String::new()));
                } else if case.starts_with("another") {
                    let theirs = their_value(&name);
                    fields.push((name, theirs));
                }
            }
            let stop = mine.post(&form.action, &fields).await?;
            refused(&stop, case, &deviations)?;
        }
    }

    // The genuine form still gives a code: the refusals were about the forgery.
    let form = consent_form(&ctx, &mine, &query).await?;
    let stop = mine.post(&form.action, &approve_fields(&form)).await?;
    let location = stop.leaving.ok_or_else(|| {
        fail(
            "the genuine consent post to redirect with a code",
            stop.reply.summary(),
        )
    })?;
    if query_param(&location, "code").is_none() {
        return Err(fail(
            "the genuine consent post to redirect with a code",
            redact_url(&location),
        ));
    }
    deviations.end()
}
