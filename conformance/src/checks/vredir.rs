//! VREDIR: the vendor's redirect URL patterns (seed 000 › 3; AMB-01 to AMB-03).
//!
//! Registration is judged by the admin API's answer; matching at the authorization endpoint by
//! where a logged-in user agent lands: a redirect back to the client is an accepted URI, the
//! server's own page a rejected one. The helpers here serve SEC-BCP and the redirect
//! properties too.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::Method;
use serde_json::json;
use url::Url;

use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, Profile, deviate, ensure, fail};
use crate::oracle::redirect::{VREDIR_07_ATTACKS, VREDIR_07_REGISTRATION};
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-01",
            ["VREDIR-01"],
            [
                (
                    Vendor,
                    "seed 000 › 3 Redirect URLs",
                    "PaymentIQ only matches on URL, not query string so the merchant can add their own information with query string."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.2",
                    "The endpoint URI MAY include an \"application/x-www-form-urlencoded\" formatted … query component …, which MUST be retained when adding additional query parameters."
                )
            ],
            VendorOnly,
            [Ua],
            "the request's query is ignored when matching and kept intact in the redirect",
            vredir_01
        ),
        check!(
            "vredir-02",
            ["VREDIR-02"],
            [
                (
                    MustNot,
                    "RFC 6749 §3.1.2",
                    "The endpoint URI MUST NOT include a fragment component."
                ),
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                )
            ],
            VendorOnly,
            [Ua],
            "ignoring the query does not extend to fragments: a redirect URI with one is refused",
            vredir_02
        ),
        check!(
            "vredir-03",
            ["VREDIR-03"],
            [(
                Vendor,
                "seed 000 › 3 Redirect URLs",
                "This is used by PaymentIQ to control that the provided url is an official one. … Multiple redirect_uri can be added"
            )],
            VendorOnly,
            [Ua, Admin],
            "each of a client's URLs is accepted, and another client's URL is not",
            vredir_03
        ),
        check!(
            "vredir-04a",
            ["VREDIR-04"],
            [(
                Decision,
                "AMB-02",
                "A registered entry may not contain a query; otherwise an administrator could think it is enforced."
            )],
            VendorOnly,
            [Admin],
            "a registered redirect URL with a query or a fragment is refused with 400",
            vredir_04a
        ),
        check!(
            "vredir-04b",
            ["VREDIR-04"],
            [(
                Decision,
                "AMB-02",
                "The request's query is ignored for matching but kept in the redirect."
            )],
            VendorOnly,
            [Ua, Admin],
            "matching never looks at the query, whatever it holds",
            vredir_04b
        ),
        check!(
            "vredir-05a",
            ["VREDIR-05"],
            [(
                Decision,
                "AMB-01",
                "`*` is refused in the scheme, user-info, port, query and fragment, with an IP-literal host, and as the whole pattern."
            )],
            VendorOnly,
            [Admin],
            "a wildcard in the scheme or the port is refused at registration",
            vredir_05a
        ),
        check!(
            "vredir-05b",
            ["VREDIR-05"],
            [(
                Decision,
                "AMB-03",
                "Lower-case the scheme and host; convert IDN hosts to punycode; drop default ports; …"
            )],
            VendorOnly,
            [Ua, Admin],
            "scheme and port are literal: http is not https, :443 is no port, :8443 is not",
            vredir_05b
        ),
        check!(
            "vredir-06a",
            ["VREDIR-06"],
            [(
                Decision,
                "AMB-01",
                "In the host, as the whole left-most label, where it stands for exactly one DNS label"
            )],
            VendorOnly,
            [Admin],
            "a host wildcard must be the whole left-most label at registration",
            vredir_06a
        ),
        check!(
            "vredir-06b",
            ["VREDIR-06"],
            [(
                Decision,
                "AMB-01",
                "where it stands for exactly one DNS label: 1–63 characters of `a-z 0-9 -`, not beginning or ending with `-`."
            )],
            VendorOnly,
            [Ua, Admin],
            "a host wildcard stands for exactly one DNS label",
            vredir_06b
        ),
        check!(
            "vredir-07",
            ["VREDIR-07"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Vendor,
                    "seed 000 › 3 Redirect URLs",
                    "Multiple redirect_uri can be added, you can also use * as wildcard."
                ),
                (
                    Decision,
                    "AMB-01",
                    "In the host, as the whole left-most label, where it stands for exactly one DNS label"
                )
            ],
            VendorOnly,
            [Ua, Admin],
            "the RFC 9700 §4.1.1 attacks on https://*.m.example/* all end on the server's page",
            vredir_07
        ),
        check!(
            "vredir-08",
            ["VREDIR-08"],
            [(
                Decision,
                "AMB-01",
                "Inside a path segment, where it stands for any run of characters other than `/`, possibly empty."
            )],
            VendorOnly,
            [Ua, Admin],
            "a path wildcard stays within one path segment",
            vredir_08
        ),
        check!(
            "vredir-09",
            ["VREDIR-09"],
            [(
                Decision,
                "AMB-01",
                "The registration must keep at least two literal labels after it. … A host may hold only one wildcard"
            )],
            VendorOnly,
            [Admin],
            "misplaced or overreaching wildcards are refused at registration with 400",
            vredir_09
        ),
        check!(
            "vredir-10a",
            ["VREDIR-10"],
            [(
                Decision,
                "AMB-03",
                "Lower-case the scheme and host; convert IDN hosts to punycode; drop default ports; decode percent-escapes of unreserved characters; upper-case the remaining hex escapes."
            )],
            VendorOnly,
            [Ua, Admin],
            "scheme and host case, IDN hosts and escapes of unreserved characters are normalised",
            vredir_10a
        ),
        check!(
            "vredir-10b",
            ["VREDIR-10"],
            [(
                Decision,
                "AMB-03",
                "Keep the path case-sensitive. Refuse requests that carry user-info, dot-segments …, an encoded `/` or `\\`, a raw `\\`, control characters, or a host that is not in canonical form."
            )],
            VendorOnly,
            [Ua, Admin],
            "path case counts, and user-info, dot-segments, encoded slashes, backslashes, \
             control characters and non-canonical hosts are refused",
            vredir_10b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared with SEC-BCP and the redirect properties.

/// The first deviation (a warning) a check meets, kept while it goes on judging what can fail
/// and reported at its end, so that a DECISION detail never hides a broken MUST. Clones share
/// it (a property's cases).
#[derive(Debug, Clone, Default)]
pub(super) struct Deviations(Arc<Mutex<Option<Outcome>>>);

impl Deviations {
    pub(super) fn note(&self, expected: impl fmt::Display, actual: impl fmt::Display) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| deviate(expected, actual));
    }

    /// Keeps a warning for later; a pass, a failure or a skip passes through.
    pub(super) fn keep(&self, result: CheckResult) -> CheckResult {
        match result {
            Err(warning @ Outcome::Warn { .. }) => {
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_or_insert(warning);
                Ok(())
            }
            other => other,
        }
    }

    /// The first deviation kept, or a pass.
    pub(super) fn end(&self) -> CheckResult {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .map_or(Ok(()), Err)
    }
}

