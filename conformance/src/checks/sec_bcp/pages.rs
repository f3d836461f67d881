//! SEC-BCP-06 to SEC-BCP-08: what a browser meets: framing and referrer protection on the
//! server's pages (RFC 9700 §4.16, §4.2.4), no CORS (§2.6), no 307 after the login POST (§4.12).

use reqwest::Method;
use scraper::{Html, Selector};
use url::Url;

use crate::check;
use crate::checks::support::CodeRequest;
use crate::checks::vredir::client_query;
use crate::ctx::Ctx;
use crate::http::{Exchange, RecordedResponse};
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "sec-bcp-06a",
            ["SEC-BCP-06"],
            [
                (
                    Must,
                    "RFC 9700 §4.16",
                    "Authorization servers MUST prevent clickjacking attacks."
                ),
                (
                    Should,
                    "RFC 9700 §4.16",
                    "In addition to those, authorization servers SHOULD also use Content Security Policy (CSP) level 2 [W3C.CSP-2] or greater."
                )
            ],
            Both,
            [Ua],
            "login, consent, error and the target's other pages refuse framing: \
             X-Frame-Options DENY and CSP frame-ancestors 'none'",
            bcp_06a
        ),
        check!(
            "sec-bcp-06b",
            ["SEC-BCP-06"],
            [(
                ShouldNot,
                "RFC 9700 §4.2.4",
                "The page rendered as a result of the OAuth authorization response and the authorization endpoint SHOULD NOT include third-party resources or links to external sites."
            )],
            Both,
            [Ua],
            "login, consent, error and the target's other pages send Referrer-Policy \
             no-referrer and load nothing from another origin",
            bcp_06b
        ),
        check!(
            "sec-bcp-07",
            ["SEC-BCP-07"],
            [(
                MustNot,
                "RFC 9700 §2.6",
                "CORS MUST NOT be supported at the authorization endpoint, as the client does not access this endpoint directly"
            )],
            Both,
            [],
            "no CORS at the authorization endpoint, for a foreign Origin or a preflight",
            bcp_07
        ),
        check!(
            "sec-bcp-08",
            ["SEC-BCP-08"],
            [
                (
                    MustNot,
                    "RFC 9700 §4.12",
                    "Authorization servers that redirect a request that potentially contains the user's credentials therefore MUST NOT use the HTTP 307 status code for redirection."
                ),
                (
                    Should,
                    "RFC 9700 §4.12",
                    "If an HTTP redirection (and not, for example, JavaScript) is used for such a request, the authorization server SHOULD use HTTP status code 303 (See Other)."
                )
            ],
            Both,
            [Ua],
            "the redirect answering the login POST is never 307 (the reference uses 303)",
            bcp_08
        ),
    ]
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

/// Every value of header `name` (a header may be sent more than once).
fn headers_of<'a>(response: &'a RecordedResponse, name: &str) -> Vec<&'a str> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Walks login and consent, asks for two error pages and opens the target's other `pages`;
/// returns every HTML page served.
/// A server that shows none has nothing to frame or to leak: the check skips.
async fn visit_pages(ctx: &Ctx) -> Result<Vec<(String, RecordedResponse)>, Outcome> {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(ctx);
    // Where the flow ends does not matter here, only the pages on the way; a login the agent
    // cannot fill still served its page.
    match ua
        .authorize(&client_query(&client, client.redirect()))
        .await
    {
        Ok(_) | Err(Outcome::Skip { .. }) => {}
        Err(other) => return Err(other),
    }
    ua.authorize_once(&CodeRequest::to("no-such-client-c4", Some(client.redirect())).query())
        .await?;
    ua.authorize_once(&client_query(&client, "https://attacker.example/cb"))
        .await?;
    // The other pages the target file names (a back office's sign-in, say).
    let issuer = ctx.run.target.issuer.trim_end_matches('/');
    for path in &ctx.run.target.pages {
        ctx.send(ctx.http().get(format!("{issuer}{path}"))).await?;
    }
    let pages = html_pages(ctx);
    if pages.is_empty() {
        return Err(skip(
            "the server showed the user agent no HTML page (login, consent or error): \
             nothing to frame and nothing to leak",
        ));
    }
    Ok(pages)
}

/// Does a CSP `frame-ancestors` directive in any of `policies` keep out other origins (no
/// `*` and no bare scheme among its sources)?
fn frame_ancestors_restricted(policies: &[&str]) -> bool {
    policies
        .iter()
        .flat_map(|p| p.split([';', ',']))
        .map(str::trim)
        .filter_map(|d| d.strip_prefix("frame-ancestors"))
        .any(|sources| {
            sources
                .split_whitespace()
                .all(|s| s != "*" && !s.ends_with(':'))
        })
}

