//! AUTHZ-REDIR: establishing the client and its redirect URI before anything is redirected
//! (RFC 6749 §3.1.2, §4.1.2.1, §10.6, §10.14; RFC 9700 §4.1.3).
//!
//! Also what the authorization-endpoint groups share about where a flow ended: a refusal that
//! must not be redirected ([`not_redirected`]), a login the user agent cannot drive
//! ([`stopped_at_login`]), and the consent page reached by a bare browser ([`consent`]).

use serde_json::json;
use url::Url;

use super::support::{
    Browser, CodeRequest, Consent, approve_fields, code_of, read_form, redact_url, s256, strict,
};
use crate::check;
use crate::ctx::{CLIENT_CB, CLIENT_CB2, ClientCreds, Ctx, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, fail, skip};
use crate::target::LoginKind;
use crate::ua::{Landing, UserAgent, query_param};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-redir-01",
            ["AUTHZ-REDIR-01"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "…or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent…"
                ),
                (Decision, "AUTHZ-REDIR-01", "→ 400 HTML error page")
            ],
            Both,
            [],
            "a missing or unknown client_id gives an error page (400 on the reference) and no redirect",
            redir_01
        ),
        check!(
            "authz-redir-02",
            ["AUTHZ-REDIR-02"],
            [
                (
                    MustNot,
                    "RFC 6749 §3.1.2.4",
                    "If an authorization request fails validation due to a … mismatching redirection URI, the authorization server … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.2.3",
                    "the authorization server MUST compare and match the value received against at least one of the registered redirection URIs"
                ),
                (
                    Decision,
                    "AUTHZ-REDIR-02",
                    "The answer is a 400 HTML error page."
                )
            ],
            Both,
            [],
            "a redirect_uri matching none of the client's registrations is never redirected to and gets no code",
            redir_02
        ),
        check!(
            "authz-redir-03a",
            ["AUTHZ-REDIR-03"],
            [
                (
                    MustNot,
                    "RFC 6749 §3.1.2.4",
                    "If an authorization request fails validation due to a missing … redirection URI, the authorization server … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.2.3",
                    "If multiple redirection URIs have been registered, if only part of the redirection URI has been registered, … the client MUST include a redirection URI with the authorization request"
                )
            ],
            Both,
            [Ua, Admin],
            "without redirect_uri, a client with several registrations or a pattern gets an error page, never a redirect elsewhere",
            redir_03a
        ),
        check!(
            "authz-redir-03b",
            ["AUTHZ-REDIR-03"],
            [(
                Decision,
                "AMB-06",
                "only when the client has exactly one registration and it contains no pattern."
            )],
            Both,
            [Ua, Admin],
            "without redirect_uri, a client's single full registration is used (AMB-06)",
            redir_03b
        ),
        check!(
            "authz-redir-04",
            ["AUTHZ-REDIR-04"],
            [
                (
                    MustNot,
                    "RFC 6749 §3.1.2.4",
                    "If an authorization request fails validation due to a … invalid … redirection URI, the authorization server … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.2",
                    "The redirection endpoint URI MUST be an absolute URI … The endpoint URI MUST NOT include a fragment component."
                ),
                (
                    Decision,
                    "AUTHZ-REDIR-02",
                    "The answer is a 400 HTML error page."
                )
            ],
            Both,
            [],
            "a redirect_uri with a fragment, or a relative one, is never redirected to and gets no code",
            redir_04
        ),
        check!(
            "authz-redir-05",
            ["AUTHZ-REDIR-05"],
            [
                (
                    Must,
                    "RFC 6749 §10.14",
                    "The authorization server and client MUST sanitize (and validate when possible) any value received -- in particular, the value of the \"state\" and \"redirect_uri\" parameters."
                ),
                (
                    Decision,
                    "AUTHZ-REDIR-05",
                    "The error page is a 400 `text/html; charset=utf-8` page."
                )
            ],
            Both,
            [],
            "reflected input never appears unescaped in an HTML answer or in headers, judged after login where login comes first",
            redir_05
        ),
        check!(
            "authz-redir-06",
            ["AUTHZ-REDIR-06"],
            [
                (
                    Must,
                    "RFC 6749 §3.1.2.3",
                    "If the client registration included the full redirection URI, the authorization server MUST compare the two URIs using simple string comparison"
                ),
                (
                    Decision,
                    "AUTHZ-REDIR-02",
                    "The answer is a 400 HTML error page."
                )
            ],
            StrictOnly,
            [],
            "strict profile: redirect URIs are compared as exact strings",
            redir_06
        ),
    ]
}

