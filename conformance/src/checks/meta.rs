//! META: authorization server metadata (RFC 8414). Every advertised endpoint and grant is
//! exercised, not just read.

use std::collections::BTreeSet;

use serde_json::Value;

use super::flow::{CHALLENGE, scope_set};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "meta-01",
            ["META-01"],
            Must,
            Both,
            [],
            "the well-known metadata is a JSON object; multi-valued members are arrays, and none is empty",
            meta_01
        ),
        check!(
            "meta-02",
            ["META-02"],
            Must,
            Both,
            [],
            "issuer is exactly the issuer the well-known URL came from, without query or fragment, https outside loopback",
            meta_02
        ),
        check!(
            "meta-03",
            ["META-03"],
            Must,
            Both,
            [],
            "response_types_supported has code but not token; the authorization and token endpoints are absolute and live",
            meta_03
        ),
        check!(
            "meta-04",
            ["META-04"],
            Decision,
            Both,
            [],
            "grant_types_supported lists exactly the grants that work; unlisted grants give unsupported_grant_type",
            meta_04
        ),
        check!(
            "meta-05",
            ["META-05"],
            Decision,
            Both,
            [],
            "the auth methods lists have client_secret_basic and client_secret_post, which work; none and unlisted methods fail",
            meta_05
        ),
        check!(
            "meta-06",
            ["META-06"],
            Should,
            Both,
            [],
            "revocation and introspection endpoints are advertised and work, and scopes_supported is present",
            meta_06
        ),
        check!(
            "meta-07a",
            ["META-07"],
            Must,
            Both,
            [],
            "code_challenge_methods_supported has S256, and no signing algorithm list has none",
            meta_07a
        ),
        check!(
            "meta-07b",
            ["META-07"],
            Must,
            Both,
            [Ua],
            "code_challenge_methods_supported lists plain exactly when plain works",
            meta_07b
        ),
    ]
}

fn metadata(ctx: &Ctx) -> &Value {
    &ctx.endpoints().metadata
}

/// The string values of an array member; a failure if it is not one.
fn strings(doc: &Value, name: &str) -> Result<BTreeSet<String>, Outcome> {
    let values = doc.get(name).and_then(Value::as_array).ok_or_else(|| {
        fail(
            format!("`{name}` as an array"),
            doc.get(name).map_or("absent".into(), Value::to_string),
        )
    })?;
    Ok(values
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect())
}

async fn meta_01(ctx: Ctx) -> CheckResult {
    let url = ctx.endpoints().metadata_url.clone();
    let reply = ctx.send(ctx.http().get(&url)).await?;
    ensure(
        reply.status == 200,
        format!("200 from {url}"),
        reply.summary(),
    )?;
    let content_type = reply.header("content-type").unwrap_or("");
    ensure(
        content_type.starts_with("application/json"),
        "Content-Type: application/json",
        content_type,
    )?;
    let body = reply.json()?;
    let object = body
        .as_object()
        .ok_or_else(|| fail("a JSON object", &body))?;
    for (name, value) in object {
        if let Some(values) = value.as_array() {
            ensure(
                !values.is_empty(),
                format!("`{name}` not an empty array"),
                "[]",
            )?;
        }
        // A `_supported` member is a list, or a flag such as RFC 9207's
        // `authorization_response_iss_parameter_supported`.
        if name.ends_with("_supported") {
            ensure(
                value.is_array() || value.is_boolean(),
                format!("`{name}` as an array (or a boolean flag)"),
                value,
            )?;
        }
    }
    Ok(())
}

async fn meta_02(ctx: Ctx) -> CheckResult {
    let expected = ctx.run.target.issuer.trim_end_matches('/');
    let issuer = metadata(&ctx)
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("a string issuer", metadata(&ctx)))?;
    ensure(
        issuer.trim_end_matches('/') == expected,
        format!("issuer {expected}"),
        issuer,
    )?;
    // The well-known URL must be the one derived from that issuer (RFC 8414 §3.1).
    let derived = crate::discovery::metadata_urls(issuer);
    let used = &ctx.endpoints().metadata_url;
    ensure(
        derived.contains(used),
        format!("metadata at one of {derived:?}"),
        used,
    )?;
    let parsed = url::Url::parse(issuer).map_err(|e| fail("an absolute issuer URL", e))?;
    ensure(
        parsed.query().is_none() && parsed.fragment().is_none(),
        "no query or fragment",
        issuer,
    )?;
    if parsed.scheme() != "https" {
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        ensure(
            parsed.scheme() == "http" && loopback,
            "https, or http on loopback only",
            issuer,
        )?;
    }
    Ok(())
}