/// Frame-busting script, the other countermeasure RFC 9700 §4.16 names (RFC 6819).
fn busts_frames(body: &str) -> bool {
    let body = body.to_ascii_lowercase();
    [
        "top.location",
        "window.top",
        "self !== top",
        "self != top",
        "top !== self",
        "top != self",
    ]
    .iter()
    .any(|s| body.contains(s))
}

async fn bcp_06a(ctx: Ctx) -> CheckResult {
    let deviations = Deviations::default();
    for (page, response) in visit_pages(&ctx).await? {
        let frame = header_of(&response, "x-frame-options").unwrap_or("");
        let policies = headers_of(&response, "content-security-policy");
        let csp_none = policies.iter().any(|p| {
            p.split(';')
                .map(str::trim)
                .find(|d| d.starts_with("frame-ancestors"))
                .is_some_and(|d| d.split_whitespace().skip(1).eq(["'none'"]))
        });
        let xfo_deny = frame.eq_ignore_ascii_case("deny");
        let xfo_same = frame.eq_ignore_ascii_case("sameorigin");
        let csp = frame_ancestors_restricted(&policies);
        let got = format!("X-Frame-Options {frame:?}, Content-Security-Policy {policies:?}");
        if !(csp || xfo_deny || xfo_same || busts_frames(&response.body)) {
            // Clickjacking needs something to click: a login or consent form. A bare error
            // page without protection only deviates from the catalog.
            let expected = format!("{page}: a page that cannot be framed");
            if response.body.to_ascii_lowercase().contains("<form") {
                return Err(fail(expected, got));
            }
            deviations.note(expected, got);
        } else if !(csp_none && xfo_deny) {
            deviations.note(
                format!("{page}: X-Frame-Options DENY and CSP frame-ancestors 'none'"),
                got,
            );
        }
    }
    deviations.end()
}

/// `no-referrer` from a `Referrer-Policy` header or, as HTML allows, a
/// `<meta name="referrer">` of the page; a header that names another policy beside such a
/// meta leaves the page saying two things, which does not count.
fn no_referrer(response: &RecordedResponse, document: &Html) -> bool {
    let policies: Vec<String> = headers_of(response, "referrer-policy")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    let header = policies.iter().any(|p| p == "no-referrer");
    let meta = Selector::parse("meta[name]").is_ok_and(|selector| {
        document.select(&selector).any(|m| {
            m.value()
                .attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("referrer"))
                && m.value()
                    .attr("content")
                    .is_some_and(|c| c.trim().eq_ignore_ascii_case("no-referrer"))
        })
    });
    header || (meta && policies.is_empty())
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
        let document = Html::parse_document(&response.body);
        ensure(
            no_referrer(&response, &document),
            format!("{page}: Referrer-Policy no-referrer (header or <meta name=\"referrer\">)"),
            format!("{:?}", headers_of(&response, "referrer-policy")),
        )?;
        let base = page
            .split_once(' ')
            .and_then(|(_, url)| Url::parse(url).ok())
            .ok_or_else(|| fail("a page URL", &page))?;
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
                    // Inline data and script URLs load nothing from anywhere.
                    let joined = base.join(url);
                    let inline = joined.as_ref().is_ok_and(|u| {
                        matches!(u.scheme(), "data" | "blob" | "about" | "javascript")
                    });
                    let same = joined.is_ok_and(|u| u.origin() == origin);
                    ensure(
                        same || inline,
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
                    client_query(&client, client.redirect())
                ))
                .header("origin", evil),
        ),
        (
            "GET with an unknown client",
            ctx.http()
                .get(format!(
                    "{endpoint}?{}",
                    CodeRequest::to("no-such-client-c4", Some(client.redirect())).query()
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
    let deviations = Deviations::default();
    for (what, request) in requests {
        let reply = ctx.send(request).await?;
        // Allow-Origin is what grants a foreign page the answer; Allow-Credentials without
        // it grants nothing.
        let origin = reply.header("access-control-allow-origin");
        ensure(
            origin.is_none(),
            format!("{what}: no access-control-allow-origin"),
            format!(
                "access-control-allow-origin: {}",
                origin.unwrap_or_default()
            ),
        )?;
        if let Some(credentials) = reply.header("access-control-allow-credentials") {
            deviations.note(
                format!("{what}: no access-control-allow-credentials"),
                format!("access-control-allow-credentials: {credentials}"),
            );
        }
    }
    deviations.end()
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-08: no 307 after the login POST

async fn bcp_08(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    // Only the answer to the login POST is judged, wherever the flow ends.
    match ua
        .authorize(&client_query(&client, client.redirect()))
        .await
    {
        Ok(_) | Err(Outcome::Skip { .. }) => {}
        Err(other) => return Err(other),
    }
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
