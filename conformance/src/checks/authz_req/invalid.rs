//! AUTHZ-REQ-06: an invalid request goes back only to the client's registered URI, and (on the
//! reference) only after login (RFC 6749 §4.1.2.1; AMB-31).

use super::no_repeated_param;
use crate::check;
use crate::checks::authz_redir::{base_of, login_drivable, looks_like_login, no_login};
use crate::checks::support::{Browser, CodeRequest, Form, Pkce, read_form, redact_url};
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, fail, skip};
use crate::ua::{Landing, query_param};

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "authz-req-06",
        ["AUTHZ-REQ-06"],
        [
            (
                MustNot,
                "RFC 6749 §4.1.2.1",
                "…the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
            ),
            (
                MustNot,
                "RFC 6749 §3.1",
                "Request and response parameters MUST NOT be included more than once."
            ),
            (Decision, "AMB-31", "the user logs in first")
        ],
        Both,
        [Ua],
        "an invalid request is redirected only to the client's registered URI, with no parameter repeated, and (on the reference) only after login",
        req_06
    )]
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-REQ-06: an invalid request goes back only to the registered URI

async fn req_06(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = base_of(client.redirect()).to_owned();
    let cases = [
        (
            "an unknown scope",
            CodeRequest::of(&client)
                .scope(Some("conformance-no-such-scope"))
                .state("s")
                .query(),
        ),
        (
            "response_type=token",
            CodeRequest::of(&client).state("s").query().replacen(
                "response_type=code",
                "response_type=token",
                1,
            ),
        ),
        (
            "no response_type",
            CodeRequest::of(&client)
                .state("s")
                .query()
                .replacen("response_type=code&", "", 1),
        ),
        (
            "state twice",
            CodeRequest::of(&client).extra("state=s&state=t").query(),
        ),
        (
            "a malformed code_challenge",
            CodeRequest::of(&client)
                .pkce(Pkce::Challenge("short", None))
                .state("s")
                .query(),
        ),
    ];
    let deviations = Deviations::default();
    // Only a redirect elsewhere than the client's registered URI can fail; where the request
    // ends, and with which error, is AUTHZ-ERR's business.
    let elsewhere = |case: &str, leaving: &str| {
        fail(
            format!("{case}: a redirect only to the registered {registered}"),
            format!("a redirect to {}", redact_url(leaving)),
        )
    };
    for (case, query) in &cases {
        let browser = Browser::new(&ctx);
        let url = browser.authorize_url(query)?;

        let first = browser.get(&url).await?;

        if let Some(leaving) = &first.leaving {
            no_repeated_param(&Landing::Redirect(leaving.clone()), client.redirect(), case)?;
            if base_of(leaving) == registered {
                deviations.note(
                    format!("{case}: the login page first (AMB-31)"),
                    format!("a redirect to {} before login", redact_url(leaving)),
                );
                continue;
            }
            let oauth = ["error", "code", "state"]
                .iter()
                .any(|name| query_param(leaving, name).is_some());
            if oauth {
                return Err(elsewhere(case, leaving));
            }
            return Err(skip(format!(
                "the login is on another origin ({}); the user agent stays on the server's",
                base_of(leaving)
            )));
        }
        let Some(form) = read_form(&first.reply.body, &first.url).filter(Form::is_login) else {
            if looks_like_login(&first.reply, &first.url) {
                return Err(no_login("a login page without a form to fill"));
            }
            // A page of the server's own at once: nothing went to the client.
            continue;
        };
        if !login_drivable(&ctx) {
            return Err(no_login("the server shows a login form"));
        }
        let after = browser.log_in(&form).await?;
        if let Some(leaving) = &after.leaving {
            if base_of(leaving) != registered {
                return Err(elsewhere(case, leaving));
            }
            no_repeated_param(&Landing::Redirect(leaving.clone()), client.redirect(), case)?;
        }
    }
    deviations.end()
}
