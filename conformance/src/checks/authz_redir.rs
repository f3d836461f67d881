//! AUTHZ-REDIR: establishing the client and its redirect URI before anything is redirected
//! (RFC 6749 §3.1.2, §4.1.2.1, §10.6, §10.14; RFC 9700 §4.1.3).

use serde_json::json;

use super::code_flow::{
    code_of, code_query, error_page, fresh_error_page, logged_in, outline, s256, strict,
};
use crate::check;
use crate::ctx::{CLIENT_CB, CLIENT_CB2, Ctx, form_pair};
use crate::model::{Check, CheckResult, ensure, fail};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "authz-redir-01",
            ["AUTHZ-REDIR-01"],
            Must,
            Both,
            [],
            "a missing or unknown client_id gives a 400 error page and no redirect",
            redir_01
        ),
        check!(
            "authz-redir-02",
            ["AUTHZ-REDIR-02"],
            Must,
            Both,
            [],
            "a redirect_uri matching none of the client's registrations gives a 400 error page and no code",
            redir_02
        ),
        check!(
            "authz-redir-03a",
            ["AUTHZ-REDIR-03"],
            Must,
            Both,
            [Ua, Admin],
            "without redirect_uri, a client with several registrations or a pattern gets an error page",
            redir_03a
        ),
        check!(
            "authz-redir-03b",
            ["AUTHZ-REDIR-03"],
            Decision,
            Both,
            [Ua, Admin],
            "without redirect_uri, a client's single full registration is used (AMB-06)",
            redir_03b
        ),
        check!(
            "authz-redir-04",
            ["AUTHZ-REDIR-04"],
            Must,
            Both,
            [],
            "a redirect_uri with a fragment, or a relative one, gives an error page",
            redir_04
        ),
        check!(
            "authz-redir-05",
            ["AUTHZ-REDIR-05"],
            Must,
            Both,
            [],
            "reflected input is HTML-escaped on a text/html; charset=utf-8 error page and kept out of headers",
            redir_05
        ),
        check!(
            "authz-redir-06",
            ["AUTHZ-REDIR-06"],
            Must,
            StrictOnly,
            [],
            "strict profile: redirect URIs are compared as exact strings",
            redir_06
        ),
    ]
}

const UNKNOWN_CLIENT: &str = "conformance-no-such-client";

/// `scheme://authority` and the rest (path, query) of an absolute URI.
fn split_uri(uri: &str) -> (&str, &str, &str) {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("https", uri));
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    (scheme, &rest[..cut], &rest[cut..])
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
            code_query(UNKNOWN_CLIENT, Some(CLIENT_CB), &tail),
        ),
        (
            "an unknown client, an attacker's URI",
            code_query(UNKNOWN_CLIENT, Some("https://attacker.example/cb"), &tail),
        ),
        (
            "an unknown client, no redirect_uri",
            code_query(UNKNOWN_CLIENT, None, &tail),
        ),
    ];
    for (case, query) in &cases {
        fresh_error_page(&ctx, query, case).await?;
    }
    Ok(())
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
    let ua = logged_in(&ctx, &client).await?;
    for uri in &uris {
        let query = code_query(&client.id, Some(uri), &format!("{}&state=s", s256()));
        fresh_error_page(&ctx, &query, &format!("{uri}, fresh user agent")).await?;
        let landing = ua.authorize(&query).await?;
        error_page(&landing, &format!("{uri}, logged in"))?;
    }
    Ok(())
}

async fn redir_03a(ctx: Ctx) -> CheckResult {
    let mut registrations = vec![("several registrations", json!([CLIENT_CB, CLIENT_CB2]))];
    // Patterns are a vendor-profile feature; the strict profile refuses to register them.
    if !strict(&ctx) {
        registrations.push(("a host pattern", json!(["https://*.client.example/cb"])));
        registrations.push(("a path pattern", json!(["https://client.example/cb/*"])));
    }
    for (case, urls) in registrations {
        let client = ctx
            .client_with(
                json!({"kind": "one_click", "name": "Pattern shop", "redirect_urls": urls}),
            )
            .await?;
        let query = code_query(&client.id, None, &format!("{}&state=s", s256()));
        let landing = UserAgent::new(&ctx).authorize(&query).await?;
        error_page(&landing, case)?;
    }
    Ok(())
}

async fn redir_03b(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(
            json!({"kind": "one_click", "name": "Single shop", "redirect_urls": [CLIENT_CB]}),
        )
        .await?;
    let query = code_query(&client.id, None, &format!("{}&state=s", s256()));

    let landing = UserAgent::new(&ctx).authorize(&query).await?;

    code_of(&landing)?;
    let location = landing.location()?;
    ensure(
        location.starts_with(&format!("{CLIENT_CB}?")),
        format!("the code sent to the single registration {CLIENT_CB}"),
        super::code_flow::redact_url(location),
    )?;
    ensure(
        landing.param("state").as_deref() == Some("s"),
        "state s",
        super::code_flow::redact_url(location),
    )
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
    for uri in &uris {
        let query = code_query(&client.id, Some(uri), &format!("{}&state=s", s256()));
        fresh_error_page(&ctx, &query, uri).await?;
    }
    Ok(())
}

async fn redir_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let evil = "\"><script>alert(1)</script>";
    let tail = format!("{}&{}", s256(), form_pair("state", evil));
    let cases = [
        (
            "redirect_uri",
            code_query(
                &client.id,
                Some(&format!("{}{evil}", client.redirect())),
                &tail,
            ),
        ),
        (
            "client_id",
            code_query(evil, Some(client.redirect()), &tail),
        ),
        (
            "state with an unknown client",
            code_query(UNKNOWN_CLIENT, Some(client.redirect()), &tail),
        ),
        (
            "state with an unregistered redirect_uri",
            code_query(
                &client.id,
                Some(&format!("https://attacker.example/{evil}")),
                &tail,
            ),
        ),
    ];
    for (case, query) in &cases {
        let reply = UserAgent::new(&ctx).authorize_once(query).await?;

        for (name, value) in &reply.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
            ensure(
                !value.contains("<script") && !value.contains("alert(1)"),
                format!("{case}: no reflected input in headers"),
                format!("{name}: {value}"),
            )?;
        }
        ensure(
            reply.status == 400,
            format!("{case}: a 400 error page"),
            outline(&reply),
        )?;
        let content_type = reply
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace(' ', "");
        ensure(
            content_type == "text/html;charset=utf-8",
            format!("{case}: content-type text/html; charset=utf-8"),
            &content_type,
        )?;
        let body = reply.body.to_ascii_lowercase();
        if body.contains("<script") || body.contains(evil) {
            return Err(fail(
                format!("{case}: the input HTML-escaped"),
                "a raw <script> element in the page",
            ));
        }
    }
    Ok(())
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
    let tail = format!("{}&state=s", s256());
    // The exact string works: the refusals below are about the comparison.
    let exact = UserAgent::new(&ctx)
        .authorize(&code_query(&client.id, Some(client.redirect()), &tail))
        .await?;
    code_of(&exact)?;
    for uri in lookalikes(client.redirect()) {
        let query = code_query(&client.id, Some(&uri), &tail);
        fresh_error_page(&ctx, &query, &uri).await?;
    }
    Ok(())
}
