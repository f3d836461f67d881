//! AUTHZ-REQ: the authorization request (RFC 6749 §3.1, §4.1.1, §4.1.2, §10.12; RFC 9700
//! §4.11.2). Error redirects are looked at with a logged-in user agent (AMB-31).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::code_flow::{
    Browser, Consent, Form, StateBack, Stop, approve_fields, code_of, code_query, error_page,
    error_redirect, exchange, join, logged_in, ok_body, outline, read_form, redact_url, redeem,
    s256, s256_query, scope_set, strict,
};
use crate::check;
use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, form_pair};
use crate::model::{Check, CheckResult, Outcome, ensure, fail};
use crate::ua::{Decision, Landing, UserAgent, query_param};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-req-01",
            ["AUTHZ-REQ-01"],
            Must,
            Both,
            [Ua],
            "after login and consent, a 302 or 303 takes code and state to the registered redirect URI",
            req_01
        ),
        check!(
            "authz-req-02",
            ["AUTHZ-REQ-02"],
            Must,
            Both,
            [Ua],
            "state comes back byte for byte on success and on error; without state, none comes back",
            req_02
        ),
        check!(
            "authz-req-03",
            ["AUTHZ-REQ-03"],
            Must,
            Both,
            [Ua],
            "a redirect URI's own query is kept and the response parameters are appended, no fragment",
            req_03
        ),
        check!(
            "authz-req-04a",
            ["AUTHZ-REQ-04"],
            Must,
            Both,
            [Ua],
            "state or scope sent twice gives an invalid_request error redirect",
            req_04a
        ),
        check!(
            "authz-req-04b",
            ["AUTHZ-REQ-04"],
            Must,
            Both,
            [Ua],
            "client_id or redirect_uri sent twice gives an error page, never a redirect",
            req_04b
        ),
        check!(
            "authz-req-04c",
            ["AUTHZ-REQ-04"],
            Must,
            Both,
            [Ua],
            "a parameter with an empty value is treated as absent",
            req_04c
        ),
        check!(
            "authz-req-04d",
            ["AUTHZ-REQ-04"],
            Must,
            Both,
            [Ua],
            "unknown authorization parameters are ignored",
            req_04d
        ),
        check!(
            "authz-req-05",
            ["AUTHZ-REQ-05"],
            Must,
            Both,
            [Ua],
            "the consent form is protected against CSRF: no anti-forgery value, or another session's, issues no code",
            req_05
        ),
        check!(
            "authz-req-06",
            ["AUTHZ-REQ-06"],
            Must,
            Both,
            [Ua],
            "a fresh user agent gets the login page before anything goes to the client, even for an invalid request",
            req_06
        ),
    ]
}

/// A scope the client may ask for: its configured one, `profile` for a client we created,
/// else none (the default applies).
fn some_scope(ctx: &Ctx, client: &ClientCreds) -> Option<String> {
    client
        .scope
        .clone()
        .or_else(|| ctx.has_admin().then(|| "profile".to_owned()))
}

/// `base` with a query appended (or extended).
fn with_query(base: &str, query: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

async fn req_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let scope = some_scope(&ctx, &client).map(|s| form_pair("scope", &s));
    let query = s256_query(&client, &join(&[&scope.unwrap_or_default(), "state=xyz"]));
    let browser = Browser::new(&ctx);

    // After login and consent: approve the page, or take the code of a server that consents
    // by itself.
    let stop = match browser.consent(&query).await? {
        Consent::Form(form) => browser.post(&form.action, &approve_fields(&form)).await?,
        Consent::Automatic(stop) => stop,
    };

    let Some(location) = stop.leaving else {
        return Err(fail(
            "a redirect to the client after approval",
            outline(&stop.reply),
        ));
    };
    ensure(
        matches!(stop.reply.status, 302 | 303),
        "302 or 303",
        stop.reply.status,
    )?;
    let shown = redact_url(&location);
    ensure(
        location.starts_with(&format!("{}?", client.redirect())),
        format!("a Location on {}", client.redirect()),
        &shown,
    )?;
    ensure(
        query_param(&location, "code").is_some_and(|c| !c.is_empty()),
        "a code",
        &shown,
    )?;
    ensure(
        query_param(&location, "state").as_deref() == Some("xyz"),
        "state xyz",
        &shown,
    )
}

