//! IP: the client IP whitelist (seed 000 › 5, seed 001 › IP Address Whitelist; AMB-07 to
//! AMB-11), observed from real source addresses: the target's `source_ips` (127.0.0.2 and
//! 127.0.0.3 on loopback) against the default one.
//!
//! IP-08's trusted-proxy case needs a proxy configured on the server, which a black-box run
//! cannot arrange; what it can observe, that an untrusted peer's forwarding headers change
//! nothing, is checked.

use std::net::IpAddr;

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{
    CC, IfAbsent, client_code, code_grant, exchange, expect_error, granted, refresh_grant,
    refresh_token, with_secret,
};
use super::token_auth::indistinguishable;
use crate::check;
use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, basic, form_pair, member, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, fail, skip};
use crate::ua::UserAgent;

/// TEST-NET-1 (RFC 5737): never a loopback source.
const ELSEWHERE: &str = "192.0.2.0/24";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "ip-01",
            ["IP-01"],
            [(
                Vendor,
                "seed 000 › 5",
                "If you leave this empty, everyone is able to use this."
            )],
            VendorOnly,
            [Ip2],
            "with an empty whitelist, token and check_token calls succeed from the default and the second address",
            ip_01
        ),
        check!(
            "ip-02a",
            ["IP-02"],
            [(
                Vendor,
                "seed 000 › 5",
                "IPs will be checked during server calls e.g token retrieval and check token."
            )],
            VendorOnly,
            [Ip2, Admin],
            "whitelist [second address]: client_credentials from it is 200, from the default address 401 invalid_client",
            ip_02a
        ),
        check!(
            "ip-02b",
            ["IP-02"],
            [(
                Vendor,
                "seed 000 › 5",
                "IPs will be checked during server calls e.g token retrieval and check token."
            )],
            VendorOnly,
            [Ip2, Admin, Ua],
            "whitelist [second address]: code and refresh grants from it are 200, from the default address 401 invalid_client",
            ip_02b
        ),
        check!(
            "ip-03a",
            ["IP-03"],
            [
                (
                    Vendor,
                    "seed 000 › 5",
                    "IPs will be checked during server calls e.g token retrieval and check token."
                ),
                (
                    Decision,
                    "AMB-08",
                    "every request in which the client authenticates with its secret: all grants at the token endpoint, check_token, introspection and revocation."
                )
            ],
            VendorOnly,
            [Ip2, Admin],
            "the whitelist applies at introspection, check_token and revocation: 401 from an unlisted address, the token unchanged",
            ip_03a
        ),
        check!(
            "ip-03b",
            ["IP-03"],
            [(
                Decision,
                "AMB-11",
                "the caller's, i.e. the authenticating client's."
            )],
            VendorOnly,
            [Ip2, Admin],
            "at introspection and check_token the calling client's whitelist applies, not the token owner's (AMB-11)",
            ip_03b
        ),
        check!(
            "ip-04",
            ["IP-04"],
            [(
                Decision,
                "AMB-08",
                "Not the authorization endpoint, which serves the end user's browser"
            )],
            VendorOnly,
            [Ip2, Admin, Ua],
            "the whitelist does not apply at the authorization endpoint: a browser on an unlisted address gets its code",
            ip_04
        ),
        check!(
            "ip-05",
            ["IP-05"],
            [(
                Decision,
                "AMB-10",
                "401 `invalid_client`, identical to a wrong secret, produced whatever the secret."
            )],
            VendorOnly,
            [Ip2, Admin],
            "a refusal on address grounds looks exactly like a wrong secret, whether the secret is right or not (AMB-10)",
            ip_05
        ),
        check!(
            "ip-06a",
            ["IP-06"],
            [(
                Decision,
                "AMB-07",
                "Entries may be IPv4, IPv6 and CIDR blocks of either family; a single address is /32 or /128."
            )],
            VendorOnly,
            [Ip2, Admin],
            "CIDR entries admit the addresses of their block and no others",
            ip_06a
        ),
        check!(
            "ip-06b",
            ["IP-06"],
            [(
                Decision,
                "AMB-07",
                "An IPv4-mapped IPv6 peer is compared as IPv4."
            )],
            VendorOnly,
            [Ip2, Admin],
            "IPv6 entries are accepted, and an IPv4-mapped entry (::ffff:a.b.c.d) matches the IPv4 peer",
            ip_06b
        ),
        check!(
            "ip-06c",
            ["IP-06"],
            [(
                Decision,
                "AMB-07",
                "Zone ids, host names and invalid prefixes are refused at provisioning."
            )],
            VendorOnly,
            [Admin],
            "invalid whitelist entries (300.1.1.1, 10.0.0.0/33, fe80::1%eth0, host names) are refused by the admin API with 400",
            ip_06c
        ),
        check!(
            "ip-07",
            ["IP-07"],
            [
                (
                    Must,
                    "RFC 9700 §4.13",
                    "the attacker could simply add an allowed IP address to the header and render the protection useless. A reverse proxy MUST therefore sanitize any inbound requests"
                ),
                (
                    Decision,
                    "AMB-09",
                    "the TCP peer address. `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are honoured only when the peer is in an operator-configured list of trusted proxies."
                )
            ],
            VendorOnly,
            [Ip2, Admin],
            "X-Forwarded-For, Forwarded or X-Real-IP naming a listed address, sent from an unlisted peer, are ignored: 401",
            ip_07
        ),
        check!(
            "ip-08",
            ["IP-08"],
            [(
                Decision,
                "AMB-09",
                "walk the chain from the right and take the first address that is not a trusted proxy."
            )],
            VendorOnly,
            [Ip2, Admin],
            "forwarding headers from an untrusted peer are ignored both ways: they neither admit an unlisted peer nor refuse a listed one",
            ip_08
        ),
        check!(
            "ip-09",
            ["IP-09"],
            [(
                Vendor,
                "seed 001 › IP Address Whitelist",
                "This is an optional Whitelist of Merchant IP-addresses. This can be changed/updated at a later stage."
            )],
            VendorOnly,
            [Ip2, Admin],
            "a whitelist edit applies from the very next request, and clearing the list opens access to every address",
            ip_09
        ),
    ]
}