async fn meta_03(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let types = strings(&doc, "response_types_supported")?;
    ensure(
        types.contains("code"),
        "response_types_supported with code",
        format!("{types:?}"),
    )?;
    ensure(
        !types.contains("token"),
        "no token (implicit) in response_types_supported",
        format!("{types:?}"),
    )?;
    for name in ["authorization_endpoint", "token_endpoint"] {
        let url = doc.get(name).and_then(Value::as_str).unwrap_or("");
        ensure(
            url::Url::parse(url).is_ok(),
            format!("`{name}` as an absolute URL"),
            url,
        )?;
    }

    let authorize = ctx
        .send(ctx.http().get(ctx.endpoint("authorization")?))
        .await?;
    ensure(
        (400..500).contains(&authorize.status) && authorize.status != 404,
        "authorize without parameters: an error page, not 404",
        authorize.summary(),
    )?;
    let content_type = authorize.header("content-type").unwrap_or("");
    ensure(
        content_type.starts_with("text/html"),
        "an HTML error page",
        content_type,
    )?;

    let token = ctx.send(ctx.http().post(ctx.endpoint("token")?)).await?;
    ensure(
        (400..500).contains(&token.status) && token.status != 404,
        "token POST without a body: a JSON error, not 404",
        token.summary(),
    )?;
    ensure(
        token.error_code().is_some(),
        "a JSON error body",
        &token.body,
    )
}

/// The token endpoint's `error` for `grant_type` as `client`, with made-up grant values.
async fn grant_error(
    ctx: &Ctx,
    client: &ClientCreds,
    grant: &str,
) -> Result<crate::http::Reply, Outcome> {
    let body = [
        form_pair("grant_type", grant),
        form_pair("code", "made-up-code"),
        form_pair("refresh_token", "made-up-token"),
        form_pair("redirect_uri", client.redirect()),
        form_pair("username", "u"),
        form_pair("password", "p"),
    ]
    .join("&");
    ctx.token(client, &body).await
}