/// RFC 7636 Appendix B: the strict profile refuses code requests without S256 PKCE.
use super::code_flow::CHALLENGE;
pub(super) const STATE: &str = "vr-st";

/// A code request for `client_id` to `redirect_uri`, with state and S256 PKCE.
pub(super) fn code_query(client_id: &str, redirect_uri: &str) -> String {
    [
        form_pair("response_type", "code"),
        form_pair("client_id", client_id),
        form_pair("redirect_uri", redirect_uri),
        form_pair("state", STATE),
        form_pair("code_challenge", CHALLENGE),
        form_pair("code_challenge_method", "S256"),
    ]
    .join("&")
}

/// A page that is a login the agent cannot drive: the request was never judged, so nothing
/// can be concluded from it (a skip naming why).
pub(super) fn unjudged(landing: &Landing) -> CheckResult {
    match landing {
        Landing::Page {
            unscriptable_login: Some(_),
            ..
        } => landing.location().map(|_| ()),
        _ => Ok(()),
    }
}

/// [`code_query`] for `client`, with the scope the target file gives it (a server may
/// require one).
pub(super) fn client_query(client: &ClientCreds, redirect_uri: &str) -> String {
    let mut query = code_query(&client.id, redirect_uri);
    if let Some(scope) = &client.scope {
        query.push('&');
        query.push_str(&form_pair("scope", scope));
    }
    query
}

