//! AUTHZ-REQ-04: parameters sent twice are refused (RFC 6749 §3.1, §4.1.2.1), an empty one is
//! absent, an unknown one is ignored.

use super::{no_repeated_param, some_scope};
use crate::check;
use crate::checks::authz_err::{Ended, Expect, error_response, required_error_response, signed_in};
use crate::checks::authz_redir::{base_of, not_redirected, stopped_at_login};
use crate::checks::support::{
    CodeRequest, StateBack, code_of, exchange, granted, join, redact_url, redeem, s256, scope_param,
};
use crate::ctx::{ClientCreds, Ctx, form_pair};
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, fail};
use crate::ua::{Landing, UserAgent, query_param};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-req-04a",
            ["AUTHZ-REQ-04"],
            [
                (
                    Required,
                    "RFC 6749 §4.1.2.1",
                    "error REQUIRED. A single ASCII error code from the following: invalid_request The request … includes a parameter more than once, or is otherwise malformed."
                ),
                (
                    MustNot,
                    "RFC 6749 §3.1",
                    "Request and response parameters MUST NOT be included more than once."
                ),
                (
                    Decision,
                    "AUTHZ-REQ-04",
                    "(a) `state` or `scope` sent twice → refused, no code (MUST); as an error redirect with invalid_request (DECISION)."
                )
            ],
            Both,
            [Ua],
            "state or scope sent twice is refused, with invalid_request where it is redirected; the response never repeats a parameter",
            req_04a
        ),
        check!(
            "authz-req-04b",
            ["AUTHZ-REQ-04"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "…or if the client identifier is missing or invalid, the authorization server … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    MustNot,
                    "RFC 6749 §3.1",
                    "Request and response parameters MUST NOT be included more than once."
                ),
                (
                    Decision,
                    "AUTHZ-REQ-04",
                    "(b) `client_id` or `redirect_uri` sent twice → error page, no redirect"
                )
            ],
            Both,
            [Ua],
            "client_id or redirect_uri sent twice is never redirected to a URI the client did not register",
            req_04b
        ),
        check!(
            "authz-req-04c",
            ["AUTHZ-REQ-04"],
            [
                (
                    Must,
                    "RFC 6749 §3.1",
                    "Parameters sent without a value MUST be treated as if they were omitted from the request."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.1",
                    "If an authorization request is missing the \"response_type\" parameter, … the authorization server MUST return an error response as described in Section 4.1.2.1."
                ),
                (
                    Required,
                    "RFC 6749 §4.1.2.1",
                    "state REQUIRED if a \"state\" parameter was present in the client authorization request."
                ),
                (Decision, "AUTHZ-REDIR-01", "→ 400 HTML error page")
            ],
            Both,
            [Ua],
            "a parameter with an empty value is treated as absent",
            req_04c
        ),
        check!(
            "authz-req-04d",
            ["AUTHZ-REQ-04"],
            [(
                Must,
                "RFC 6749 §3.1",
                "The authorization server MUST ignore unrecognized request parameters."
            )],
            Both,
            [Ua],
            "unknown authorization parameters are ignored",
            req_04d
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-REQ-04: repeated, empty and unknown parameters

/// A scope value that gets `client` a code on its own: its configured one, `profile` for a
/// client we created, else the first the metadata lists; none where that request gets no code
/// (a repeated scope refused with invalid_scope would then say nothing about the repetition).
async fn scope_granted_alone(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
) -> Result<Option<String>, Outcome> {
    let listed = || {
        ctx.endpoints()
            .metadata
            .get("scopes_supported")?
            .as_array()?
            .first()?
            .as_str()
            .map(str::to_owned)
    };
    let Some(scope) = some_scope(ctx, client).or_else(listed) else {
        return Ok(None);
    };
    let landing = ua
        .authorize(&CodeRequest::of(client).scope(Some(&scope)).query())
        .await?;
    if let Some(premise) = stopped_at_login(&landing) {
        return Err(premise);
    }
    Ok(landing.param("code").is_some().then_some(scope))
}

async fn req_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = signed_in(&ctx, &client).await?;
    let own_scope = scope_param(&client);
    let mut cases = vec![
        (
            "two different states",
            join(&[&own_scope, "state=a&state=b"]),
        ),
        (
            "the same state twice",
            join(&[&own_scope, "state=a&state=a"]),
        ),
    ];
    if let Some(scope) = scope_granted_alone(&ctx, &ua, &client).await? {
        let scope = form_pair("scope", &scope);
        cases.push(("scope twice", format!("state=a&{scope}&{scope}")));
    }
    let deviations = Deviations::default();
    for (case, extra) in cases {
        let landing = ua
            .authorize(&CodeRequest::of(&client).extra(&extra).query())
            .await?;
        no_repeated_param(&landing, client.redirect(), case)?;
        // A repeated state is ambiguous: whatever comes back is not checked.
        let expect = Expect {
            target: client.redirect(),
            accepted: &["invalid_request"],
            state: StateBack::Any,
            fragment_ok: false,
        };
        // §3.1's rule binds the client: a server that takes one of the values tolerates the
        // breach, and the client gets no more than a correct request would.
        if let Ended::Granted(location) = error_response(&landing, expect, case, &deviations)? {
            deviations.note(
                format!("{case}: refused with invalid_request"),
                format!("a code: {}", redact_url(&location)),
            );
        }
    }
    deviations.end()
}