const UNKNOWN_CLIENT: &str = "conformance-no-such-client";

// ------------------------------------------------------------------------------------------
// Where a flow ended, for the authorization-endpoint groups.

/// The skip for a flow that stopped at a login the user agent cannot drive: a logged-in user,
/// the premise, is missing. A 4xx page is an error page, whatever the target file says of
/// its login.
pub(super) fn stopped_at_login(landing: &Landing) -> Option<Outcome> {
    match landing {
        Landing::Page {
            status: 200..=299,
            unscriptable_login: Some(_),
            ..
        } => landing.location().err(),
        _ => None,
    }
}

/// The redirect URI without its query and fragment.
pub(super) fn base_of(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// A request that names no valid client and redirect URI ended, judged: a redirect anywhere but
/// `registered` (the client's own URI, if the client is known) fails, and so does a code
/// (RFC 6749 §3.1.2.4, §3.1.2.3); an error redirect to `registered`, or a page that is not
/// 400, deviates from the reference's error page.
pub(super) fn not_redirected(
    landing: &Landing,
    registered: Option<&str>,
    case: &str,
    deviations: &Deviations,
) -> CheckResult {
    if let Some(premise) = stopped_at_login(landing) {
        return Err(premise);
    }
    match landing {
        Landing::Page { status, .. } => {
            if *status != 400 {
                deviations.note(
                    format!("{case}: a 400 error page"),
                    format!("a {status} page"),
                );
            }
            Ok(())
        }
        Landing::Redirect(location) => {
            let shown = redact_url(location);
            let Some(registered) = registered.filter(|r| base_of(location) == base_of(r)) else {
                return Err(fail(
                    format!("{case}: no redirect to the invalid redirection URI"),
                    format!("a redirect to {shown}"),
                ));
            };
            if query_param(location, "code").is_some() {
                return Err(fail(
                    format!("{case}: no code for a redirect URI that matches no registration"),
                    format!("a code sent to {}", base_of(registered)),
                ));
            }
            deviations.note(
                format!("{case}: an error page, no redirect"),
                format!("an error redirect to the registered URI: {shown}"),
            );
            Ok(())
        }
    }
}

/// Can the user agent fill the target's login form?
pub(super) fn login_drivable(ctx: &Ctx) -> bool {
    ctx.run
        .target
        .login
        .as_ref()
        .is_some_and(|l| l.kind == LoginKind::Form && l.username.is_some() && l.password.is_some())
}

/// Does this page ask for a login: a password form, or a script-driven page without a form?
pub(super) fn looks_like_login(reply: &Reply, url: &Url) -> bool {
    if read_form(&reply.body, url).is_some_and(|f| f.is_login()) {
        return true;
    }
    let body = reply.body.to_ascii_lowercase();
    ["type=\"password\"", "type='password'", "type=password"]
        .iter()
        .any(|p| body.contains(p))
        || ((200..300).contains(&reply.status)
            && body.contains("<script")
            && !body.contains("<form"))
}

pub(super) fn no_login(why: &str) -> Outcome {
    skip(format!(
        "needs a logged-in user: {why}; the target's [login] is not a form the user agent fills"
    ))
}

/// Logs in as needed; then the consent page's form, or the redirect with a code of a server
/// that consents by itself. A login the user agent cannot drive, or one that does not take,
/// is a skip: the premise is missing, not the server's answer.
pub(super) async fn consent(ctx: &Ctx, browser: &Browser, query: &str) -> Result<Consent, Outcome> {
    let url = browser.authorize_url(query)?;
    let mut stop = browser.get(&url).await?;
    for _ in 0..4 {
        if let Some(leaving) = &stop.leaving {
            if query_param(leaving, "code").is_some() {
                return Ok(Consent::Automatic(stop));
            }
            if query_param(leaving, "error").is_some() {
                return Err(fail(
                    "the consent page for a valid request",
                    format!("an error redirect to {}", redact_url(leaving)),
                ));
            }
            return Err(skip(format!(
                "the flow leaves the server for {} before consent; the user agent stays on the \
                 server's origin",
                base_of(leaving)
            )));
        }
        let Some(form) = read_form(&stop.reply.body, &stop.url) else {
            if looks_like_login(&stop.reply, &stop.url) {
                return Err(no_login("a login page without a form to fill"));
            }
            return Err(fail(
                "the consent page",
                format!("a page without a form: {}", stop.reply.summary()),
            ));
        };
        if !form.is_login() {
            return Ok(Consent::Form(form));
        }
        if !login_drivable(ctx) {
            return Err(no_login("the server shows a login form"));
        }
        stop = browser.log_in(&form).await?;
    }
    Err(skip(
        "the login form came back after logging in: check [login] in the target file",
    ))
}

/// A browser whose user has logged in and approved one request of `client`.
async fn logged_in_browser(ctx: &Ctx, query: &str) -> Result<Browser, Outcome> {
    let browser = Browser::new(ctx);
    if let Consent::Form(form) = consent(ctx, &browser, query).await? {
        browser.post(&form.action, &approve_fields(&form)).await?;
    }
    Ok(browser)
}

// ------------------------------------------------------------------------------------------

/// `scheme://authority` and the rest (path, query) of an absolute URI.
fn split_uri(uri: &str) -> (&str, &str, &str) {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("https", uri));
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    (scheme, &rest[..cut], &rest[cut..])
}