/// `uri` is accepted: the agent lands on `expected` (same scheme, host, port and path, the
/// same query in order) plus `code` and our `state`, with no fragment.
pub(super) async fn expect_accepted(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    uri: &str,
    expected: &str,
) -> CheckResult {
    let landing = ua.authorize(&client_query(client, uri)).await?;
    unjudged(&landing)?;
    let location = match &landing {
        Landing::Redirect(location) => location.clone(),
        Landing::Page { status, .. } => {
            return Err(fail(
                format!("{uri} accepted: a redirect to {expected} with a code"),
                format!("the server's own page ({status})"),
            ));
        }
    };
    let wanted = format!("a redirect to {expected} plus code and state for {uri}");
    let shown = format!("a redirect to {}", ctx.run.redactor.url(&location));
    ensure(
        landing.param("code").is_some() && landing.param("state").as_deref() == Some(STATE),
        &wanted,
        &shown,
    )?;
    ensure(same_target(&location, expected), &wanted, &shown)
}

/// Same scheme, host, port and path, no fragment, and the query of `expected` kept in order,
/// followed only by what the server adds (the response parameters, and any extension ones).
fn same_target(location: &str, expected: &str) -> bool {
    let (Ok(got), Ok(want)) = (Url::parse(location), Url::parse(expected)) else {
        return false;
    };
    let response = ["code", "state", "iss"];
    let got_query: Vec<_> = got
        .query_pairs()
        .filter(|(k, _)| !response.contains(&k.as_ref()))
        .collect();
    let want_query: Vec<_> = want.query_pairs().collect();
    got.scheme() == want.scheme()
        && got.host_str() == want.host_str()
        && got.port_or_known_default() == want.port_or_known_default()
        && got.path() == want.path()
        && got.username().is_empty()
        && got.password().is_none()
        && got.fragment().is_none()
        && got_query.starts_with(&want_query)
}

/// `uri` is refused: the flow ends on the server's own page. A redirect that carries a code,
/// or that goes to `uri` itself, fails (RFC 6749 §4.1.2.1); an error redirect elsewhere (to
/// the client's registered URI) only deviates from the error page the catalog wants.
pub(super) async fn expect_rejected(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    uri: &str,
) -> CheckResult {
    let landing = ua.authorize(&client_query(client, uri)).await?;
    unjudged(&landing)?;
    let Landing::Redirect(location) = &landing else {
        return Ok(());
    };
    let expected = format!("{uri} refused: the server's own error page");
    let shown = format!("a redirect to {}", ctx.run.redactor.url(location));
    if landing.param("code").is_some() || same_endpoint(location, uri) {
        return Err(fail(expected, shown));
    }
    Err(deviate(expected, format!("an error {shown}")))
}

