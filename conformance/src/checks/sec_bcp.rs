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
    Deviations, client_for, client_query, code_query, delete_created, expect_accepted,
    expect_refused, expect_registered, expect_rejected, registration, stray_redirect, unjudged,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair, member, url_path_segment};
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
            [(
                Must,
                "RFC 9700 §2.1",
                "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in localhost redirection URIs of native apps"
            )],
            StrictOnly,
            [Admin, Ua],
            "the strict profile refuses every redirect pattern with `*` at registration, and never \
             matches one as a pattern",
            bcp_01a
        ),
        check!(
            "sec-bcp-01b",
            ["SEC-BCP-01"],
            [(
                Must,
                "RFC 9700 §2.1",
                "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in localhost redirection URIs of native apps"
            )],
            StrictOnly,
            [Ua],
            "the strict profile matches redirect URIs by exact string: an added query is refused",
            bcp_01b
        ),
        check!(
            "sec-bcp-02a",
            ["SEC-BCP-02"],
            [(
                Must,
                "RFC 9700 §4.1.3",
                "The only exception is native apps using a localhost URI: In this case, the authorization server MUST allow variable port numbers as described in Section 7.3 of [RFC8252]."
            )],
            Both,
            [Ua, Admin],
            "a loopback redirect URI (127.0.0.1, [::1], localhost) accepts any port",
            bcp_02a
        ),
        check!(
            "sec-bcp-02b",
            ["SEC-BCP-02"],
            [(
                Must,
                "RFC 9700 §2.1",
                "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in localhost redirection URIs of native apps"
            )],
            Both,
            [Ua, Admin],
            "only the port of a loopback redirect URI may vary, and no other host gets the exception",
            bcp_02b
        ),
        check!(
            "sec-bcp-03",
            ["SEC-BCP-03"],
            [
                (
                    MustNot,
                    "RFC 9700 §2.6",
                    "authorization servers MUST NOT allow redirection URIs that use the `http` scheme except for native clients that use loopback interface redirection"
                ),
                (
                    Decision,
                    "AMB-05",
                    "in both profiles, `http:` is refused unless the host is loopback, and loopback registrations accept any port."
                )
            ],
            Both,
            [Admin],
            "an http redirect URI for a non-loopback host is refused at registration and on edit",
            bcp_03
        ),
        check!(
            "sec-bcp-04a",
            ["SEC-BCP-04"],
            [(
                ShouldNot,
                "RFC 9700 §2.1.2",
                "clients SHOULD NOT use the implicit grant (response type `token`) or other response types issuing access tokens in the authorization response"
            )],
            Both,
            [Ua],
            "no implicit flow: response_type=token gives unsupported_response_type, never a token, \
             and is not advertised",
            bcp_04a
        ),
        check!(
            "sec-bcp-04b",
            ["SEC-BCP-04"],
            [
                (
                    MustNot,
                    "RFC 9700 §2.4",
                    "The resource owner password credentials grant [RFC6749] MUST NOT be used."
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code from the following: … unsupported_grant_type The authorization grant type is not supported by the authorization server."
                )
            ],
            Both,
            [],
            "no password grant: it gives unsupported_grant_type, never a token, and is not advertised",
            bcp_04b
        ),
        check!(
            "sec-bcp-05",
            ["SEC-BCP-05"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Decision,
                    "AMB-01",
                    "Third-party servers that use prefix semantics are reported as deviating from this decision, not as breaking the vendor rule."
                )
            ],
            Both,
            [Ua],
            "not an open redirector: over hostile redirect URIs, every redirect to a client goes to \
             a registered URI",
            bcp_05
        ),
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
            "login, consent and error pages refuse framing: X-Frame-Options DENY and CSP \
             frame-ancestors 'none'",
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
            "login, consent and error pages send Referrer-Policy no-referrer and load nothing \
             from another origin",
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
        check!(
            "sec-bcp-09",
            ["SEC-BCP-09"],
            [
                (
                    Must,
                    "RFC 6749 §3.1",
                    "the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the authorization endpoint."
                ),
                (
                    Must,
                    "RFC 6749 §3.2",
                    "the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the token endpoint."
                )
            ],
            Both,
            [],
            "metadata advertises https endpoints, plain http only on loopback hosts",
            bcp_09
        ),
        check!(
            "sec-bcp-10",
            ["SEC-BCP-10"],
            [(
                ShouldNot,
                "RFC 9700 §4.15.1",
                "Authorization servers SHOULD NOT allow clients to influence their client_id or any other claim that could cause confusion with a genuine resource owner"
            )],
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
    let ua = UserAgent::new(&ctx);
    let deviations = Deviations::default();
    // Each pattern, and a request it would admit if it were read as one.
    for (pattern, filled) in [
        ("https://*.m.example/cb", Some("https://x.m.example/cb")),
        ("https://m.example/cb/*", Some("https://m.example/cb/x")),
        ("https://m.example/*", Some("https://m.example/x")),
        ("https://m.example/c*b", Some("https://m.example/cxb")),
        ("*", None),
    ] {
        let reply = registration(&ctx, &["https://ok.example/cb", pattern]).await?;
        let expected = format!("400 invalid_redirect_uri registering {pattern}");
        if reply.status != 201 {
            if reply.status != 400 || reply.error_code().as_deref() != Some("invalid_redirect_uri")
            {
                deviations.note(expected, reply.summary());
            }
            continue;
        }
        // Kept as a string, the pattern breaks no MUST; matched as a pattern, it does.
        let client = member(&reply.json()?, "client_id")?;
        let landing = match filled {
            Some(uri) => Some((uri, ua.authorize(&code_query(&client, uri)).await)),
            None => None,
        };
        delete_created(&ctx, &reply).await?;
        if let Some((uri, landing)) = landing {
            let landing = landing?;
            unjudged(&landing)?;
            if landing.param("code").is_some() {
                return Err(fail(
                    format!("{uri} refused: {pattern} is no exact registration"),
                    format!(
                        "{pattern} registered (201) and {uri} accepted: a redirect to {}",
                        ctx.run.redactor.url(landing.location()?)
                    ),
                ));
            }
        }
        deviations.note(
            expected,
            "201: registered, and matched only as a literal string",
        );
    }
    expect_registered(&ctx, "https://m.example/cb").await?;
    deviations.end()
}