/// Awkward `state` values: every character class the row names, then seeded mixtures.
fn awkward_states(seed: u64, generated: usize) -> Vec<String> {
    let mut states: Vec<String> = [
        "with spaces in it",
        "a&b",
        "1+1",
        "k=v",
        "100%",
        "%41%zz",
        "#fragment",
        "ünïcödé",
        "日本語 ☃ 🦀",
        " leading and trailing ",
        "&state=forged",
        "x y&z+w=v%25#ä",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let alphabet: Vec<char> = " &+=%#äé€😀aZ09-._~?/;:,!'()*@$".chars().collect();
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..generated {
        states.push(
            (0..12)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect(),
        );
    }
    states
}

async fn req_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = logged_in(&ctx, &client).await?;
    for state in awkward_states(ctx.run.seed, ctx.run.cases_or(4)) {
        let query = s256_query(&client, &form_pair("state", &state));

        let success = ua.authorize(&query).await?;
        let denied = ua.authorize_deciding(&query, Decision::Deny).await?;

        let case = format!("state {state:?}");
        code_of(&success)?;
        let back = success.param("state");
        ensure(
            back.as_deref() == Some(state.as_str()),
            format!("{case} on success"),
            format!("{back:?}"),
        )?;
        error_redirect(
            &denied,
            client.redirect(),
            &["access_denied"],
            StateBack::Exactly(Some(&state)),
            &format!("{case} on denial"),
        )?;
    }
    let query = s256_query(&client, "");
    let success = ua.authorize(&query).await?;
    code_of(&success)?;
    ensure(
        success.param("state").is_none(),
        "no state when none was sent",
        redact_url(success.location()?),
    )?;
    let denied = ua.authorize_deciding(&query, Decision::Deny).await?;
    error_redirect(
        &denied,
        client.redirect(),
        &["access_denied"],
        StateBack::Exactly(None),
        "denial without state",
    )?;
    Ok(())
}

/// A client to send redirect URIs with a query to, and those URIs. The vendor profile
/// ignores the query when matching; the strict one needs each registered as is.
async fn query_client(ctx: &Ctx) -> Result<(ClientCreds, Vec<String>), Outcome> {
    let queries = ["x=1", "x=1&y=a%20b&z=", "flag"];
    if strict(ctx) {
        let uris: Vec<String> = queries.iter().map(|q| with_query(CLIENT_CB, q)).collect();
        let client = ctx
            .client_with(json!({"kind": "one_click", "name": "Query shop", "redirect_urls": uris}))
            .await?;
        return Ok((client, uris));
    }
    let client = ctx.code_client().await?;
    let uris = queries
        .iter()
        .map(|q| with_query(client.redirect(), q))
        .collect();
    Ok((client, uris))
}

async fn req_03(ctx: Ctx) -> CheckResult {
    let (client, uris) = query_client(&ctx).await?;
    let ua = UserAgent::new(&ctx);
    for uri in &uris {
        let query = code_query(&client.id, Some(uri), &format!("{}&state=s", s256()));

        let success = ua.authorize(&query).await?;
        let denied = ua.authorize_deciding(&query, Decision::Deny).await?;

        for (case, landing, name) in [("success", &success, "code"), ("denial", &denied, "error")] {
            let location = landing.location()?;
            let shown = redact_url(location);
            ensure(
                location.starts_with(&format!("{uri}&")),
                format!("{case}: {uri} kept, then `&` and the response parameters"),
                &shown,
            )?;
            ensure(
                !location.contains('#'),
                format!("{case}: no fragment"),
                &shown,
            )?;
            ensure(
                query_param(location, name).is_some()
                    && query_param(location, "state").as_deref() == Some("s"),
                format!("{case}: {name} and state"),
                &shown,
            )?;
        }
    }
    Ok(())
}