/// Does the redirect go to `uri` itself, as a browser reads both: the same scheme,
/// user-info, host, port and path, `uri`'s query first in the location's, and its fragment
/// kept? A location with what made `uri` invalid stripped (a registered URI) does not.
fn same_endpoint(location: &str, uri: &str) -> bool {
    let (Ok(a), Ok(b)) = (Url::parse(location), Url::parse(uri)) else {
        return true;
    };
    let query_kept = b.query().is_none() || {
        let got: Vec<_> = a.query_pairs().collect();
        let sent: Vec<_> = b.query_pairs().collect();
        got.starts_with(&sent)
    };
    a.scheme() == b.scheme()
        && a.username() == b.username()
        && a.password() == b.password()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && query_kept
        && (b.fragment().is_none() || a.fragment() == b.fragment())
}

/// A registration's scheme, host (lower-case, `*.` kept), port and path, read without a URL
/// parser because it may hold `*`.
fn registration_parts(registration: &str) -> Option<(String, String, Option<u16>, String)> {
    let (scheme, rest) = registration.split_once("://")?;
    let (authority, path) = rest
        .find('/')
        .map_or((rest, "/"), |at| (&rest[..at], &rest[at..]));
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()),
        _ => (authority, None),
    };
    let scheme = scheme.to_ascii_lowercase();
    let port = port.or(match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    });
    Some((scheme, host.to_ascii_lowercase(), port, path.to_owned()))
}

/// Does `registration` cover the origin of `url`: the same scheme, host (a `*.` label stands
/// for any labels under the rest) and port, any port for a loopback host?
fn same_origin_as(registration: &str, url: &Url) -> bool {
    let Some((scheme, host, port, _)) = registration_parts(registration) else {
        return false;
    };
    let Some(got) = url
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    else {
        return false;
    };
    let host_ok = match host.strip_prefix('*') {
        Some(suffix) => got.len() > suffix.len() && got.ends_with(suffix),
        None => got == host,
    };
    let loopback = ["127.0.0.1", "[::1]", "localhost"].contains(&host.as_str());
    url.scheme() == scheme && host_ok && (loopback || url.port_or_known_default() == port)
}

/// How bad a redirect to `location` is that no registration admits: one into another origin,
/// with a fragment, or (vendor profile) to another path of a registration without `*` fails
/// (RFC 6749 §4.1.2.1, §3.1.2; seed 000 matches on URL; strict: RFC 9700 §2.1); one that
/// stays on a registered origin and differs only where the catalog's reading of `*` and of
/// normalisation decides deviates (AMB-01 to AMB-03).
pub(super) fn stray_redirect(
    profile: Profile,
    registrations: &[String],
    location: &str,
    expected: &str,
    shown: &str,
) -> Outcome {
    let Ok(url) = Url::parse(location) else {
        return fail(expected, shown);
    };
    let near: Vec<&String> = registrations
        .iter()
        .filter(|r| same_origin_as(r, &url))
        .collect();
    if url.fragment().is_some() || near.is_empty() || profile == Profile::Strict {
        return fail(expected, shown);
    }
    let literal_elsewhere = near.iter().all(|r| {
        registration_parts(r)
            .is_some_and(|(_, _, _, path)| !path.contains('*') && path != url.path())
    });
    if literal_elsewhere {
        return fail(expected, shown);
    }
    deviate(expected, format!("{shown}, on a registered origin"))
}

/// `POST /admin/clients` for a 1-Click client with these URLs, as the server answers it. A
/// client it creates is the caller's to delete ([`delete_created`]).
pub(super) async fn registration(ctx: &Ctx, urls: &[&str]) -> Result<Reply, Outcome> {
    let body = json!({"kind": "one_click", "redirect_urls": urls});
    ctx.send(ctx.admin(Method::POST, "/admin/clients")?.json(&body))
        .await
}

/// [`registration`], with a client created although the check expected a refusal deleted
/// again at once.
async fn register(ctx: &Ctx, urls: &[&str]) -> Result<Reply, Outcome> {
    let reply = registration(ctx, urls).await?;
    if reply.status == 201 {
        delete_created(ctx, &reply).await?;
    }
    Ok(reply)
}