/// Each query from a fresh user agent (which logs in if asked), judged by [`not_redirected`].
async fn fresh_not_redirected(
    ctx: &Ctx,
    cases: &[(String, String)],
    registered: Option<&str>,
    deviations: &Deviations,
) -> CheckResult {
    for (case, query) in cases {
        let landing = UserAgent::new(ctx).authorize(query).await?;
        not_redirected(&landing, registered, case, deviations)?;
    }
    Ok(())
}

async fn redir_01(ctx: Ctx) -> CheckResult {
    let tail = format!("{}&state=s", s256());
    let cases = [
        (
            "no client_id",
            format!(
                "response_type=code&{}&{tail}",
                form_pair("redirect_uri", CLIENT_CB)
            ),
        ),
        (
            "no client_id, no redirect_uri",
            format!("response_type=code&{tail}"),
        ),
        (
            "an unknown client",
            CodeRequest::to(UNKNOWN_CLIENT, Some(CLIENT_CB))
                .state("s")
                .query(),
        ),
        (
            "an unknown client, an attacker's URI",
            CodeRequest::to(UNKNOWN_CLIENT, Some("https://attacker.example/cb"))
                .state("s")
                .query(),
        ),
        (
            "an unknown client, no redirect_uri",
            CodeRequest::to(UNKNOWN_CLIENT, None).state("s").query(),
        ),
    ]
    .map(|(case, query)| (case.to_owned(), query));
    let deviations = Deviations::default();
    fresh_not_redirected(&ctx, &cases, None, &deviations).await?;
    deviations.end()
}