async fn req_04b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let ua = signed_in(&ctx, &client).await?;
    let id = form_pair("client_id", &client.id);
    let redirect = form_pair("redirect_uri", client.redirect());
    let tail = join(&[&s256(), &scope_param(&client), "state=s"]);
    let cases = [
        (
            "client_id twice",
            format!("response_type=code&{id}&{id}&{redirect}&{tail}"),
        ),
        (
            "two client_ids",
            format!(
                "response_type=code&{id}&{}&{redirect}&{tail}",
                form_pair("client_id", &other.id)
            ),
        ),
        (
            "redirect_uri twice",
            format!("response_type=code&{id}&{redirect}&{redirect}&{tail}"),
        ),
        (
            "two redirect_uris",
            format!(
                "response_type=code&{id}&{redirect}&{}&{tail}",
                form_pair("redirect_uri", "https://attacker.example/cb")
            ),
        ),
    ];
    let deviations = Deviations::default();
    for (case, query) in &cases {
        let fresh = UserAgent::new(&ctx).authorize(query).await?;
        let known = ua.authorize(query).await?;
        for (landing, who) in [(&fresh, "fresh user agent"), (&known, "logged in")] {
            let case = format!("{case}, {who}");
            duplicate_ended(&ctx, landing, [&client, &other], &case, &deviations).await?;
        }
    }
    deviations.end()
}

/// A request naming the client or redirect URI twice ended: a page, or a redirect to a URI
/// registered for one of the named clients carrying that client's own code or an error (a
/// tolerated duplicate); a redirect anywhere else, or with a code its client cannot redeem,
/// fails.
async fn duplicate_ended(
    ctx: &Ctx,
    landing: &Landing,
    named: [&ClientCreds; 2],
    case: &str,
    deviations: &Deviations,
) -> CheckResult {
    let location = match landing {
        Landing::Redirect(location) => location,
        page => return not_redirected(page, None, case, deviations),
    };
    let shown = redact_url(location);
    let Some(owner) = named
        .into_iter()
        .find(|c| base_of(c.redirect()) == base_of(location))
    else {
        return Err(fail(
            format!("{case}: an error page, no redirect to a URI the client did not register"),
            format!("a redirect to {shown}"),
        ));
    };
    if let Some(code) = query_param(location, "code") {
        let reply = redeem(ctx, owner, &code, &exchange(owner.redirect())).await?;
        if reply.status != 200 {
            return Err(fail(
                format!("{case}: a code only for the client whose URI receives it"),
                format!(
                    "a code at {} that {} cannot redeem: {}",
                    base_of(location),
                    owner.id,
                    reply.summary()
                ),
            ));
        }
    }
    deviations.note(
        format!("{case}: an error page, no redirect"),
        format!("a redirect to {shown}"),
    );
    Ok(())
}

/// Both requests end alike: a code to the same redirect URI, an error redirect there, or a
/// page. Within a kind, a different error code or page status is a deviation: both refuse.
fn same_end(
    empty: &Landing,
    omitted: &Landing,
    case: &str,
    deviations: &Deviations,
) -> CheckResult {
    for landing in [empty, omitted] {
        if let Some(premise) = stopped_at_login(landing) {
            return Err(premise);
        }
    }
    let describe = |l: &Landing| match l {
        Landing::Redirect(location) => format!("a redirect to {}", redact_url(location)),
        Landing::Page { status, .. } => format!("a {status} page"),
    };
    let (alike, same_detail) = match (empty, omitted) {
        (Landing::Redirect(a), Landing::Redirect(b)) => (
            base_of(a) == base_of(b)
                && empty.param("code").is_some() == omitted.param("code").is_some(),
            empty.param("error") == omitted.param("error"),
        ),
        (Landing::Page { status: a, .. }, Landing::Page { status: b, .. }) => (true, a == b),
        _ => (false, false),
    };
    let expected = format!(
        "{case} to end like the parameter left out: {}",
        describe(omitted)
    );
    if !alike {
        return Err(fail(expected, describe(empty)));
    }
    if !same_detail {
        deviations.note(expected, describe(empty));
    }
    Ok(())
}