/// A third local address besides the default and [`Ctx::second_ip`], if the target file has one.
fn third_ip(ctx: &Ctx) -> Option<IpAddr> {
    ctx.run.target.source_ips.get(1).copied()
}

/// Where a request came from, for messages.
fn from(source: Option<IpAddr>) -> String {
    source.map_or_else(|| "the default address".to_owned(), |ip| ip.to_string())
}

/// An Admin API client (client_credentials) with this whitelist.
async fn listed_client(ctx: &Ctx, whitelist: &[String]) -> Result<ClientCreds, Outcome> {
    ctx.client_with(
        json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "ip_whitelist": whitelist}),
    )
    .await
}

/// A form POST with Basic as `client` to an endpoint, from `source` (the default when None).
async fn post_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    endpoint: &str,
    client: &ClientCreds,
    body: &str,
    extra_header: Option<(&str, &str)>,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint(endpoint)?;
    let http = source.map_or_else(|| ctx.http().clone(), |ip| ctx.http_from(ip));
    let mut request = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    if let Some((name, value)) = extra_header {
        request = request.header(name, value);
    }
    ctx.send_via(basic(request, client), source).await
}

/// client_credentials with the client's scope, if it has one.
fn cc_body(client: &ClientCreds) -> String {
    match &client.scope {
        Some(scope) => format!("{CC}&{}", form_pair("scope", scope)),
        None => CC.to_owned(),
    }
}

async fn cc_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    client: &ClientCreds,
) -> Result<Reply, Outcome> {
    post_from(ctx, source, "token", client, &cc_body(client), None).await
}

/// `token=…` to introspection, check_token or revocation, from `source`.
async fn token_call_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    endpoint: &str,
    caller: &ClientCreds,
    token: &str,
) -> Result<Reply, Outcome> {
    post_from(
        ctx,
        source,
        endpoint,
        caller,
        &form_pair("token", token),
        None,
    )
    .await
}

/// 200 with a token, or a failure naming the case.
fn admitted(reply: &Reply, case: &str) -> Result<Value, Outcome> {
    granted(reply, case)
}

/// The whitelist's one refusal: 401 invalid_client (AMB-10).
fn refused(reply: &Reply, case: &str) -> CheckResult {
    expect_error(reply, &[401], &["invalid_client"])
        .map_err(|_| fail(format!("{case}: 401 invalid_client"), reply.summary()))
}

/// Shut out on address grounds: refused, no token (the seed's rule, and RFC 9700 §4.13's for
/// forged headers); the reference's 401 invalid_client is AMB-10's shape, noted when missing.
fn shut_out(warnings: &Deviations, reply: &Reply, case: &str) -> CheckResult {
    ensure(
        !(200..300).contains(&reply.status),
        format!("{case}: refused"),
        reply.summary(),
    )?;
    if let Err(Outcome::Fail { expected, actual }) = refused(reply, case) {
        warnings.note(format!("{expected} (AMB-10)"), actual);
    }
    Ok(())
}