async fn redir_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let registered = client.redirect().to_owned();
    let (scheme, authority, path) = split_uri(&registered);
    let host = authority.split(':').next().unwrap_or(authority);
    let mut uris = vec![
        format!("{scheme}://attacker.example{path}"),
        format!("{scheme}://{host}.attacker.example{path}"),
        format!("{scheme}://{authority}/conformance-other"),
        format!("{}/more", registered.trim_end_matches('/')),
        format!("{scheme}://{host}:8443{path}"),
    ];
    if path.len() > 1 && !path.contains('?') {
        uris.push(format!("{scheme}://{authority}{}", &path[..path.len() - 1]));
    }
    if other.redirect() != registered {
        uris.push(other.redirect().to_owned());
    }
    let queries = requests_to(&client, &uris);
    let deviations = Deviations::default();
    let fresh: Vec<(String, String)> = queries
        .iter()
        .map(|(uri, query)| (format!("{uri}, fresh user agent"), query.clone()))
        .collect();
    fresh_not_redirected(&ctx, &fresh, Some(&registered), &deviations).await?;
    // Once logged in, a server that asks for login first shows what it does with the request.
    let ua = super::authz_err::signed_in(&ctx, &client).await?;
    for (uri, query) in &queries {
        let landing = ua.authorize(query).await?;
        not_redirected(
            &landing,
            Some(&registered),
            &format!("{uri}, logged in"),
            &deviations,
        )?;
    }
    deviations.end()
}

async fn redir_03a(ctx: Ctx) -> CheckResult {
    let mut registrations = vec![("several registrations", json!([CLIENT_CB, CLIENT_CB2]))];
    // Patterns are a vendor-profile feature; the strict profile refuses to register them.
    if !strict(&ctx) {
        registrations.push(("a host pattern", json!(["https://*.client.example/cb"])));
        registrations.push(("a path pattern", json!(["https://client.example/cb/*"])));
    }
    let deviations = Deviations::default();
    for (case, urls) in registrations {
        let client = ctx
            .client_with(
                json!({"kind": "one_click", "name": "Pattern shop", "redirect_urls": urls}),
            )
            .await?;
        let query = CodeRequest::to(&client.id, None).extra("state=s").query();
        let landing = UserAgent::new(&ctx).authorize(&query).await?;
        // A redirect to one of several full registrations tolerates the client's breach of
        // §3.1.2.3; a redirect anywhere else breaks §3.1.2.4.
        let full = urls
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str())
            .filter(|u| !u.contains('*'))
            .find(|u| matches!(&landing, Landing::Redirect(l) if base_of(l) == base_of(u)));
        match (&landing, full) {
            (Landing::Redirect(location), Some(_)) => deviations.note(
                format!("{case}: an error page (the request must name its redirect_uri)"),
                format!("a redirect to the registration {}", redact_url(location)),
            ),
            _ => not_redirected(&landing, None, case, &deviations)?,
        }
    }
    deviations.end()
}

async fn redir_03b(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(
            json!({"kind": "one_click", "name": "Single shop", "redirect_urls": [CLIENT_CB]}),
        )
        .await?;
    let query = CodeRequest::to(&client.id, None).extra("state=s").query();

    let landing = UserAgent::new(&ctx).authorize(&query).await?;

    code_of(&landing)?;
    let location = landing.location()?;
    if !location.starts_with(&format!("{CLIENT_CB}?")) {
        return Err(fail(
            format!("the code sent to the single registration {CLIENT_CB}"),
            redact_url(location),
        ));
    }
    if landing.param("state").as_deref() != Some("s") {
        return Err(fail("state s", redact_url(location)));
    }
    Ok(())
}

async fn redir_04(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let (_, authority, path) = split_uri(&registered);
    let path = path.split('?').next().unwrap_or(path);
    let last = path.rsplit('/').next().unwrap_or("cb");
    let uris = [
        format!("{registered}#x"),
        format!("{registered}#"),
        path.to_owned(),
        last.to_owned(),
        format!("//{authority}{path}"),
        format!("{authority}{path}"),
    ];
    let cases = requests_to(&client, &uris);
    let deviations = Deviations::default();
    fresh_not_redirected(&ctx, &cases, Some(&registered), &deviations).await?;
    deviations.end()
}