async fn bcp_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    expect_accepted(&ctx, &ua, &client, &registered, &registered).await?;
    let deviations = Deviations::default();
    // The request VREDIR-01 accepts in the vendor profile, and other near misses.
    for suffix in ["?order=42&lang=sv", "?", "/"] {
        let uri = format!("{registered}{suffix}");
        deviations.keep(expect_rejected(&ctx, &ua, &client, &uri).await)?;
    }
    deviations.end()
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

/// A client registered with the loopback URIs. RFC 9700 §2.6 and §4.1.3 grant them to native
/// apps only, so a server that refuses them for this client offers no premise: a skip.
async fn loopback_client(ctx: &Ctx) -> Result<ClientCreds, Outcome> {
    client_for(ctx, &LOOPBACKS)
        .await
        .map_err(|outcome| match outcome {
            // Only the refusal itself; a 5xx or a dropped connection stays a failure.
            Outcome::Fail { expected, actual }
                if expected.starts_with("201 creating") && ctx.server_error().is_none() =>
            {
                skip(format!(
                    "the server does not register loopback redirect URIs for this client \
                     ({actual}); RFC 9700 grants their port exception to native apps"
                ))
            }
            other => other,
        })
}

async fn bcp_02a(ctx: Ctx) -> CheckResult {
    let client = loopback_client(&ctx).await?;
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
    let client = loopback_client(&ctx).await?;
    let tls = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    let port = foreign_port(&ctx);
    let good = format!("http://127.0.0.1:{port}/cb");
    expect_accepted(&ctx, &ua, &client, &good, &good).await?;
    let deviations = Deviations::default();
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
        deviations.keep(expect_rejected(&ctx, &ua, &client, &uri).await)?;
    }
    let other_port = format!("https://m.example:{port}/cb");
    deviations.keep(expect_rejected(&ctx, &ua, &tls, &other_port).await)?;
    deviations.end()
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-03: no cleartext redirect URIs outside loopback

