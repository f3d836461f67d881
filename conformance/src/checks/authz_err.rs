//! AUTHZ-ERR: errors sent back to the client's redirect URI (RFC 6749 §4.1.2.1, §3.1.1, §3.3;
//! RFC 9700 §2.1.2), looked at with a logged-in user agent (AMB-31).
//!
//! Also how the authorization-endpoint groups judge an error response ([`error_response`]):
//! what §4.1.2.1 requires of an error redirect fails, while answering with a page instead of a
//! redirect deviates, since §4.1.2.1 has no keyword for the channel.

use serde_json::json;
use url::Url;

use super::authz_redir::{base_of, stopped_at_login};
use super::support::{
    CodeRequest, StateBack, code_for, code_of, is_error_text, join, read_form, redact_url, s256,
    scope_param, scoped_client,
};
use crate::check;
use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, form_pair};
use crate::model::{Check, CheckResult, Deviations, Outcome, fail, skip};
use crate::ua::{Decision, Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-err-01",
            ["AUTHZ-ERR-01"],
            [
                (
                    Required,
                    "RFC 6749 §4.1.2.1",
                    "error REQUIRED. A single ASCII error code from the following: … access_denied The resource owner or authorization server denied the request."
                ),
                (
                    Decision,
                    "AUTHZ-ERR-01",
                    "The resource owner denies → redirect with `error=access_denied` and the state."
                )
            ],
            Both,
            [Ua],
            "a denial's error redirect says access_denied and carries the state, in the permitted ASCII",
            err_01
        ),
        check!(
            "authz-err-02",
            ["AUTHZ-ERR-02"],
            [
                (
                    Must,
                    "RFC 6749 §3.1.1",
                    "If an authorization request is missing the \"response_type\" parameter, or if the response type is not understood, the authorization server MUST return an error response as described in Section 4.1.2.1."
                ),
                (
                    Decision,
                    "AUTHZ-ERR-02",
                    "(DECISION, §4.1.2.1 has no keyword for the channel) the error is a redirect to the registered URI."
                )
            ],
            Both,
            [Ua],
            "response_type=token or none gets no token and no code: unsupported_response_type or unauthorized_client, invalid_request when missing",
            err_02
        ),
        check!(
            "authz-err-03",
            ["AUTHZ-ERR-03"],
            [
                (
                    Required,
                    "RFC 6749 §4.1.2.1",
                    "error REQUIRED. A single ASCII error code from the following: … invalid_scope The requested scope is invalid, unknown, or malformed."
                ),
                (
                    Decision,
                    "AUTHZ-ERR-03",
                    "(DECISION, §4.1.2.1 has no keyword for the channel) a redirect with `error=invalid_scope` and the state."
                )
            ],
            Both,
            [Ua],
            "an unknown or disallowed scope is refused with invalid_scope and the state, no code",
            err_03
        ),
        check!(
            "authz-err-04",
            ["AUTHZ-ERR-04"],
            [
                (
                    Required,
                    "RFC 6749 §4.1.2.1",
                    "error REQUIRED. A single ASCII error code from the following: … unauthorized_client The client is not authorized to request an authorization code using this method."
                ),
                (
                    Decision,
                    "AUTHZ-ERR-04",
                    "A client that has a registered redirect URL but is not allowed the authorization_code grant → redirect with `error=unauthorized_client`."
                )
            ],
            Both,
            [Ua, Admin],
            "a client without the authorization_code grant gets an unauthorized_client redirect",
            err_04
        ),
    ]
}

// ------------------------------------------------------------------------------------------
// Judging an error response, for the authorization-endpoint groups.

/// What an error response must look like.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expect<'a> {
    /// The client's registered redirect URI.
    pub(super) target: &'a str,
    /// Every error code whose condition fits the request.
    pub(super) accepted: &'a [&'a str],
    pub(super) state: StateBack<'a>,
    /// An implicit request's error may come in the fragment (RFC 6749 §4.2.2.1).
    pub(super) fragment_ok: bool,
}

/// Where a request that should be refused ended, once what can fail was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ended {
    /// A page of the server's own (deviation noted).
    Page,
    /// An error redirect that passed.
    Refused,
    /// A redirect to the client with a code or token and no error: the caller decides.
    Granted(String),
}