async fn req_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = logged_in(&ctx, &client).await?;
    let scope = some_scope(&ctx, &client).unwrap_or_else(|| "profile".into());
    let scope_twice = format!("{0}&{0}", form_pair("scope", &scope));
    for (case, extra) in [
        ("two different states", "state=a&state=b".to_owned()),
        ("the same state twice", "state=a&state=a".to_owned()),
        ("scope twice", format!("state=a&{scope_twice}")),
    ] {
        let landing = ua.authorize(&s256_query(&client, &extra)).await?;
        // A repeated state is ambiguous: whatever comes back is not checked.
        error_redirect(
            &landing,
            client.redirect(),
            &["invalid_request"],
            StateBack::Any,
            case,
        )?;
    }
    Ok(())
}

async fn req_04b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let ua = logged_in(&ctx, &client).await?;
    let id = form_pair("client_id", &client.id);
    let redirect = form_pair("redirect_uri", client.redirect());
    let tail = format!("{}&state=s", s256());
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
    for (case, query) in &cases {
        let fresh = UserAgent::new(&ctx).authorize(query).await?;
        error_page(&fresh, &format!("{case}, fresh user agent"))?;
        let known = ua.authorize(query).await?;
        error_page(&known, &format!("{case}, logged in"))?;
    }
    Ok(())
}

/// Both requests end alike: a code to the same redirect URI, or both on an error page.
fn same_end(empty: &Landing, omitted: &Landing) -> CheckResult {
    let base = |l: &Landing| match l {
        Landing::Redirect(location) => Some(location.split('?').next().unwrap_or("").to_owned()),
        Landing::Page { .. } => None,
    };
    let describe = |l: &Landing| match l {
        Landing::Redirect(location) => format!("a redirect to {}", redact_url(location)),
        Landing::Page { status, .. } => format!("a {status} page"),
    };
    let alike = match (empty, omitted) {
        (Landing::Redirect(_), Landing::Redirect(_)) => {
            base(empty) == base(omitted)
                && empty.param("code").is_some() == omitted.param("code").is_some()
        }
        (Landing::Page { status: a, .. }, Landing::Page { status: b, .. }) => a == b,
        _ => false,
    };
    ensure(
        alike,
        format!(
            "`redirect_uri=` to end like no redirect_uri: {}",
            describe(omitted)
        ),
        describe(empty),
    )
}

async fn req_04c(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = logged_in(&ctx, &client).await?;
    let id = form_pair("client_id", &client.id);
    let redirect = form_pair("redirect_uri", client.redirect());

    let no_state = ua.authorize(&s256_query(&client, "state=")).await?;
    code_of(&no_state)?;
    ensure(
        no_state.param("state").is_none(),
        "`state=`: no state back",
        redact_url(no_state.location()?),
    )?;

    // `scope=` grants what no scope grants.
    let mut scopes = Vec::new();
    for extra in ["scope=&state=s", "state=s"] {
        let code = code_of(&ua.authorize(&s256_query(&client, extra)).await?)?;
        let reply = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;
        let body = ok_body(&reply, &format!("redeeming the code of `{extra}`"))?;
        scopes.push(body.get("scope").map(|_| scope_set(&body)).transpose()?);
    }
    ensure(
        scopes[0] == scopes[1],
        format!("`scope=` to grant the default scope {:?}", scopes[1]),
        format!("{:?}", scopes[0]),
    )?;

    let no_type = ua
        .authorize(&format!(
            "response_type=&{id}&{redirect}&{}&state=s",
            s256()
        ))
        .await?;
    error_redirect(
        &no_type,
        client.redirect(),
        &["invalid_request", "unsupported_response_type"],
        StateBack::Exactly(Some("s")),
        "`response_type=`",
    )?;

    let no_client = ua
        .authorize(&format!(
            "response_type=code&client_id=&{redirect}&{}&state=s",
            s256()
        ))
        .await?;
    error_page(&no_client, "`client_id=`")?;

    let tail = format!("{}&state=s", s256());
    let empty = ua
        .authorize(&format!("response_type=code&{id}&redirect_uri=&{tail}"))
        .await?;
    let omitted = ua
        .authorize(&format!("response_type=code&{id}&{tail}"))
        .await?;
    same_end(&empty, &omitted)
}