/// Deletes the client a 201 answer created.
pub(super) async fn delete_created(ctx: &Ctx, created: &Reply) -> CheckResult {
    if let Some(id) = created.json().ok().and_then(|v| {
        v.get("client_id")
            .and_then(|i| i.as_str())
            .map(str::to_owned)
    }) {
        let path = format!("/admin/clients/{}", url_path_segment(&id));
        ctx.send(ctx.admin(Method::DELETE, &path)?).await?;
    }
    Ok(())
}

/// Registering `url` (beside a valid URL) is refused. Accepting it fails; refusing it other
/// than with 400 `invalid_redirect_uri` (the admin API's own code) deviates.
pub(super) async fn expect_refused(ctx: &Ctx, url: &str) -> CheckResult {
    let reply = register(ctx, &["https://ok.example/cb", url]).await?;
    let expected = format!("400 invalid_redirect_uri registering {url}");
    if (200..300).contains(&reply.status) {
        return Err(fail(expected, reply.summary()));
    }
    if reply.status != 400 || reply.error_code().as_deref() != Some("invalid_redirect_uri") {
        return Err(deviate(expected, reply.summary()));
    }
    Ok(())
}

/// Registering `url` is accepted (201), so that refusals are not a server refusing everything.
pub(super) async fn expect_registered(ctx: &Ctx, url: &str) -> CheckResult {
    let reply = register(ctx, &[url]).await?;
    ensure(
        reply.status == 201,
        format!("201 registering {url}"),
        reply.summary(),
    )
}

/// A 1-Click client with exactly these redirect URLs.
pub(super) async fn client_for(ctx: &Ctx, urls: &[&str]) -> Result<ClientCreds, Outcome> {
    ctx.client_with(
        json!({"kind": "one_click", "name": "Redirect patterns", "redirect_urls": urls}),
    )
    .await
}

// ---------------------------------------------------------------------------------------------

async fn vredir_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    for query in ["order=42&lang=sv", "order=42&lang=sv&note=a%20b%2Bc"] {
        let uri = format!("{registered}?{query}");
        expect_accepted(&ctx, &ua, &client, &uri, &uri).await?;
    }
    Ok(())
}

async fn vredir_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    expect_accepted(&ctx, &ua, &client, &registered, &registered).await?;
    let deviations = Deviations::default();
    for suffix in ["#x", "?order=1#x", "#", "?order=1#"] {
        let uri = format!("{registered}{suffix}");
        deviations.keep(expect_rejected(&ctx, &ua, &client, &uri).await)?;
    }
    deviations.end()
}

