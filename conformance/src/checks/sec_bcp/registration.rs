//! SEC-BCP-01 to SEC-BCP-03: redirect URIs are matched by exact string (RFC 9700 §2.1), the
//! loopback port excepted (§4.1.3), and none is cleartext outside loopback (§2.6).

use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use crate::check;
use crate::checks::support::CodeRequest;
use crate::checks::vredir::{
    client_for, delete_created, expect_accepted, expect_refused, expect_registered,
    expect_rejected, registration, unjudged,
};
use crate::ctx::{ClientCreds, Ctx, member, url_path_segment};
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, fail, skip};
use crate::ua::UserAgent;

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
            Some(uri) => Some((
                uri,
                ua.authorize(&CodeRequest::to(&client, Some(uri)).query())
                    .await,
            )),
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