async fn access_token_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    client: &ClientCreds,
) -> Result<String, Outcome> {
    let reply = cc_from(ctx, source, client).await?;
    member(
        &admitted(&reply, &format!("a token from {}", from(source)))?,
        "access_token",
    )
}

/// `active` of `token` as introspected by `caller` from `source`; a failure unless 200.
async fn active_from(
    ctx: &Ctx,
    source: Option<IpAddr>,
    caller: &ClientCreds,
    token: &str,
) -> Result<bool, Outcome> {
    let reply = token_call_from(ctx, source, "introspection", caller, token).await?;
    ensure(
        reply.status == 200,
        format!("200 from introspection from {}", from(source)),
        reply.summary(),
    )?;
    Ok(reply.json()?.get("active") == Some(&Value::Bool(true)))
}

async fn set_whitelist(ctx: &Ctx, client: &ClientCreds, entries: &[String]) -> CheckResult {
    let path = format!("/admin/clients/{}", url_path_segment(&client.id));
    let reply = ctx
        .send(
            ctx.admin(Method::PATCH, &path)?
                .json(&json!({ "ip_whitelist": entries })),
        )
        .await?;
    ensure(
        reply.status == 200,
        format!("200 setting ip_whitelist {entries:?}"),
        reply.summary(),
    )
}

async fn ip_01(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = ctx.cc_client().await?;
    for source in [None, Some(second)] {
        let token = access_token_from(&ctx, source, &client).await?;
        let reply = token_call_from(&ctx, source, "check_token", &client, &token).await?;
        ensure(
            reply.status == 200,
            format!("200 from check_token from {}", from(source)),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn ip_02a(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = listed_client(&ctx, &[second.to_string()]).await?;
    admitted(
        &cc_from(&ctx, Some(second), &client).await?,
        &format!("client_credentials from the listed {second}"),
    )?;
    let warnings = Deviations::default();
    shut_out(
        &warnings,
        &cc_from(&ctx, None, &client).await?,
        "client_credentials from the default address",
    )?;
    warnings.end()
}

async fn ip_02b(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "name": "Listed shop",
            "redirect_urls": [CLIENT_CB],
            "ip_whitelist": [second.to_string()],
        }))
        .await?;
    // The authorization endpoint is the browser's and not whitelisted (IP-04): two codes, so a
    // refused redemption cannot spoil the admitted one.
    let ua = UserAgent::new(&ctx);
    let first_code = client_code(&ctx, &ua, &client).await?;
    let second_code = client_code(&ctx, &ua, &client).await?;
    let redemption = |code: &str| code_grant(code, &exchange(client.redirect()));
    let warnings = Deviations::default();
    shut_out(
        &warnings,
        &post_from(&ctx, None, "token", &client, &redemption(&first_code), None).await?,
        "authorization_code from the default address",
    )?;
    let tokens = admitted(
        &post_from(
            &ctx,
            Some(second),
            "token",
            &client,
            &redemption(&second_code),
            None,
        )
        .await?,
        &format!("authorization_code from the listed {second}"),
    )?;
    let body = refresh_grant(&refresh_token(&tokens, IfAbsent::Skip)?, "");
    shut_out(
        &warnings,
        &post_from(&ctx, None, "token", &client, &body, None).await?,
        "refresh_token from the default address",
    )?;
    admitted(
        &post_from(&ctx, Some(second), "token", &client, &body, None).await?,
        &format!("refresh_token from the listed {second}"),
    )?;
    warnings.end()
}

async fn ip_03a(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = listed_client(&ctx, &[second.to_string()]).await?;
    let token = access_token_from(&ctx, Some(second), &client).await?;
    let warnings = Deviations::default();
    // check_token is the seed's ("check token"); introspection and revocation are AMB-08's.
    for endpoint in ["check_token", "introspection", "revocation"] {
        let reply = token_call_from(&ctx, None, endpoint, &client, &token).await?;
        let case = format!("{endpoint} by the owner from the default address");
        let refusal = if endpoint == "check_token" {
            shut_out(&warnings, &reply, &case)
        } else {
            refused(&reply, &case)
        };
        let alive = active_from(&ctx, Some(second), &client, &token).await?;
        let kept = ensure(
            alive,
            format!("the token still active after the refused {endpoint}"),
            "inactive",
        );
        for result in [refusal, kept] {
            match result {
                Err(Outcome::Fail { expected, actual }) if endpoint != "check_token" => {
                    warnings.note(expected, actual);
                }
                other => other?,
            }
        }
    }
    warnings.end()
}