async fn meta_04(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let Some(listed) = doc.get("grant_types_supported") else {
        return Err(deviate(
            "grant_types_supported present (absent means authorization_code and implicit)",
            "absent",
        ));
    };
    let listed = scope_set(Some(listed));
    let cc = ctx.cc_client().await?;
    let code = ctx.code_client().await?;

    let works = ctx.client_credentials(&cc).await?;
    ensure(
        (works.status == 200) == listed.contains("client_credentials"),
        format!("client_credentials works exactly when listed ({listed:?})"),
        works.summary(),
    )?;
    // A made-up code or refresh token is a bad grant when the grant is served.
    for grant in ["authorization_code", "refresh_token"] {
        let reply = grant_error(&ctx, &code, grant).await?;
        let served = reply.error_code().as_deref() != Some("unsupported_grant_type");
        ensure(
            served == listed.contains(grant),
            format!("{grant} served exactly when listed ({listed:?})"),
            reply.summary(),
        )?;
    }
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:example:nope",
    ] {
        if listed.contains(grant) {
            continue;
        }
        let reply = grant_error(&ctx, &code, grant).await?;
        ensure(
            reply.status == 400 && reply.error_code().as_deref() == Some("unsupported_grant_type"),
            format!("{grant} (unlisted): 400 unsupported_grant_type"),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn meta_05(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let client = ctx.cc_client().await?;
    for (endpoint, list) in [
        ("token", "token_endpoint_auth_methods_supported"),
        (
            "introspection",
            "introspection_endpoint_auth_methods_supported",
        ),
        ("revocation", "revocation_endpoint_auth_methods_supported"),
    ] {
        let url = ctx.endpoint(endpoint)?;
        let methods = match doc.get(list) {
            Some(value) => scope_set(Some(value)),
            // Absent means client_secret_basic only (RFC 8414 §2).
            None => BTreeSet::from(["client_secret_basic".to_owned()]),
        };
        for method in ["client_secret_basic", "client_secret_post"] {
            ensure(
                methods.contains(method),
                format!("{list} with {method}"),
                format!("{methods:?}"),
            )?;
        }
        ensure(
            !methods.contains("none"),
            format!("{list} without none"),
            format!("{methods:?}"),
        )?;

        for method in ["client_secret_basic", "client_secret_post"] {
            let params = if endpoint == "token" {
                "grant_type=client_credentials".to_owned()
            } else {
                form_pair("token", &ctx.access_token(&client).await?)
            };
            let request = if method == "client_secret_basic" {
                basic(ctx.post_form(&url, &params), &client)
            } else {
                let body = format!(
                    "{params}&{}&{}",
                    form_pair("client_id", &client.id),
                    form_pair("client_secret", client.secret.expose())
                );
                ctx.post_form(&url, &body)
            };
            let reply = ctx.send(request).await?;
            ensure(
                reply.status == 200,
                format!("{endpoint} with {method}: 200"),
                reply.summary(),
            )?;
            if endpoint == "introspection" {
                let body = reply.json()?;
                ensure(
                    body["active"] == true,
                    format!("{method}: the caller was recognised"),
                    &body,
                )?;
            }
        }

        let params = if endpoint == "token" {
            "grant_type=client_credentials".to_owned()
        } else {
            form_pair("token", &ctx.access_token(&client).await?)
        };
        let id = form_pair("client_id", &client.id);
        for (method, body) in [
            ("none", format!("{params}&{id}")),
            (
                "a client assertion",
                format!(
                    "{params}&{id}&{}&{}",
                    form_pair(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    ),
                    form_pair("client_assertion", "eyJhbGciOiJub25lIn0.e30.")
                ),
            ),
        ] {
            let reply = ctx.send(ctx.post_form(&url, &body)).await?;
            ensure(
                reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client"),
                format!("{endpoint} with {method}: 401 invalid_client"),
                reply.summary(),
            )?;
        }
    }
    Ok(())
}

async fn meta_06(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    for name in ["revocation_endpoint", "introspection_endpoint"] {
        ensure(
            doc.get(name).is_some_and(Value::is_string),
            format!("`{name}` advertised"),
            "absent",
        )?;
    }
    ensure(
        doc.get("scopes_supported")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty()),
        "scopes_supported present",
        "absent",
    )?;
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let before = ctx.introspect(&client, &token).await?;
    ensure(
        before["active"] == true,
        "introspection finds the live token",
        &before,
    )?;
    let revoked = ctx.token_call("revocation", &client, &token).await?;
    ensure(
        revoked.status == 200,
        "revocation answers 200",
        revoked.summary(),
    )?;
    let after = ctx.introspect(&client, &token).await?;
    ensure(
        after["active"] == false,
        "the revoked token is inactive",
        &after,
    )
}

async fn meta_07a(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let methods = strings(&doc, "code_challenge_methods_supported")?;
    ensure(
        methods.contains("S256"),
        "code_challenge_methods_supported with S256",
        format!("{methods:?}"),
    )?;
    if let Some(object) = doc.as_object() {
        for (name, value) in object {
            if name.ends_with("_signing_alg_values_supported") {
                ensure(
                    !scope_set(Some(value)).contains("none"),
                    format!("{name} without none"),
                    value,
                )?;
            }
        }
    }
    Ok(())
}

async fn meta_07b(ctx: Ctx) -> CheckResult {
    let listed = strings(metadata(&ctx), "code_challenge_methods_supported")?.contains("plain");
    let client = ctx.code_client().await?;
    let query = [
        form_pair("response_type", "code"),
        form_pair("client_id", &client.id),
        form_pair("redirect_uri", client.redirect()),
        form_pair("state", "plain"),
        form_pair("code_challenge", CHALLENGE),
        form_pair("code_challenge_method", "plain"),
    ]
    .join("&");
    let landing = UserAgent::new(&ctx).authorize(&query).await?;
    landing.location()?;
    let works = match landing.param("code") {
        Some(code) => {
            ctx.remember(&code);
            let body = [
                form_pair("grant_type", "authorization_code"),
                form_pair("code", &code),
                form_pair("redirect_uri", client.redirect()),
                form_pair("code_verifier", CHALLENGE),
            ]
            .join("&");
            ctx.token(&client, &body).await?.status == 200
        }
        None => false,
    };
    ensure(
        works == listed,
        format!("plain listed ({listed}) exactly when it works"),
        format!("plain works: {works}"),
    )
}