async fn bcp_03(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://m.example/cb"]).await?;
    let path = format!("/admin/clients/{}", url_path_segment(&client.id));
    let registered = json!(["https://m.example/cb"]);
    let deviations = Deviations::default();
    for url in [
        "http://m.example/cb",
        "HTTP://m.example/cb",
        "http://localhost.m.example/cb",
        "http://127.0.0.1.nip.io/cb",
        "http://192.0.2.1/cb",
        "http://[2001:db8::1]/cb",
    ] {
        deviations.keep(expect_refused(&ctx, url).await)?;
        let edit = ctx
            .send(
                ctx.admin(Method::PATCH, &path)?
                    .json(&json!({ "redirect_urls": [url] })),
            )
            .await?;
        if edit.status != 400 {
            deviations.note(format!("400 on an edit to {url}"), edit.summary());
        }
        // Whatever the status, the http URL must not have been stored.
        let view = ctx.send(ctx.admin(Method::GET, &path)?).await?.json()?;
        ensure(
            view.get("redirect_urls") == Some(&registered),
            format!("the edit to {url} refused: redirect_urls as registered"),
            view.get("redirect_urls").cloned().unwrap_or(Value::Null),
        )?;
    }
    // Loopback stays allowed (AMB-05), so the refusals above were about the host.
    if let Err(Outcome::Fail { expected, actual }) =
        expect_registered(&ctx, "http://127.0.0.1/cb").await
    {
        deviations.note(expected, actual);
    }
    deviations.end()
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

/// A redirect's response parameters, from its query and (where an implicit-flow server puts
/// them, RFC 6749 §4.2.2.1) its fragment.
fn response_params(location: &str) -> Vec<(String, String)> {
    let Ok(url) = Url::parse(location) else {
        return Vec::new();
    };
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(fragment) = url.fragment() {
        params.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    params
}

async fn bcp_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let query = client_query(&client, client.redirect()).replace(
        &form_pair("response_type", "code"),
        &form_pair("response_type", "token"),
    );
    let landing = ua.authorize(&query).await?;
    unjudged(&landing)?;
    // All of it is a SHOULD NOT: each finding warns, the worst first.
    let deviations = Deviations::default();
    match &landing {
        Landing::Redirect(location) => {
            let shown = ctx.run.redactor.url(location);
            let params = response_params(location);
            let error = params.iter().find(|(k, _)| k == "error").map(|(_, v)| v);
            if params.iter().any(|(k, _)| k == "access_token") {
                deviations.note("no access token for response_type=token", &shown);
            }
            // unauthorized_client fits where other clients may use implicit (RFC 6749 §4.1.2.1).
            if !matches!(
                error.map(String::as_str),
                Some("unsupported_response_type" | "unauthorized_client")
            ) {
                deviations.note(
                    "error=unsupported_response_type (or unauthorized_client)",
                    &shown,
                );
            }
        }
        Landing::Page { status, .. } => deviations.note(
            "an error redirect with unsupported_response_type",
            format!("the server's own page ({status})"),
        ),
    }
    let response_types = advertised(&ctx, "response_types_supported");
    if response_types
        .iter()
        .any(|t| t.split(' ').any(|p| p == "token"))
    {
        deviations.note(
            "response_types_supported without token",
            format!("{response_types:?}"),
        );
    }
    let grants = advertised(&ctx, "grant_types_supported");
    if grants.iter().any(|g| g == "implicit") {
        deviations.note(
            "grant_types_supported without implicit",
            format!("{grants:?}"),
        );
    }
    deviations.end()
}

async fn bcp_04b(ctx: Ctx) -> CheckResult {
    // The real test user, so that a server with the grant would answer with a token.
    let login = ctx.run.target.login.as_ref();
    let username = login
        .and_then(|l| l.username.clone())
        .unwrap_or_else(|| "test-user".to_owned());
    let password = login
        .and_then(|l| l.password.as_ref())
        .map_or_else(|| "test-password".to_owned(), |p| p.expose().to_owned());
    let client = ctx.code_client().await?;
    let mut body = [
        form_pair("grant_type", "password"),
        form_pair("username", &username),
        form_pair("password", &password),
    ]
    .join("&");
    if let Some(scope) = &client.scope {
        body.push('&');
        body.push_str(&form_pair("scope", scope));
    }
    let reply = ctx.token(&client, &body).await?;
    let token = reply
        .json()
        .ok()
        .is_some_and(|v| v.get("access_token").is_some());
    ensure(!token, "no token for grant_type=password", reply.summary())?;
    // Both codes fit §5.2: a grant the server lacks, or one this client may not use.
    ensure(
        reply.status == 400
            && matches!(
                reply.error_code().as_deref(),
                Some("unsupported_grant_type" | "unauthorized_client")
            ),
        "400 unsupported_grant_type (or unauthorized_client), no token",
        reply.summary(),
    )?;
    // Advertising the grant offers it; no one used it here, so that only deviates.
    let grants = advertised(&ctx, "grant_types_supported");
    if grants.iter().any(|g| g == "password") {
        return Err(deviate(
            "grant_types_supported without password",
            format!("{grants:?}"),
        ));
    }
    Ok(())
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
    // Another client's registration is never a way out either; without a second client, a
    // stand-in URL plays its part.
    let other = match ctx.code_client2().await {
        Ok(other) => other.redirect().to_owned(),
        Err(Outcome::Skip { .. }) => "https://other-client.example/cb".to_owned(),
        Err(other) => return Err(other),
    };
    let registered_text = client.redirect().to_owned();
    let registered = Url::parse(&registered_text)
        .map_err(|e| fail("a registered redirect URI that parses", e))?;
    let host = registered.host_str().unwrap_or_default().to_owned();
    let ua = UserAgent::new(&ctx);

    // The positive control: the registration itself reaches a code, so the property is not
    // vacuous. A server that gives none is no open redirector, and nothing can be compared.
    let control = ua
        .authorize(&client_query(&client, &registered_text))
        .await?;
    unjudged(&control)?;
    if control.param("code").is_none() {
        return Err(skip(format!(
            "the registered {registered_text} itself reaches no code (authz-req-01 judges \
             that), so hostile redirect URIs have nothing to be compared with"
        )));
    }
    let registrations = [registered_text.clone()];
    let deviations = Deviations::default();
    let sample = ctx.run.cases_or(HOSTILE_SAMPLE);
    for uri in hostile_uris(&host, registered.path(), &other, ctx.run.seed, sample) {
        if let Landing::Redirect(location) = ua.authorize(&client_query(&client, &uri)).await? {
            if !admitted(&location, &registered) {
                let stray = stray_redirect(
                    ctx.profile(),
                    &registrations,
                    &location,
                    &format!(
                        "for {uri:?}: the server's own page or a redirect to {registered_text}"
                    ),
                    &format!("a redirect to {}", ctx.run.redactor.url(&location)),
                );
                deviations.keep(Err(stray))?;
            }
        }
    }
    deviations.end()
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

/// Walks login and consent, then asks for two error pages; returns every HTML page served.
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
    ua.authorize_once(&code_query("no-such-client-c4", client.redirect()))
        .await?;
    ua.authorize_once(&client_query(&client, "https://attacker.example/cb"))
        .await?;
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
    let deviations = Deviations::default();
    let mut checked = 0;
    for (name, value) in fields {
        let Some(text) = value.as_str() else {
            continue;
        };
        // Endpoints carry credentials and tokens; other `_uri` members (a JWK set, policy
        // pages) carry none, so cleartext there only deviates.
        let endpoint = name == "issuer" || name.ends_with("_endpoint");
        if !(endpoint || name.ends_with("_uri")) {
            continue;
        }
        let url = Url::parse(text).map_err(|e| fail(format!("{name} as a URL"), e))?;
        let tls = url.scheme() == "https" || (url.scheme() == "http" && loopback_host(&url));
        // No downgrade from an https issuer.
        let like_issuer = issuer_url.scheme() != "https" || url.scheme() == "https";
        let expected =
            format!("{name}: https (http on a loopback host only, and not under an https issuer)");
        if !endpoint {
            if !(tls && like_issuer) {
                deviations.note(expected, text);
            }
            continue;
        }
        checked += 1;
        ensure(tls && like_issuer, expected, text)?;
    }
    ensure(checked >= 2, "the issuer and its endpoints", checked)?;
    deviations.end()
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
    // Introspection shows what a resource server would see; a server that does not show a
    // client its own token gives this check no view.
    let reply = ctx.token_call("introspection", &wallet, &token).await?;
    let view = if reply.status == 200 {
        reply.json()?
    } else {
        return Err(skip(format!(
            "introspection does not answer a client about its own token ({})",
            reply.summary()
        )));
    };
    if view.get("active") != Some(&Value::Bool(true)) {
        return Err(skip(
            "introspection shows the client its own fresh token as inactive: no subject to judge",
        ));
    }
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