async fn ip_03b(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    // The tokens of an Admin API client are meant for backoffice_api (AMB-25), so a resource
    // server for it may inspect them (AMB-33).
    let resource_server = |whitelist: Vec<String>| {
        let ctx = ctx.clone();
        async move {
            ctx.client_with(json!({
                "kind": "resource_server",
                "resource_ids": ["backoffice_api"],
                "ip_whitelist": whitelist,
            }))
            .await
        }
    };
    let open_owner = listed_client(&ctx, &[]).await?;
    let open_token = access_token_from(&ctx, None, &open_owner).await?;
    let listed_owner = listed_client(&ctx, &[second.to_string()]).await?;
    let listed_token = access_token_from(&ctx, Some(second), &listed_owner).await?;
    let listed_caller = resource_server(vec![second.to_string()]).await?;
    let open_caller = resource_server(Vec::new()).await?;
    for endpoint in ["introspection", "check_token"] {
        // The owner admits everyone; the caller's own list still refuses.
        refused(
            &token_call_from(&ctx, None, endpoint, &listed_caller, &open_token).await?,
            &format!("{endpoint} by a caller listed on {second}, from the default address"),
        )?;
        let reply =
            token_call_from(&ctx, Some(second), endpoint, &listed_caller, &open_token).await?;
        ensure(
            reply.status == 200 && reply.json()?.get("active") == Some(&Value::Bool(true)),
            format!("{endpoint} by the caller from its listed {second}: 200, active"),
            reply.summary(),
        )?;
        // The owner is listed elsewhere; an open caller is admitted from anywhere.
        let reply = token_call_from(&ctx, None, endpoint, &open_caller, &listed_token).await?;
        ensure(
            reply.status == 200 && reply.json()?.get("active") == Some(&Value::Bool(true)),
            format!(
                "{endpoint} by an unlisted caller from the default address, of a token whose owner is listed on {second}: 200, active"
            ),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn ip_04(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "name": "Listed shop",
            "redirect_urls": [CLIENT_CB],
            "ip_whitelist": [second.to_string()],
        }))
        .await?;
    // The user agent runs from the default address, which the client does not list.
    let ua = UserAgent::new(&ctx);
    let code = client_code(&ctx, &ua, &client).await?;
    // The code is real: the client redeems it from its listed address.
    admitted(
        &post_from(
            &ctx,
            Some(second),
            "token",
            &client,
            &code_grant(&code, &exchange(client.redirect())),
            None,
        )
        .await?,
        "the code redeemed from the listed address",
    )?;
    Ok(())
}

async fn ip_05(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = listed_client(&ctx, &[second.to_string()]).await?;
    let wrong = with_secret(&client, "wrong-secret");
    let wrong_listed = cc_from(&ctx, Some(second), &wrong).await?;
    refused(&wrong_listed, "a wrong secret from the listed address")?;
    let right_unlisted = cc_from(&ctx, None, &client).await?;
    indistinguishable(
        &wrong_listed,
        &right_unlisted,
        "the right secret from an unlisted address, against a wrong secret",
    )?;
    let wrong_unlisted = cc_from(&ctx, None, &wrong).await?;
    indistinguishable(
        &wrong_listed,
        &wrong_unlisted,
        "a wrong secret from an unlisted address, against a wrong secret",
    )
}

/// The /30 block around an IPv4 address, or a /126 around an IPv6 one.
fn block_around(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let base = u32::from(v4) & !0b11;
            format!("{}/30", std::net::Ipv4Addr::from(base))
        }
        IpAddr::V6(v6) => {
            let base = u128::from(v6) & !0b11;
            format!("{}/126", std::net::Ipv6Addr::from(base))
        }
    }
}

async fn ip_06a(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let block = block_around(second);
    let client = listed_client(&ctx, std::slice::from_ref(&block)).await?;
    admitted(
        &cc_from(&ctx, Some(second), &client).await?,
        &format!("{second} with the entry {block}"),
    )?;
    let outside = listed_client(&ctx, &[ELSEWHERE.to_owned()]).await?;
    refused(
        &cc_from(&ctx, Some(second), &outside).await?,
        &format!("{second} with the entry {ELSEWHERE}"),
    )
}