/// A header carrying a raw `<script` (`name: value`). The request percent-encoded inside a
/// header (a login redirect's `return_to`) is not a reflection: nothing renders it.
fn raw_script_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers.iter().find_map(|(name, value)| {
        let value = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
        value
            .contains("<script")
            .then(|| format!("{name}: {value}"))
    })
}

/// What the server answered a request carrying hostile input, after same-origin redirects.
enum Answer {
    Page(Reply),
    Login,
    Left,
}

/// Follows same-origin redirects from `url`, failing on any reply that carries the raw
/// `<script` in a header, and says where it ended.
async fn answer(ctx: &Ctx, browser: &Browser, mut url: Url, case: &str) -> Result<Answer, Outcome> {
    let origin = Url::parse(&ctx.run.target.issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    for _ in 0..12 {
        let reply = browser.get_once(&url).await?;
        if let Some(header) = raw_script_header(&reply.headers) {
            return Err(fail(
                format!("{case}: no reflected input in headers"),
                header,
            ));
        }
        if !(300..400).contains(&reply.status) {
            return Ok(if looks_like_login(&reply, &url) {
                Answer::Login
            } else {
                Answer::Page(reply)
            });
        }
        let Some(next) = reply.header("location").and_then(|l| url.join(l).ok()) else {
            return Ok(Answer::Page(reply));
        };
        if next.origin().ascii_serialization() != origin {
            return Ok(Answer::Left);
        }
        url = next;
    }
    Err(fail("the redirects to end", "a long chain of them"))
}

async fn redir_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let evil = "\"><script>alert(1)</script>";
    let cases = [
        (
            "redirect_uri",
            CodeRequest::to(&client.id, Some(&format!("{}{evil}", client.redirect())))
                .state(evil)
                .query(),
        ),
        (
            "client_id",
            CodeRequest::to(evil, Some(client.redirect()))
                .state(evil)
                .query(),
        ),
        (
            "state with an unknown client",
            CodeRequest::to(UNKNOWN_CLIENT, Some(client.redirect()))
                .state(evil)
                .query(),
        ),
        (
            "state with an unregistered redirect_uri",
            CodeRequest::to(
                &client.id,
                Some(&format!("https://attacker.example/{evil}")),
            )
            .state(evil)
            .query(),
        ),
    ];
    let deviations = Deviations::default();
    let mut browser = Browser::new(&ctx);
    let mut logged_in = false;
    for (case, query) in &cases {
        let url = browser.authorize_url(query)?;
        let mut ended = answer(&ctx, &browser, url.clone(), case).await?;
        // The page to judge is the answer to the bad request, not a login page before it.
        if matches!(ended, Answer::Login) && !logged_in {
            let valid = CodeRequest::of(&client)
                .scope(client.scope.as_deref())
                .query();
            browser = logged_in_browser(&ctx, &valid).await?;
            logged_in = true;
            ended = answer(&ctx, &browser, url, case).await?;
        }
        let reply = match ended {
            Answer::Page(reply) => reply,
            // Where the request went is AUTHZ-REDIR-01 and -02's business.
            Answer::Left => continue,
            Answer::Login => {
                return Err(skip(format!(
                    "{case}: the server still asks for login after the user logged in"
                )));
            }
        };
        let content_type = reply
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace(' ', "");
        // A browser renders an answer without a type as it sniffs it: as HTML, here.
        let html = content_type.is_empty() || content_type.starts_with("text/html");
        let body = reply.body.to_ascii_lowercase();
        if html && body.contains("<script>alert(1)") {
            return Err(fail(
                format!("{case}: the input HTML-escaped"),
                "a raw <script> element from the request in the page",
            ));
        }
        if reply.status != 400 || content_type != "text/html;charset=utf-8" {
            deviations.note(
                format!("{case}: a 400 text/html; charset=utf-8 error page"),
                format!("{} {content_type}", reply.summary()),
            );
        }
    }
    deviations.end()
}