async fn vredir_03(ctx: Ctx) -> CheckResult {
    let mine = [
        "https://m.example/cb",
        "https://m.example/other",
        "https://checkout.example/return",
    ];
    let client_a = client_for(&ctx, &mine).await?;
    let client_b = client_for(&ctx, &["https://b-shop.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in mine {
        expect_accepted(&ctx, &ua, &client_a, uri, uri).await?;
    }
    let deviations = Deviations::default();
    deviations.keep(expect_rejected(&ctx, &ua, &client_a, "https://b-shop.example/cb").await)?;
    expect_accepted(
        &ctx,
        &ua,
        &client_b,
        "https://b-shop.example/cb",
        "https://b-shop.example/cb",
    )
    .await?;
    deviations.end()
}

async fn vredir_04a(ctx: Ctx) -> CheckResult {
    for url in [
        "https://m.example/cb?order=42",
        "https://m.example/cb?",
        "https://m.example/cb?order=*",
        "https://m.example/cb#x",
        "https://m.example/cb#",
        "https://m.example/cb?a=1#x",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://m.example/cb").await
}

async fn vredir_04b(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in [
        "https://m.example/cb?x=1",
        "https://m.example/cb?x=2&x=3",
        "https://m.example/cb?redirect=https%3A%2F%2Felsewhere.example%2F",
        "https://m.example/cb?cb=..%2F..%2Fother",
    ] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    Ok(())
}

async fn vredir_05a(ctx: Ctx) -> CheckResult {
    for url in [
        "*://m.example/cb",
        "http*://m.example/cb",
        "https://m.example:*/cb",
        "https://m.example:44*/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://m.example:8443/cb").await
}

async fn vredir_05b(ctx: Ctx) -> CheckResult {
    let plain = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ported = client_for(&ctx, &["https://p.example:8443/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    expect_accepted(
        &ctx,
        &ua,
        &plain,
        "https://m.example:443/cb",
        "https://m.example/cb",
    )
    .await?;
    expect_accepted(
        &ctx,
        &ua,
        &ported,
        "https://p.example:8443/cb",
        "https://p.example:8443/cb",
    )
    .await?;
    for uri in [
        "http://m.example/cb",
        "https://m.example:8443/cb",
        "http://m.example:443/cb",
    ] {
        expect_rejected(&ctx, &ua, &plain, uri).await?;
    }
    for uri in ["https://p.example/cb", "https://p.example:443/cb"] {
        expect_rejected(&ctx, &ua, &ported, uri).await?;
    }
    Ok(())
}

async fn vredir_06a(ctx: Ctx) -> CheckResult {
    for url in [
        "https://a*.m.example/cb",
        "https://*a.m.example/cb",
        "https://m.*.example/cb",
        "https://m.example.*/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://*.m.example/cb").await
}

async fn vredir_06b(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://*.m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://shop.m.example/cb", "https://x-1.m.example/cb"] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    for uri in [
        "https://m.example/cb",
        "https://a.b.m.example/cb",
        "https://-x.m.example/cb",
        "https://x-.m.example/cb",
        "https://.m.example/cb",
        "https://shopm.example/cb",
        "https://shop.m.example/cb2",
    ] {
        expect_rejected(&ctx, &ua, &client, uri).await?;
    }
    Ok(())
}

async fn vredir_07(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &[VREDIR_07_REGISTRATION]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://x.m.example/", "https://x.m.example/cb"] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    // Every attack that leaves *.m.example sends the response to another site and fails;
    // one that stays (a trailing dot) is refused only by AMB-01's reading of `*`.
    let registrations = [VREDIR_07_REGISTRATION.to_owned()];
    let deviations = Deviations::default();
    for uri in VREDIR_07_ATTACKS {
        let landing = ua.authorize(&client_query(&client, uri)).await?;
        unjudged(&landing)?;
        if let Landing::Redirect(location) = &landing {
            let expected = format!("{uri} refused: the server's own error page");
            let shown = format!("a redirect to {}", ctx.run.redactor.url(location));
            let stray =
                stray_redirect(Profile::Vendor, &registrations, location, &expected, &shown);
            deviations.keep(Err(stray))?;
        }
    }
    deviations.end()
}

async fn vredir_08(ctx: Ctx) -> CheckResult {
    let trailing = client_for(&ctx, &["https://m.example/cb/*"]).await?;
    let middle = client_for(&ctx, &["https://m.example/*/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://m.example/cb/", "https://m.example/cb/a"] {
        expect_accepted(&ctx, &ua, &trailing, uri, uri).await?;
    }
    for uri in [
        "https://m.example/cb",
        "https://m.example/cbx",
        "https://m.example/cb/a/b",
    ] {
        expect_rejected(&ctx, &ua, &trailing, uri).await?;
    }
    expect_accepted(
        &ctx,
        &ua,
        &middle,
        "https://m.example/x/cb",
        "https://m.example/x/cb",
    )
    .await?;
    for uri in [
        "https://m.example/x/y/cb",
        "https://m.example/cb",
        "https://m.example/x/cbx",
    ] {
        expect_rejected(&ctx, &ua, &middle, uri).await?;
    }
    Ok(())
}

async fn vredir_09(ctx: Ctx) -> CheckResult {
    for url in [
        "*",
        "https://*/cb",
        "https://*",
        "https://*.com/cb",
        "https://*.example/cb",
        "https://*.*.m.example/cb",
        "https://*.m.*.example/cb",
        "https://*.0.0.1/cb",
        "https://*.192.0.2.1/cb",
        "https://127.0.0.*/cb",
        "https://[*::1]/cb",
        "https://*@m.example/cb",
        "https://user*:pw@m.example/cb",
        "https://user:*@m.example/cb",
        "https://m.example:*/cb",
        "https://*.m.example:8*/cb",
        "*://m.example/cb",
        "http*://m.example/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    for url in [
        "https://*.m.example/cb",
        "https://m.example/cb/*",
        "https://m.example/*/cb",
        "https://*.m.example/*/x*",
    ] {
        expect_registered(&ctx, url).await?;
    }
    Ok(())
}

async fn vredir_10a(ctx: Ctx) -> CheckResult {
    let client = client_for(
        &ctx,
        &[
            "https://m.example/cb",
            "https://bücher.example/cb",
            "https://m.example/a%3ab",
        ],
    )
    .await?;
    let ua = UserAgent::new(&ctx);
    for (uri, canonical) in [
        ("https://M.EXAMPLE/cb", "https://m.example/cb"),
        ("HTTPS://m.example/cb", "https://m.example/cb"),
        ("https://m.example/%63b", "https://m.example/cb"),
        ("https://m.example/%63%62", "https://m.example/cb"),
        (
            "https://bücher.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://BÜCHER.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://xn--bcher-kva.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        ("https://m.example/a%3Ab", "https://m.example/a%3Ab"),
        ("https://m.example/a%3ab", "https://m.example/a%3Ab"),
    ] {
        expect_accepted(&ctx, &ua, &client, uri, canonical).await?;
    }
    Ok(())
}

async fn vredir_10b(ctx: Ctx) -> CheckResult {
    let exact = client_for(&ctx, &["https://m.example/cb", "http://127.0.0.1/cb"]).await?;
    let pattern = client_for(&ctx, &["https://*.p.example/*"]).await?;
    let ua = UserAgent::new(&ctx);
    // Positive controls: the refusals below are not a server refusing everything.
    expect_accepted(
        &ctx,
        &ua,
        &exact,
        "https://m.example/cb",
        "https://m.example/cb",
    )
    .await?;
    expect_accepted(
        &ctx,
        &ua,
        &pattern,
        "https://x.p.example/ok",
        "https://x.p.example/ok",
    )
    .await?;
    for uri in [
        "https://m.example/CB",
        "https://m.example/%43B",
        "https://u@m.example/cb",
        "https://u:p@m.example/cb",
        "https://@m.example/cb",
        "https://m.example/cb/../cb",
        "https://m.example/x/../cb",
        "https://m.example/./cb",
        "https://m.example/%2e%2e/cb",
        "https://m.example/%2E/cb",
        "https://m.example/cb%2F",
        "https://m.example%2Fcb",
        "https://m.example/cb%5C",
        "https://m.example\\cb",
        "https://m.example/cb\\",
        "https://m.example/cb\t",
        "https://m.example/c\nb",
        "https://m.example/cb\u{7f}",
        "http://2130706433/cb",
        "http://0x7f.1/cb",
        "http://0x7f.0.0.1/cb",
        "http://127.1/cb",
        "http://0177.0.0.1/cb",
        "https://m.example./cb",
    ] {
        expect_rejected(&ctx, &ua, &exact, uri).await?;
    }
    for uri in [
        "https://u@x.p.example/ok",
        "https://x.p.example/..",
        "https://x.p.example/%2e%2e",
        "https://x.p.example/a%2Fb",
        "https://x.p.example/a%5Cb",
        "https://x.p.example/a\\b",
        "https://x.p.example/a\u{1}b",
    ] {
        expect_rejected(&ctx, &ua, &pattern, uri).await?;
    }
    Ok(())
}
