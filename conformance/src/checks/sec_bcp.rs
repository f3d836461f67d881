//! SEC-BCP: the parts of the Security BCP (RFC 9700) and of transport security that a client
//! can observe: redirect registration and matching, headers on the server's pages, no CORS,
//! 303 after the login POST, https endpoints, and wallet subjects.

use std::net::IpAddr;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use reqwest::Method;
use scraper::{Html, Selector};
use serde_json::{Value, json};
use url::Url;

use super::vredir::{
    client_for, code_query, expect_accepted, expect_refused, expect_registered, expect_rejected,
};
use crate::check;
use crate::ctx::{Ctx, form_pair, member, url_path_segment};
use crate::http::{Exchange, RecordedResponse};
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail, skip};
use crate::ua::{Landing, UserAgent};

/// Hostile redirect URIs tried per run, drawn from the generated set with the run's seed.
const HOSTILE_SAMPLE: usize = 120;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "sec-bcp-01a",
            ["SEC-BCP-01"],
            Must,
            StrictOnly,
            [Admin],
            "the strict profile refuses every redirect pattern with `*` at registration",
            bcp_01a
        ),
        check!(
            "sec-bcp-01b",
            ["SEC-BCP-01"],
            Must,
            StrictOnly,
            [Ua],
            "the strict profile matches redirect URIs by exact string: an added query is refused",
            bcp_01b
        ),
        check!(
            "sec-bcp-02a",
            ["SEC-BCP-02"],
            Must,
            Both,
            [Ua, Admin],
            "a loopback redirect URI (127.0.0.1, [::1], localhost) accepts any port",
            bcp_02a
        ),
        check!(
            "sec-bcp-02b",
            ["SEC-BCP-02"],
            Must,
            Both,
            [Ua, Admin],
            "only the port of a loopback redirect URI may vary, and no other host gets the exception",
            bcp_02b
        ),
        check!(
            "sec-bcp-03",
            ["SEC-BCP-03"],
            Must,
            Both,
            [Admin],
            "an http redirect URI for a non-loopback host is refused at registration and on edit",
            bcp_03
        ),
        check!(
            "sec-bcp-04a",
            ["SEC-BCP-04"],
            Should,
            Both,
            [Ua],
            "no implicit flow: response_type=token gives unsupported_response_type, never a token, \
             and is not advertised",
            bcp_04a
        ),
        check!(
            "sec-bcp-04b",
            ["SEC-BCP-04"],
            Must,
            Both,
            [],
            "no password grant: it gives unsupported_grant_type, never a token, and is not advertised",
            bcp_04b
        ),
        check!(
            "sec-bcp-05",
            ["SEC-BCP-05"],
            Must,
            Both,
            [Ua],
            "not an open redirector: over hostile redirect URIs, every redirect to a client goes to \
             a registered URI",
            bcp_05
        ),
        check!(
            "sec-bcp-06a",
            ["SEC-BCP-06"],
            Must,
            Both,
            [Ua],
            "login, consent and error pages refuse framing: X-Frame-Options DENY and CSP \
             frame-ancestors 'none'",
            bcp_06a
        ),
        check!(
            "sec-bcp-06b",
            ["SEC-BCP-06"],
            Should,
            Both,
            [Ua],
            "login, consent and error pages send Referrer-Policy no-referrer and load nothing \
             from another origin",
            bcp_06b
        ),
        check!(
            "sec-bcp-07",
            ["SEC-BCP-07"],
            Must,
            Both,
            [],
            "no CORS at the authorization endpoint, for a foreign Origin or a preflight",
            bcp_07
        ),
        check!(
            "sec-bcp-08",
            ["SEC-BCP-08"],
            Must,
            Both,
            [Ua],
            "the redirect answering the login POST is never 307 (the reference uses 303)",
            bcp_08
        ),
        check!(
            "sec-bcp-09",
            ["SEC-BCP-09"],
            Must,
            Both,
            [],
            "metadata advertises https endpoints, plain http only on loopback hosts",
            bcp_09
        ),
        check!(
            "sec-bcp-10",
            ["SEC-BCP-10"],
            Should,
            VendorOnly,
            [Admin],
            "a wallet named after a user gets the full wallet id as subject and no username",
            bcp_10
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-01: exact matching in the strict profile

async fn bcp_01a(ctx: Ctx) -> CheckResult {
    for url in [
        "https://*.m.example/cb",
        "https://m.example/cb/*",
        "https://m.example/*",
        "https://m.example/c*b",
        "*",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://m.example/cb").await
}

async fn bcp_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    expect_accepted(&ctx, &ua, &client.id, &registered, &registered).await?;
    // The request VREDIR-01 accepts in the vendor profile, and other near misses.
    for suffix in ["?order=42&lang=sv", "?", "/"] {
        expect_rejected(&ctx, &ua, &client.id, &format!("{registered}{suffix}")).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-02: the loopback port exception

/// A port for the loopback redirect that is not the target's own, so the agent sees it leave.
fn foreign_port(ctx: &Ctx) -> u16 {
    let own = Url::parse(&ctx.run.target.issuer)
        .ok()
        .and_then(|u| u.port_or_known_default());
    if own == Some(51234) { 51235 } else { 51234 }
}

const LOOPBACKS: [&str; 3] = [
    "http://127.0.0.1/cb",
    "http://[::1]/cb",
    "http://localhost/cb",
];

async fn bcp_02a(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &LOOPBACKS).await?;
    let ua = UserAgent::new(&ctx);
    let port = foreign_port(&ctx);
    for uri in [
        format!("http://127.0.0.1:{port}/cb"),
        "http://127.0.0.1:1/cb".to_owned(),
        "http://127.0.0.1/cb".to_owned(),
        format!("http://[::1]:{port}/cb"),
        format!("http://localhost:{port}/cb"),
    ] {
        expect_accepted(&ctx, &ua, &client, &uri, &uri).await?;
    }
    Ok(())
}

async fn bcp_02b(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &LOOPBACKS).await?;
    let tls = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    let port = foreign_port(&ctx);
    let good = format!("http://127.0.0.1:{port}/cb");
    expect_accepted(&ctx, &ua, &client, &good, &good).await?;
    for uri in [
        format!("http://127.0.0.1:{port}/other"),
        format!("http://127.0.0.1:{port}/cb/"),
        format!("https://127.0.0.1:{port}/cb"),
        format!("http://127.0.0.2:{port}/cb"),
        format!("http://localhost.m.example:{port}/cb"),
        format!("http://u@127.0.0.1:{port}/cb"),
        format!("http://127.0.0.1:{port}/cb#x"),
        "http://127.0.0.1:99999/cb".to_owned(),
        "http://127.0.0.1:x/cb".to_owned(),
    ] {
        expect_rejected(&ctx, &ua, &client, &uri).await?;
    }
    expect_rejected(&ctx, &ua, &tls, &format!("https://m.example:{port}/cb")).await
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-03: no cleartext redirect URIs outside loopback

async fn bcp_03(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://m.example/cb"]).await?;
    let path = format!("/admin/clients/{}", url_path_segment(&client));
    for url in [
        "http://m.example/cb",
        "HTTP://m.example/cb",
        "http://localhost.m.example/cb",
        "http://127.0.0.1.nip.io/cb",
        "http://192.0.2.1/cb",
        "http://[2001:db8::1]/cb",
    ] {
        expect_refused(&ctx, url).await?;
        let edit = ctx
            .send(
                ctx.admin(Method::PATCH, &path)?
                    .json(&json!({ "redirect_urls": [url] })),
            )
            .await?;
        ensure(
            edit.status == 400,
            format!("400 on an edit to {url}"),
            edit.summary(),
        )?;
    }
    let view = ctx.send(ctx.admin(Method::GET, &path)?).await?.json()?;
    ensure(
        view.get("redirect_urls") == Some(&json!(["https://m.example/cb"])),
        "the refused edits left redirect_urls as registered",
        view.get("redirect_urls").cloned().unwrap_or(Value::Null),
    )?;
    expect_registered(&ctx, "http://127.0.0.1/cb").await
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-04: no implicit, no password grant

/// The metadata array `name`, as strings.
fn advertised(ctx: &Ctx, name: &str) -> Vec<String> {
    ctx.endpoints()
        .metadata
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn bcp_04a(ctx: Ctx) -> CheckResult {
    let response_types = advertised(&ctx, "response_types_supported");
    ensure(
        !response_types
            .iter()
            .any(|t| t.split(' ').any(|p| p == "token")),
        "response_types_supported without token",
        format!("{response_types:?}"),
    )?;
    let grants = advertised(&ctx, "grant_types_supported");
    ensure(
        !grants.iter().any(|g| g == "implicit"),
        "grant_types_supported without implicit",
        format!("{grants:?}"),
    )?;
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let query = code_query(&client.id, client.redirect()).replace(
        &form_pair("response_type", "code"),
        &form_pair("response_type", "token"),
    );
    let landing = ua.authorize(&query).await?;
    let Landing::Redirect(location) = &landing else {
        return Err(fail(
            "an error redirect with unsupported_response_type",
            "the server's own page",
        ));
    };
    let shown = ctx.run.redactor.url(location);
    ensure(
        !location.contains("access_token") && !location.contains('#'),
        "no token and no fragment in the redirect",
        &shown,
    )?;
    ensure(
        landing.param("error").as_deref() == Some("unsupported_response_type"),
        "error=unsupported_response_type",
        &shown,
    )
}

async fn bcp_04b(ctx: Ctx) -> CheckResult {
    let grants = advertised(&ctx, "grant_types_supported");
    ensure(
        !grants.iter().any(|g| g == "password"),
        "grant_types_supported without password",
        format!("{grants:?}"),
    )?;
    // The real test user, so that a server with the grant would answer with a token.
    let login = ctx.run.target.login.as_ref();
    let username = login
        .and_then(|l| l.username.clone())
        .unwrap_or_else(|| "test-user".to_owned());
    let password = login
        .and_then(|l| l.password.as_ref())
        .map_or_else(|| "test-password".to_owned(), |p| p.expose().to_owned());
    let client = ctx.code_client().await?;
    let body = [
        form_pair("grant_type", "password"),
        form_pair("username", &username),
        form_pair("password", &password),
    ]
    .join("&");
    let reply = ctx.token(&client, &body).await?;
    let token = reply
        .json()
        .ok()
        .is_some_and(|v| v.get("access_token").is_some());
    ensure(
        reply.status == 400
            && !token
            && reply.error_code().as_deref() == Some("unsupported_grant_type"),
        "400 unsupported_grant_type, no token",
        reply.summary(),
    )
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-05: not an open redirector

/// Does a `Location` point at the registration (any port for a loopback one)? The query may
/// vary; it carries the response.
fn admitted(location: &str, registered: &Url) -> bool {
    let Ok(url) = Url::parse(location) else {
        return false;
    };
    url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && url.scheme() == registered.scheme()
        && url.host_str() == registered.host_str()
        && (loopback_host(registered)
            || url.port_or_known_default() == registered.port_or_known_default())
        && url.path() == registered.path()
}

/// Hostile redirect URIs around the registration `host` (with `path`): fixed attack shapes
/// plus a seeded sample of hostile scheme × authority × path combinations.
fn hostile_uris(host: &str, path: &str, other: &str, seed: u64, sample: usize) -> Vec<String> {
    let fixed = [
        "https://attacker.example/cb".to_owned(),
        "//attacker.example/cb".to_owned(),
        "/\\attacker.example/cb".to_owned(),
        "https:attacker.example/cb".to_owned(),
        "https:/attacker.example/cb".to_owned(),
        format!("javascript:alert(1)//https://{host}{path}"),
        "data:text/html,<script>alert(1)</script>".to_owned(),
        format!("https://{host}{path}?x=%0d%0aLocation:%20https://attacker.example/"),
        format!("https://{host}{path}\r\nLocation: https://attacker.example/"),
        format!("https://{host}{path}#@attacker.example/"),
        format!("https://{host}{path}?#@attacker.example/"),
        format!("https://{host}@attacker.example{path}"),
        format!("https://{host}:443@attacker.example{path}"),
        format!("https://{host}.attacker.example{path}"),
        format!("https://{host}%00.attacker.example{path}"),
        format!("https://{host}%2F@attacker.example{path}"),
        format!("https://attacker.example#{host}{path}"),
        format!("https://attacker.example?{host}{path}"),
        format!("https://{host}\u{3002}attacker.example{path}"),
        "http://[::ffff:7f00:1]/cb".to_owned(),
        "http://0.0.0.0/cb".to_owned(),
        "https://ⓐttacker.example/cb".to_owned(),
        other.to_owned(),
    ];
    let upper = host.to_ascii_uppercase();
    let schemes = ["https://", "http://", "HTTPS://", "https:\\\\", "https:///"];
    let authorities = [
        host.to_owned(),
        upper,
        format!("{host}."),
        format!("{host}:8443"),
        format!("{host}:443"),
        "attacker.example".to_owned(),
        format!("{host}.attacker.example"),
        format!("attacker.example\\{host}"),
        format!("attacker.example%2f{host}"),
        format!("x.{host}"),
        "2130706433".to_owned(),
        format!("user@{host}"),
        format!("{host}@attacker.example"),
    ];
    let paths = [
        path.to_owned(),
        format!("{path}/"),
        format!("{path}/y"),
        format!("{path}/../{}", path.trim_start_matches('/')),
        format!("{path}/%2e%2e/x"),
        format!("{path}%2F..%2F..%2Fattacker"),
        "//attacker.example/cb".to_owned(),
        format!("{path}?next=https://attacker.example/"),
        format!("{path}#x"),
        String::new(),
    ];
    let mut combos = Vec::new();
    for scheme in schemes {
        for authority in &authorities {
            for p in &paths {
                combos.push(format!("{scheme}{authority}{p}"));
            }
        }
    }
    combos.shuffle(&mut StdRng::seed_from_u64(seed));
    combos.truncate(sample);
    fixed.into_iter().chain(combos).collect()
}

async fn bcp_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    // Another client's registration is never a way out either.
    let other = ctx.code_client2().await?;
    let registered_text = client.redirect().to_owned();
    let registered = Url::parse(&registered_text)
        .map_err(|e| fail("a registered redirect URI that parses", e))?;
    let host = registered.host_str().unwrap_or_default().to_owned();
    let ua = UserAgent::new(&ctx);

    // The positive control: the registration itself reaches a code, so the property is not
    // vacuous.
    let control = ua
        .authorize(&code_query(&client.id, &registered_text))
        .await?;
    ensure(
        control.param("code").is_some(),
        format!("a code for the registered {registered_text}"),
        ctx.run.redactor.url(control.location()?),
    )?;
    let sample = ctx.run.cases_or(HOSTILE_SAMPLE);
    for uri in hostile_uris(
        &host,
        registered.path(),
        other.redirect(),
        ctx.run.seed,
        sample,
    ) {
        if let Landing::Redirect(location) = ua.authorize(&code_query(&client.id, &uri)).await? {
            ensure(
                admitted(&location, &registered),
                format!("for {uri:?}: the server's own page or a redirect to {registered_text}"),
                format!("a redirect to {}", ctx.run.redactor.url(&location)),
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-06: the server's pages

/// The HTML pages among the check's exchanges so far (the transcript keeps them all).
fn html_pages(ctx: &Ctx) -> Vec<(String, RecordedResponse)> {
    let exchanges: Vec<Exchange> = ctx.transcript.take();
    let pages = exchanges
        .iter()
        .filter_map(|e| {
            let response = e.response.as_ref()?;
            // A redirect's little body is not a page anyone sees.
            if (300..400).contains(&response.status) {
                return None;
            }
            let html = header_of(response, "content-type")?
                .to_ascii_lowercase()
                .starts_with("text/html");
            html.then(|| {
                (
                    format!("{} {}", e.request.method, e.request.url),
                    response.clone(),
                )
            })
        })
        .collect();
    for exchange in exchanges {
        ctx.transcript.push(exchange);
    }
    pages
}

fn header_of<'a>(response: &'a RecordedResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Walks login and consent, then asks for two error pages; returns every HTML page served.
async fn visit_pages(ctx: &Ctx) -> Result<Vec<(String, RecordedResponse)>, Outcome> {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(ctx);
    let landing = ua
        .authorize(&code_query(&client.id, client.redirect()))
        .await?;
    landing.location()?;
    ua.authorize_once(&code_query("no-such-client-c4", client.redirect()))
        .await?;
    ua.authorize_once(&code_query(&client.id, "https://attacker.example/cb"))
        .await?;
    let pages = html_pages(ctx);
    // Login (or consent) and the two error pages at the least.
    if pages.len() < 3 {
        return Err(fail(
            "HTML pages for login, consent and errors",
            format!("{} HTML pages", pages.len()),
        ));
    }
    Ok(pages)
}

async fn bcp_06a(ctx: Ctx) -> CheckResult {
    let mut partial = None;
    for (page, response) in visit_pages(&ctx).await? {
        let frame = header_of(&response, "x-frame-options").unwrap_or("");
        let csp = header_of(&response, "content-security-policy").unwrap_or("");
        let ancestors = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("frame-ancestors"));
        let csp_none = ancestors.is_some_and(|d| d.split_whitespace().skip(1).eq(["'none'"]));
        let csp_self = ancestors.is_some_and(|d| d.split_whitespace().skip(1).eq(["'self'"]));
        let xfo_deny = frame.eq_ignore_ascii_case("deny");
        let xfo_same = frame.eq_ignore_ascii_case("sameorigin");
        let got = format!("X-Frame-Options {frame:?}, Content-Security-Policy {csp:?}");
        // RFC 9700 §4.16 wants framing prevented; the catalog fixes how.
        if !(csp_none || csp_self || xfo_deny || xfo_same) {
            return Err(fail(format!("{page}: a page that cannot be framed"), got));
        }
        if !(csp_none && xfo_deny) && partial.is_none() {
            partial = Some((page, got));
        }
    }
    match partial {
        Some((page, got)) => Err(deviate(
            format!("{page}: X-Frame-Options DENY and frame-ancestors 'none'"),
            got,
        )),
        None => Ok(()),
    }
}

async fn bcp_06b(ctx: Ctx) -> CheckResult {
    let origin = Url::parse(&ctx.run.target.issuer)
        .map(|u| u.origin())
        .map_err(|e| fail("an issuer URL", e))?;
    let Ok(resources) = Selector::parse("[src], [href], [action], [srcset], [poster], [data]")
    else {
        return Err(skip("no HTML selector"));
    };
    for (page, response) in visit_pages(&ctx).await? {
        let referrer = header_of(&response, "referrer-policy").unwrap_or("");
        ensure(
            referrer
                .split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("no-referrer")),
            format!("{page}: Referrer-Policy no-referrer"),
            format!("{referrer:?}"),
        )?;
        let base = page
            .split_once(' ')
            .and_then(|(_, url)| Url::parse(url).ok())
            .ok_or_else(|| fail("a page URL", &page))?;
        let document = Html::parse_document(&response.body);
        for element in document.select(&resources) {
            for name in ["src", "href", "action", "srcset", "poster", "data"] {
                let Some(value) = element.value().attr(name) else {
                    continue;
                };
                // srcset holds a list of "url width" candidates.
                let urls: Vec<&str> = if name == "srcset" {
                    value
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .collect()
                } else {
                    vec![value]
                };
                for url in urls {
                    let same = base.join(url).is_ok_and(|u| u.origin() == origin);
                    ensure(
                        same,
                        format!("{page}: resources from the server itself"),
                        format!("{name}=\"{url}\""),
                    )?;
                }
            }
        }
        ensure(
            !response.body.contains("@import"),
            format!("{page}: no @import"),
            "an @import",
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-07: no CORS

async fn bcp_07(ctx: Ctx) -> CheckResult {
    let endpoint = ctx.endpoint("authorization")?;
    let client = ctx.code_client().await?;
    let evil = "https://evil.example";
    let requests = [
        (
            "GET with a valid request",
            ctx.http()
                .get(format!(
                    "{endpoint}?{}",
                    code_query(&client.id, client.redirect())
                ))
                .header("origin", evil),
        ),
        (
            "GET with an unknown client",
            ctx.http()
                .get(format!(
                    "{endpoint}?{}",
                    code_query("no-such-client-c4", client.redirect())
                ))
                .header("origin", evil),
        ),
        (
            "OPTIONS preflight",
            ctx.http()
                .request(Method::OPTIONS, &endpoint)
                .header("origin", evil)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type"),
        ),
    ];
    for (what, request) in requests {
        let reply = ctx.send(request).await?;
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
        ] {
            ensure(
                reply.header(name).is_none(),
                format!("{what}: no {name}"),
                format!("{name}: {}", reply.header(name).unwrap_or_default()),
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-08: no 307 after the login POST

async fn bcp_08(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    ua.authorize(&code_query(&client.id, client.redirect()))
        .await?
        .location()?;
    let exchanges = ctx.transcript.take();
    // The POST that answers the first page with a password field carries the credentials.
    let form = exchanges.iter().position(|e| {
        e.response.as_ref().is_some_and(|r| {
            let body = r.body.to_ascii_lowercase();
            body.contains("type=\"password\"") || body.contains("type=password")
        })
    });
    let login = form.and_then(|at| {
        exchanges[at..]
            .iter()
            .find(|e| e.request.method == "POST")
            .and_then(|e| {
                e.response
                    .as_ref()
                    .map(|r| (e.request.url.clone(), r.status))
            })
    });
    for exchange in exchanges {
        ctx.transcript.push(exchange);
    }
    let Some((url, status)) = login else {
        return Err(skip("the target logged the user in without a login form"));
    };
    ensure(
        status != 307,
        format!("POST {url}: a redirect other than 307"),
        status,
    )?;
    if (300..400).contains(&status) && status != 303 {
        return Err(deviate(format!("POST {url}: 303"), status));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-09: TLS outside loopback

fn loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

async fn bcp_09(ctx: Ctx) -> CheckResult {
    let metadata = &ctx.endpoints().metadata;
    let Some(fields) = metadata.as_object() else {
        return Err(fail("a metadata object", metadata));
    };
    let issuer = member(metadata, "issuer")?;
    let issuer_url = Url::parse(&issuer).map_err(|e| fail("an issuer URL", e))?;
    let mut checked = 0;
    for (name, value) in fields {
        let Some(text) = value.as_str() else {
            continue;
        };
        if !(name == "issuer" || name.ends_with("_endpoint") || name.ends_with("_uri")) {
            continue;
        }
        let url = Url::parse(text).map_err(|e| fail(format!("{name} as a URL"), e))?;
        checked += 1;
        ensure(
            url.scheme() == "https" || (url.scheme() == "http" && loopback_host(&url)),
            format!("{name}: https, or http on a loopback host only"),
            text,
        )?;
        // No downgrade from an https issuer.
        ensure(
            issuer_url.scheme() != "https" || url.scheme() == "https",
            format!("{name}: https like the issuer"),
            text,
        )?;
    }
    ensure(checked >= 2, "the issuer and its endpoints", checked)
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
    let view = ctx.introspect(&wallet, &token).await?;
    ensure(
        view.get("active") == Some(&Value::Bool(true)),
        "an active token",
        &view,
    )?;
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