/// Strings that differ from `registered` but may look the same to a lenient comparison.
fn lookalikes(registered: &str) -> Vec<String> {
    let (scheme, authority, path) = split_uri(registered);
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or("");
    let prefix = &path[..path.len() - last.len()];
    let mut out = vec![
        format!("{scheme}://{authority}{path}/{query}"),
        format!(
            "{}://{}{path}{query}",
            scheme.to_ascii_uppercase(),
            authority.to_ascii_uppercase()
        ),
        format!(
            "{registered}{}x=1",
            if query.is_empty() { '?' } else { '&' }
        ),
        format!("{scheme}://{authority}{path}/../{last}{query}"),
        format!("{scheme}://{authority}{prefix}./{last}{query}"),
    ];
    if scheme == "https" && !authority.contains(':') {
        out.push(format!("{scheme}://{authority}:443{path}{query}"));
    }
    if let Some(first) = last.chars().next().filter(char::is_ascii_alphanumeric) {
        out.push(format!(
            "{scheme}://{authority}{prefix}%{:02X}{}{query}",
            first as u32,
            &last[first.len_utf8()..]
        ));
    }
    out
}

async fn redir_06(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let query_to = |uri: &str| {
        CodeRequest::to(&client.id, Some(uri))
            .scope(client.scope.as_deref())
            .state("s")
            .query()
    };
    // The exact string works: the refusals below are about the comparison.
    let exact = UserAgent::new(&ctx)
        .authorize(&query_to(client.redirect()))
        .await?;
    code_of(&exact)?;
    let cases: Vec<(String, String)> = lookalikes(client.redirect())
        .into_iter()
        .map(|uri| {
            let query = query_to(&uri);
            (uri, query)
        })
        .collect();
    let deviations = Deviations::default();
    // Every variant is tried: the failure names each one that was taken for the registration,
    // not only the first.
    let mut taken = Vec::new();
    for (uri, query) in &cases {
        let landing = UserAgent::new(&ctx).authorize(query).await?;
        match not_redirected(&landing, Some(client.redirect()), uri, &deviations) {
            Err(Outcome::Fail { actual, .. }) => taken.push(format!("{uri} ({actual})")),
            other => other?,
        }
    }
    if !taken.is_empty() {
        return Err(fail(
            format!(
                "no code and no redirect for a string other than the registered {}",
                client.redirect()
            ),
            format!(
                "{} of {} variants taken: {}",
                taken.len(),
                cases.len(),
                taken.join("; ")
            ),
        ));
    }
    deviations.end()
}

/// Each URI with `client`'s authorization request to it (`state=s`).
fn requests_to(client: &ClientCreds, uris: &[String]) -> Vec<(String, String)> {
    uris.iter()
        .map(|uri| {
            let query = CodeRequest::to(&client.id, Some(uri))
                .extra("state=s")
                .query();
            (uri.clone(), query)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::raw_script_header;

    #[test]
    fn only_a_raw_script_in_a_header_is_a_reflection() {
        let mut headers = HeaderMap::new();
        // Doorkeeper's login redirect: the request percent-encoded in `return_to`.
        headers.insert(
            "location",
            HeaderValue::from_static(
                "/login?return_to=%2Foauth%2Fauthorize%3Fstate%3D%2522%253E%253Cscript%253Ealert%25281%2529",
            ),
        );
        assert_eq!(raw_script_header(&headers), None);
        headers.insert(
            "x-echo",
            HeaderValue::from_static("\"><script>alert(1)</script>"),
        );
        assert!(raw_script_header(&headers).is_some_and(|h| h.starts_with("x-echo: ")));
    }
}