async fn ip_06b(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let IpAddr::V4(v4) = second else {
        return Err(skip(
            "the mapped-address case needs an IPv4 second address in source_ips",
        ));
    };
    let v6_only = listed_client(&ctx, &["::1/128".to_owned(), "2001:db8::/32".to_owned()]).await?;
    refused(
        &cc_from(&ctx, Some(second), &v6_only).await?,
        &format!("{second} against the IPv6 entries ::1/128 and 2001:db8::/32"),
    )?;
    let mapped = format!("::ffff:{v4}");
    let client = listed_client(&ctx, std::slice::from_ref(&mapped)).await?;
    admitted(
        &cc_from(&ctx, Some(second), &client).await?,
        &format!("{second} against the entry {mapped}"),
    )?;
    Ok(())
}

async fn ip_06c(ctx: Ctx) -> CheckResult {
    for entry in ["300.1.1.1", "10.0.0.0/33", "fe80::1%eth0", "host.example"] {
        let body =
            json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "ip_whitelist": [entry]});
        let reply = ctx
            .send(ctx.admin(Method::POST, "/admin/clients")?.json(&body))
            .await?;
        if reply.status == 201 {
            // Not ours to keep: the runner only deletes what ctx created.
            if let Ok(id) = reply.json().and_then(|view| member(&view, "client_id")) {
                let path = format!("/admin/clients/{}", url_path_segment(&id));
                ctx.send(ctx.admin(Method::DELETE, &path)?).await?;
            }
        }
        ensure(
            reply.status == 400,
            format!("400 for the whitelist entry {entry:?}"),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn ip_07(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let listed = second.to_string();
    let client = listed_client(&ctx, std::slice::from_ref(&listed)).await?;
    let forwarded = match second {
        IpAddr::V4(_) => format!("for={listed}"),
        IpAddr::V6(_) => format!("for=\"[{listed}]\""),
    };
    let headers = [
        ("x-forwarded-for", listed.clone()),
        ("forwarded", forwarded),
        ("x-real-ip", listed.clone()),
    ];
    let warnings = Deviations::default();
    for (name, value) in &headers {
        let reply = post_from(
            &ctx,
            None,
            "token",
            &client,
            &cc_body(&client),
            Some((name, value)),
        )
        .await?;
        shut_out(
            &warnings,
            &reply,
            &format!("`{name}: {value}` from the default address"),
        )?;
    }
    warnings.end()
}

async fn ip_08(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let listed = second.to_string();
    let client = listed_client(&ctx, std::slice::from_ref(&listed)).await?;
    // A peer that is neither listed nor a proxy: the third address if there is one, else the
    // default one.
    let untrusted = third_ip(&ctx);
    let chain = format!("{listed}, 10.9.9.9");
    for value in [listed.as_str(), chain.as_str(), "10.9.9.9, 127.0.0.1"] {
        let reply = post_from(
            &ctx,
            untrusted,
            "token",
            &client,
            &cc_body(&client),
            Some(("x-forwarded-for", value)),
        )
        .await?;
        refused(
            &reply,
            &format!(
                "`X-Forwarded-For: {value}` from the untrusted {}",
                from(untrusted)
            ),
        )?;
    }
    // The listed peer stays itself whatever it claims to forward.
    let reply = post_from(
        &ctx,
        Some(second),
        "token",
        &client,
        &cc_body(&client),
        Some(("x-forwarded-for", "10.9.9.9")),
    )
    .await?;
    admitted(
        &reply,
        &format!("`X-Forwarded-For: 10.9.9.9` from the listed {second}"),
    )?;
    Ok(())
}

async fn ip_09(ctx: Ctx) -> CheckResult {
    let second = ctx.second_ip()?;
    let client = listed_client(&ctx, &[second.to_string()]).await?;
    let warnings = Deviations::default();
    shut_out(
        &warnings,
        &cc_from(&ctx, None, &client).await?,
        "before any edit, from the default address",
    )?;
    admitted(
        &cc_from(&ctx, Some(second), &client).await?,
        &format!("before any edit, from the listed {second}"),
    )?;
    set_whitelist(&ctx, &client, &[ELSEWHERE.to_owned()]).await?;
    shut_out(
        &warnings,
        &cc_from(&ctx, Some(second), &client).await?,
        &format!("right after replacing the list by {ELSEWHERE}, from {second}"),
    )?;
    set_whitelist(&ctx, &client, &[]).await?;
    for source in [None, Some(second)] {
        admitted(
            &cc_from(&ctx, source, &client).await?,
            &format!("right after clearing the list, from {}", from(source)),
        )?;
    }
    warnings.end()
}