async fn req_04c(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = signed_in(&ctx, &client).await?;
    let id = form_pair("client_id", &client.id);
    let redirect = form_pair("redirect_uri", client.redirect());
    let own_scope = scope_param(&client);
    let deviations = Deviations::default();

    // `state=` is no state.
    let empty = ua
        .authorize(
            &CodeRequest::of(&client)
                .scope(client.scope.as_deref())
                .state("")
                .query(),
        )
        .await?;
    let omitted = ua
        .authorize(
            &CodeRequest::of(&client)
                .scope(client.scope.as_deref())
                .without_state()
                .query(),
        )
        .await?;
    same_end(&empty, &omitted, "`state=`", &deviations)?;
    if empty.param("state") != omitted.param("state") {
        return Err(fail(
            format!(
                "`state=` to come back as no state does: {:?}",
                omitted.param("state")
            ),
            format!("{:?}", empty.param("state")),
        ));
    }

    // `scope=` is no scope: the same grant, or the same refusal.
    let mut ends = Vec::new();
    for extra in ["scope=&state=s", "state=s"] {
        let landing = ua
            .authorize(&CodeRequest::of(&client).extra(extra).query())
            .await?;
        let granted = match landing.param("code") {
            Some(code) => {
                let reply = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;
                let body = granted(&reply, &format!("redeeming the code of `{extra}`"))?;
                Some(body.get("scope").cloned())
            }
            None => None,
        };
        ends.push((landing, granted));
    }
    let [(empty, empty_grant), (omitted, omitted_grant)] =
        <[_; 2]>::try_from(ends).map_err(|_| fail("two answers", "fewer"))?;
    same_end(&empty, &omitted, "`scope=`", &deviations)?;
    if empty_grant != omitted_grant {
        return Err(fail(
            format!("`scope=` to grant what no scope grants: {omitted_grant:?}"),
            format!("{empty_grant:?}"),
        ));
    }

    // `response_type=` is no response_type: the same refusal, with the state.
    let tail = join(&[&s256(), &own_scope, "state=s"]);
    let expect = Expect {
        target: client.redirect(),
        accepted: &["invalid_request", "unsupported_response_type"],
        state: StateBack::Exactly(Some("s")),
        fragment_ok: false,
    };
    let no_type = ua
        .authorize(&format!("response_type=&{id}&{redirect}&{tail}"))
        .await?;
    let missing = ua.authorize(&format!("{id}&{redirect}&{tail}")).await?;
    // §3.1.1 requires the §4.1.2.1 error response for both; a code for either is AUTHZ-ERR-02's
    // failure, here only the likeness counts.
    let required_by = "RFC 6749 §3.1.1, for a request without response_type";
    required_error_response(
        &no_type,
        expect,
        "`response_type=`",
        required_by,
        &deviations,
    )?;
    required_error_response(
        &missing,
        expect,
        "no response_type",
        required_by,
        &deviations,
    )?;
    same_end(&no_type, &missing, "`response_type=`", &deviations)?;

    // `client_id=` is no client: never redirected.
    let no_client = ua
        .authorize(&format!("response_type=code&client_id=&{redirect}&{tail}"))
        .await?;
    not_redirected(&no_client, None, "`client_id=`", &deviations)?;

    // `redirect_uri=` is no redirect_uri.
    let empty = ua
        .authorize(&format!("response_type=code&{id}&redirect_uri=&{tail}"))
        .await?;
    let omitted = ua
        .authorize(&format!("response_type=code&{id}&{tail}"))
        .await?;
    same_end(&empty, &omitted, "`redirect_uri=`", &deviations)?;
    deviations.end()
}

async fn req_04d(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let unknown = ["foo", "x-custom", "conformance_extra"];

    let landing = ua
        .authorize(
            &CodeRequest::of(&client)
                .scope(client.scope.as_deref())
                .extra("state=s&foo=bar&x-custom=%26&conformance_extra=1")
                .query(),
        )
        .await?;

    let code = code_of(&landing)?;
    let location = landing.location()?;
    if landing.param("state").as_deref() != Some("s") {
        return Err(fail("state s", redact_url(location)));
    }
    let reply = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;
    granted(&reply, "the code exchange")?;
    // Ignoring them means not acting on them; echoing them back is the reference's choice not
    // to.
    if let Some(name) = unknown
        .into_iter()
        .find(|name| query_param(location, name).is_some())
    {
        return Err(deviate(
            format!("`{name}` not echoed"),
            redact_url(location),
        ));
    }
    Ok(())
}