/// The response parameters of a redirect: its query, then its fragment where allowed.
fn response_param(location: &str, name: &str, fragment_ok: bool) -> Option<String> {
    let url = Url::parse(location).ok()?;
    let from_query = url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    from_query.or_else(|| {
        let fragment = url.fragment().filter(|_| fragment_ok)?;
        url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// Judges an error response. Fails a redirect elsewhere than the registered URI (§4.1.2.1,
/// §3.1.2.4), a missing or unfitting `error` (§4.1.2.1: error REQUIRED, a code from the list),
/// characters outside the permitted set (MUST NOT) and a state not sent back exactly
/// (REQUIRED); notes a page instead of a redirect, or a fragment, as a deviation; skips at a
/// login the user agent cannot drive.
pub(super) fn error_response(
    landing: &Landing,
    expect: Expect<'_>,
    case: &str,
    deviations: &Deviations,
) -> Result<Ended, Outcome> {
    if let Some(premise) = stopped_at_login(landing) {
        return Err(premise);
    }
    let codes = expect.accepted.join(" or ");
    let location = match landing {
        Landing::Page { status, url, .. } => {
            deviations.note(
                format!(
                    "{case}: an error redirect to {} with {codes}",
                    base_of(expect.target)
                ),
                format!("the server's own page ({status}) at {url}"),
            );
            return Ok(Ended::Page);
        }
        Landing::Redirect(location) => location,
    };
    let shown = redact_url(location);
    if base_of(location) != base_of(expect.target) {
        return Err(fail(
            format!("{case}: a redirect only to {}", base_of(expect.target)),
            &shown,
        ));
    }
    let param = |name: &str| response_param(location, name, expect.fragment_ok);
    let Some(error) = param("error") else {
        if param("code").is_some() || param("access_token").is_some() {
            return Ok(Ended::Granted(location.clone()));
        }
        return Err(fail(
            format!("{case}: an error redirect with {codes}"),
            format!("a redirect without error: {shown}"),
        ));
    };
    if !expect.accepted.contains(&error.as_str()) {
        return Err(fail(format!("{case}: error {codes}"), &shown));
    }
    for name in ["error", "error_description"] {
        if let Some(value) = param(name).filter(|v| !is_error_text(v)) {
            return Err(fail(
                format!("{case}: `{name}` in the permitted ASCII only"),
                format!("{value:?}"),
            ));
        }
    }
    if let StateBack::Exactly(want) = expect.state {
        let got = param("state");
        if got.as_deref() != want {
            return Err(fail(
                format!("{case}: state {want:?}"),
                format!("state {got:?}"),
            ));
        }
    }
    if param("code").is_some() || param("access_token").is_some() {
        return Err(fail(
            format!("{case}: no code or token with an error"),
            &shown,
        ));
    }
    if !expect.fragment_ok && location.contains('#') {
        deviations.note(
            format!("{case}: the error in the query, no fragment"),
            &shown,
        );
    }
    Ok(Ended::Refused)
}

/// [`error_response`] where a sentence requires the §4.1.2.1 error response itself (RFC 6749
/// §3.1.1 for a missing or not understood response_type, RFC 7636 §4.4.1 for an unsupported
/// PKCE method): a page of the server's own fails instead of deviating. `required_by` names
/// the sentence.
pub(super) fn required_error_response(
    landing: &Landing,
    expect: Expect<'_>,
    case: &str,
    required_by: &str,
    deviations: &Deviations,
) -> Result<Ended, Outcome> {
    if stopped_at_login(landing).is_none()
        && let Landing::Page { status, url, .. } = landing
    {
        return Err(fail(
            format!(
                "{case}: the error response of RFC 6749 §4.1.2.1, a redirect to {} with {} \
                 ({required_by})",
                base_of(expect.target),
                expect.accepted.join(" or ")
            ),
            format!("the server's own page ({status}) at {url}"),
        ));
    }
    error_response(landing, expect, case, deviations)
}

/// A user agent that has logged in (through one full flow of `client`), for checks whose
/// error redirects come only after login (AMB-31).
pub(super) async fn signed_in(ctx: &Ctx, client: &ClientCreds) -> Result<UserAgent, Outcome> {
    let ua = UserAgent::new(ctx);
    let query = CodeRequest::of(client)
        .scope(client.scope.as_deref())
        .query();
    code_for(&ua, &query).await?;
    Ok(ua)
}

/// Does the server's metadata list this response type? `None` without a list to tell.
fn lists_response_type(ctx: &Ctx, response_type: &str) -> Option<bool> {
    let types = ctx
        .endpoints()
        .metadata
        .get("response_types_supported")?
        .as_array()?
        .iter()
        .any(|t| t.as_str() == Some(response_type));
    Some(types)
}

// ------------------------------------------------------------------------------------------

async fn err_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let state = "deny me & keep = this";
    let query = CodeRequest::of(&client)
        .scope(client.scope.as_deref())
        .state(state)
        .query();

    let landing = UserAgent::new(&ctx)
        .authorize_deciding(&query, Decision::Deny)
        .await?;

    // The agent stops on a consent page it found no way to deny on.
    if let Landing::Page { url, body, .. } = &landing
        && let Ok(page) = Url::parse(url)
        && read_form(body, &page).is_some_and(|f| !f.is_login())
    {
        return Err(skip("the consent page offers no button to deny with"));
    }
    let deviations = Deviations::default();
    let expect = Expect {
        target: client.redirect(),
        accepted: &["access_denied"],
        state: StateBack::Exactly(Some(state)),
        fragment_ok: false,
    };
    if let Ended::Granted(location) = error_response(&landing, expect, "denied", &deviations)? {
        return Err(fail(
            "denied: error=access_denied, no code",
            redact_url(&location),
        ));
    }
    deviations.end()
}

async fn err_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = signed_in(&ctx, &client).await?;
    let tail = join(&[
        &form_pair("client_id", &client.id),
        &form_pair("redirect_uri", client.redirect()),
        &s256(),
        &scope_param(&client),
        "state=s",
    ]);

    let implicit = ua.authorize(&format!("response_type=token&{tail}")).await?;
    let missing = ua.authorize(&tail).await?;

    let deviations = Deviations::default();
    // A server that offers implicit to other clients may say unauthorized_client (§4.1.2.1).
    let implicit_expect = Expect {
        target: client.redirect(),
        accepted: &["unsupported_response_type", "unauthorized_client"],
        state: StateBack::Exactly(Some("s")),
        fragment_ok: true,
    };
    let case = "response_type=token";
    // Metadata that lists the response types without `token` says it is not understood: then
    // §3.1.1 requires the §4.1.2.1 error response, not a page.
    let token_listed = lists_response_type(&ctx, "token");
    let ended = if token_listed == Some(false) {
        required_error_response(
            &implicit,
            implicit_expect,
            case,
            "RFC 6749 §3.1.1, for a response type the metadata does not list",
            &deviations,
        )?
    } else {
        error_response(&implicit, implicit_expect, case, &deviations)?
    };
    if let Ended::Granted(location) = ended {
        // A server that lists `token`, or lists nothing, may understand it; whether this
        // client may use it is its registration's business, which SEC-BCP-04 weighs.
        let got = format!("a token or code: {}", redact_url(&location));
        if token_listed == Some(false) {
            return Err(fail(
                format!(
                    "{case}: an error response, for a response type the metadata does not list"
                ),
                got,
            ));
        }
        deviations.note(format!("{case}: refused (no implicit flow here)"), got);
    }
    // AMB-30: the reference says invalid_request; unsupported_response_type is accepted.
    let missing_expect = Expect {
        target: client.redirect(),
        accepted: &["invalid_request", "unsupported_response_type"],
        state: StateBack::Exactly(Some("s")),
        fragment_ok: false,
    };
    if let Ended::Granted(location) = required_error_response(
        &missing,
        missing_expect,
        "no response_type",
        "RFC 6749 §3.1.1, for a request without response_type",
        &deviations,
    )? {
        return Err(fail(
            "no response_type: an error response",
            format!("a code: {}", redact_url(&location)),
        ));
    }
    deviations.end()
}

async fn err_03(ctx: Ctx) -> CheckResult {
    // Each scope, and the codes that fit it: an unknown value is named under invalid_scope;
    // a value the client may not have is also the server denying the request.
    let mut cases: Vec<(String, &[&str])> = vec![(
        "conformance-no-such-scope".to_owned(),
        &["invalid_scope"][..],
    )];
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
        cases.push(("email".into(), &["invalid_scope", "access_denied"][..]));
        cases.push((
            "profile email".into(),
            &["invalid_scope", "access_denied"][..],
        ));
        (client, "profile".to_owned())
    } else {
        let (client, scopes) = scoped_client(&ctx).await?;
        cases.push((
            format!("{} conformance-no-such-scope", scopes[0]),
            &["invalid_scope"][..],
        ));
        (client, scopes[0].clone())
    };
    let ua = signed_in(&ctx, &client).await?;
    let deviations = Deviations::default();
    for (scope, accepted) in &cases {
        let query = CodeRequest::of(&client)
            .scope(Some(scope))
            .state("s")
            .query();
        let landing = ua.authorize(&query).await?;
        let case = format!("scope {scope:?}");
        let expect = Expect {
            target: client.redirect(),
            accepted,
            state: StateBack::Exactly(Some("s")),
            fragment_ok: false,
        };
        // RFC 6749 §3.3 lets a server ignore what it will not grant, reporting the scope it
        // did grant at the token endpoint: a code is the reference's refusal not taken.
        if let Ended::Granted(location) = error_response(&landing, expect, &case, &deviations)? {
            deviations.note(
                format!("{case}: refused with invalid_scope, no code"),
                format!("a code: {}", redact_url(&location)),
            );
        }
    }
    // An allowed scope still gets a code: the refusals were about the scope.
    let query = CodeRequest::of(&client).scope(Some(&allowed)).query();
    code_of(&ua.authorize(&query).await?)?;
    deviations.end()
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
    let query = CodeRequest::to(&client.id, Some(CLIENT_CB))
        .state("s")
        .query();

    let landing = UserAgent::new(&ctx).authorize(&query).await?;

    let deviations = Deviations::default();
    let expect = Expect {
        target: CLIENT_CB,
        accepted: &["unauthorized_client"],
        state: StateBack::Exactly(Some("s")),
        fragment_ok: false,
    };
    let case = "a client_credentials-only client";
    if let Ended::Granted(location) = error_response(&landing, expect, case, &deviations)? {
        deviations.note(
            format!("{case}: refused with unauthorized_client"),
            format!("a code: {}", redact_url(&location)),
        );
    }
    deviations.end()
}