async fn req_04d(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let unknown = ["foo", "x-custom", "conformance_extra"];

    let landing = ua
        .authorize(&s256_query(
            &client,
            "state=s&foo=bar&x-custom=%26&conformance_extra=1",
        ))
        .await?;

    let code = code_of(&landing)?;
    let location = landing.location()?;
    ensure(
        landing.param("state").as_deref() == Some("s"),
        "state s",
        redact_url(location),
    )?;
    for name in unknown {
        ensure(
            query_param(location, name).is_none(),
            format!("`{name}` not echoed"),
            redact_url(location),
        )?;
    }
    let reply = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;
    ok_body(&reply, "the code exchange").map(|_| ())
}

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

/// A forged consent post must be refused with 400 or 403 and leave nothing for the client.
fn refused(stop: &Stop, case: &str) -> CheckResult {
    if let Some(leaving) = &stop.leaving {
        return Err(fail(
            format!("{case}: 400 or 403, no redirect"),
            format!("a redirect to {}", redact_url(leaving)),
        ));
    }
    ensure(
        matches!(stop.reply.status, 400 | 403),
        format!("{case}: 400 or 403"),
        stop.reply.status,
    )
}

async fn req_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let query = s256_query(&client, "state=s");
    let mine = Browser::new(&ctx);
    let theirs = Browser::new(&ctx);

    // The classic forgery: a form from the attacker's own session, posted by the victim's
    // browser.
    let their_form = theirs.consent_form(&query).await?;
    mine.consent_form(&query).await?;
    let stop = mine
        .post(&their_form.action, &approve_fields(&their_form))
        .await?;
    refused(&stop, "another session's form")?;

    let form = mine.consent_form(&query).await?;
    if form.hidden().iter().any(|(name, _)| is_csrf_name(name)) {
        let their_form = theirs.consent_form(&query).await?;
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
            let form = mine.consent_form(&query).await?;
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
            refused(&stop, case)?;
        }
    }

    // The genuine form still gives a code: the refusals were about the forgery.
    let form = mine.consent_form(&query).await?;
    let stop = mine.post(&form.action, &approve_fields(&form)).await?;
    let location = stop.leaving.ok_or_else(|| {
        fail(
            "the genuine consent post to redirect with a code",
            outline(&stop.reply),
        )
    })?;
    ensure(
        query_param(&location, "code").is_some(),
        "the genuine consent post to redirect with a code",
        redact_url(&location),
    )
}

async fn req_06(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let cases = [
        (
            "an unknown scope",
            s256_query(&client, "scope=conformance-no-such-scope&state=s"),
        ),
        (
            "response_type=token",
            s256_query(&client, "state=s").replacen("response_type=code", "response_type=token", 1),
        ),
        (
            "no response_type",
            s256_query(&client, "state=s").replacen("response_type=code&", "", 1),
        ),
        ("state twice", s256_query(&client, "state=s&state=t")),
        (
            "a malformed code_challenge",
            code_query(
                &client.id,
                Some(client.redirect()),
                "state=s&code_challenge=short",
            ),
        ),
    ];
    for (case, query) in &cases {
        let browser = Browser::new(&ctx);
        let url = browser.authorize_url(query)?;

        let first = browser.get(&url).await?;

        if let Some(leaving) = &first.leaving {
            return Err(fail(
                format!("{case}: the login page first"),
                format!("a redirect to {} before login", redact_url(leaving)),
            ));
        }
        let form = read_form(&first.reply.body, &first.url)
            .filter(Form::is_login)
            .ok_or_else(|| {
                fail(
                    format!("{case}: the login page first"),
                    outline(&first.reply),
                )
            })?;
        let after = browser.log_in(&form).await?;
        let Some(leaving) = after.leaving else {
            return Err(fail(
                format!("{case}: an error redirect after login"),
                outline(&after.reply),
            ));
        };
        error_redirect(
            &Landing::Redirect(leaving),
            client.redirect(),
            // Which error comes back is AUTHZ-ERR's business; this row is about login first.
            &[
                "invalid_request",
                "invalid_scope",
                "unsupported_response_type",
                "access_denied",
            ],
            StateBack::Any,
            case,
        )?;
    }
    Ok(())
}
