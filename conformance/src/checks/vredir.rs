//! VREDIR: the vendor's redirect URL patterns (seed 000 › 3; AMB-01 to AMB-03).
//!
//! Registration is judged by the admin API's answer; matching at the authorization endpoint by
//! where a logged-in user agent lands: a redirect back to the client is an accepted URI, the
//! server's own page a rejected one. The helpers here serve SEC-BCP too.

use reqwest::Method;
use serde_json::json;
use url::Url;

use crate::check;
use crate::ctx::{Ctx, form_pair, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, ensure, fail};
use crate::oracle::redirect::{VREDIR_07_ATTACKS, VREDIR_07_REGISTRATION};
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-01",
            ["VREDIR-01"],
            Vendor,
            VendorOnly,
            [Ua],
            "the request's query is ignored when matching and kept intact in the redirect",
            vredir_01
        ),
        check!(
            "vredir-02",
            ["VREDIR-02"],
            Vendor,
            VendorOnly,
            [Ua],
            "ignoring the query does not extend to fragments: a redirect URI with one is refused",
            vredir_02
        ),
        check!(
            "vredir-03",
            ["VREDIR-03"],
            Vendor,
            VendorOnly,
            [Ua, Admin],
            "each of a client's URLs is accepted, and another client's URL is not",
            vredir_03
        ),
        check!(
            "vredir-04a",
            ["VREDIR-04"],
            Decision,
            VendorOnly,
            [Admin],
            "a registered redirect URL with a query or a fragment is refused with 400",
            vredir_04a
        ),
        check!(
            "vredir-04b",
            ["VREDIR-04"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "matching never looks at the query, whatever it holds",
            vredir_04b
        ),
        check!(
            "vredir-05a",
            ["VREDIR-05"],
            Decision,
            VendorOnly,
            [Admin],
            "a wildcard in the scheme or the port is refused at registration",
            vredir_05a
        ),
        check!(
            "vredir-05b",
            ["VREDIR-05"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "scheme and port are literal: http is not https, :443 is no port, :8443 is not",
            vredir_05b
        ),
        check!(
            "vredir-06a",
            ["VREDIR-06"],
            Decision,
            VendorOnly,
            [Admin],
            "a host wildcard must be the whole left-most label at registration",
            vredir_06a
        ),
        check!(
            "vredir-06b",
            ["VREDIR-06"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "a host wildcard stands for exactly one DNS label",
            vredir_06b
        ),
        check!(
            "vredir-07",
            ["VREDIR-07"],
            Must,
            VendorOnly,
            [Ua, Admin],
            "the RFC 9700 §4.1.1 attacks on https://*.m.example/* all end on the server's page",
            vredir_07
        ),
        check!(
            "vredir-08",
            ["VREDIR-08"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "a path wildcard stays within one path segment",
            vredir_08
        ),
        check!(
            "vredir-09",
            ["VREDIR-09"],
            Decision,
            VendorOnly,
            [Admin],
            "misplaced or overreaching wildcards are refused at registration with 400",
            vredir_09
        ),
        check!(
            "vredir-10a",
            ["VREDIR-10"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "scheme and host case, IDN hosts and escapes of unreserved characters are normalised",
            vredir_10a
        ),
        check!(
            "vredir-10b",
            ["VREDIR-10"],
            Decision,
            VendorOnly,
            [Ua, Admin],
            "path case counts, and user-info, dot-segments, encoded slashes, backslashes, \
             control characters and non-canonical hosts are refused",
            vredir_10b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared with SEC-BCP.

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

/// `uri` is accepted: the agent lands on `expected` (same scheme, host, port and path, the
/// same query in order) plus `code` and our `state`, with no fragment.
pub(super) async fn expect_accepted(
    ctx: &Ctx,
    ua: &UserAgent,
    client_id: &str,
    uri: &str,
    expected: &str,
) -> CheckResult {
    let landing = ua.authorize(&code_query(client_id, uri)).await?;
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

/// Same scheme, host, port and path, no fragment, and the query of `expected` followed only
/// by response parameters.
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
        && got_query == want_query
}

/// `uri` is rejected: the flow ends on the server's own page.
pub(super) async fn expect_rejected(
    ctx: &Ctx,
    ua: &UserAgent,
    client_id: &str,
    uri: &str,
) -> CheckResult {
    match ua.authorize(&code_query(client_id, uri)).await? {
        Landing::Page { .. } => Ok(()),
        Landing::Redirect(location) => Err(fail(
            format!("{uri} refused: the server's own error page"),
            format!("a redirect to {}", ctx.run.redactor.url(&location)),
        )),
    }
}

/// `POST /admin/clients` for a 1-Click client with these URLs. A client created although
/// the check expected a refusal is deleted again at once.
async fn register(ctx: &Ctx, urls: &[&str]) -> Result<Reply, Outcome> {
    let body = json!({"kind": "one_click", "redirect_urls": urls});
    let reply = ctx
        .send(ctx.admin(Method::POST, "/admin/clients")?.json(&body))
        .await?;
    if reply.status == 201 {
        delete_created(ctx, &reply).await?;
    }
    Ok(reply)
}

/// Deletes the client a 201 answer created.
async fn delete_created(ctx: &Ctx, created: &Reply) -> CheckResult {
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

/// Registering `url` (beside a valid URL) is refused: 400 `invalid_redirect_uri`.
pub(super) async fn expect_refused(ctx: &Ctx, url: &str) -> CheckResult {
    let reply = register(ctx, &["https://ok.example/cb", url]).await?;
    ensure(
        reply.status == 400 && reply.error_code().as_deref() == Some("invalid_redirect_uri"),
        format!("400 invalid_redirect_uri registering {url}"),
        reply.summary(),
    )
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
pub(super) async fn client_for(ctx: &Ctx, urls: &[&str]) -> Result<String, Outcome> {
    let client = ctx
        .client_with(
            json!({"kind": "one_click", "name": "Redirect patterns", "redirect_urls": urls}),
        )
        .await?;
    Ok(client.id)
}

// ---------------------------------------------------------------------------------------------

async fn vredir_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    for query in ["order=42&lang=sv", "order=42&lang=sv&note=a%20b%2Bc"] {
        let uri = format!("{registered}?{query}");
        expect_accepted(&ctx, &ua, &client.id, &uri, &uri).await?;
    }
    Ok(())
}

async fn vredir_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    expect_accepted(&ctx, &ua, &client.id, &registered, &registered).await?;
    for suffix in ["#x", "?order=1#x", "#", "?order=1#"] {
        expect_rejected(&ctx, &ua, &client.id, &format!("{registered}{suffix}")).await?;
    }
    Ok(())
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
    expect_rejected(&ctx, &ua, &client_a, "https://b-shop.example/cb").await?;
    expect_accepted(
        &ctx,
        &ua,
        &client_b,
        "https://b-shop.example/cb",
        "https://b-shop.example/cb",
    )
    .await
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
    for uri in VREDIR_07_ATTACKS {
        expect_rejected(&ctx, &ua, &client, uri).await?;
    }
    Ok(())
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
