//! META: authorization server metadata (RFC 8414). Every advertised endpoint and grant is
//! exercised, not just read.

use std::collections::BTreeSet;

use serde_json::Value;

use super::introspect::own_view;
use super::support::{CHALLENGE, CodeRequest, Pkce, client_code, join, redeem, scope_set};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "meta-01",
            ["META-01"],
            [
                (
                    Must,
                    "RFC 8414 §3.2",
                    "A successful response MUST use the 200 OK HTTP status code and return a JSON object using the \"application/json\" content type"
                ),
                (
                    Must,
                    "RFC 8414 §3.2",
                    "Claims that return multiple values are represented as JSON arrays. Claims with zero elements MUST be omitted from the response."
                ),
                (
                    Recommended,
                    "RFC 9700 §2.6",
                    "It is therefore RECOMMENDED that authorization servers publish OAuth Authorization Server Metadata according to [RFC8414]"
                )
            ],
            Both,
            [],
            "the well-known metadata is a JSON object; multi-valued members are arrays, and none is empty",
            meta_01
        ),
        check!(
            "meta-02",
            ["META-02"],
            [
                (
                    Must,
                    "RFC 8414 §3.3",
                    "The \"issuer\" value returned MUST be identical to the authorization server's issuer identifier value into which the well-known URI string was inserted"
                ),
                (
                    Required,
                    "RFC 8414 §2",
                    "issuer REQUIRED. The authorization server's issuer identifier, which is a URL that uses the \"https\" scheme and has no query or fragment components."
                )
            ],
            Both,
            [],
            "issuer is exactly the issuer the well-known URL came from, without query or fragment, https outside loopback",
            meta_02
        ),
        check!(
            "meta-03",
            ["META-03"],
            [
                (
                    Required,
                    "RFC 8414 §2",
                    "response_types_supported REQUIRED. JSON array containing a list of the OAuth 2.0 \"response_type\" values that this authorization server supports."
                ),
                (
                    Must,
                    "RFC 6749 §3.1",
                    "The authorization server MUST support the use of the HTTP \"GET\" method [RFC2616] for the authorization endpoint"
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code"
                ),
                (
                    Decision,
                    "META-03",
                    "`token` is not listed, and authorize without parameters gives an HTML error page."
                )
            ],
            Both,
            [],
            "response_types_supported has code; the authorization and token endpoints are absolute and live (the reference: no token listed, an HTML error page)",
            meta_03
        ),
        check!(
            "meta-04",
            ["META-04"],
            [(
                Decision,
                "META-04",
                "`grant_types_supported` is present and equals the set of grants that work. … Every unlisted grant → unsupported_grant_type."
            )],
            Both,
            [],
            "grant_types_supported lists exactly the grants that work; unlisted grants give unsupported_grant_type",
            meta_04
        ),
        check!(
            "meta-05",
            ["META-05"],
            [(
                Decision,
                "META-05",
                "`token_endpoint_auth_methods_supported` contains `client_secret_basic` and `client_secret_post` … Every listed method works, and `none` and every unlisted method fail."
            )],
            Both,
            [],
            "the auth methods lists have client_secret_basic and client_secret_post, which work; none and unlisted methods fail",
            meta_05
        ),
        check!(
            "meta-06",
            ["META-06"],
            [(
                Recommended,
                "RFC 8414 §2",
                "scopes_supported RECOMMENDED. JSON array containing a list of the OAuth 2.0 [RFC6749] \"scope\" values that this authorization server supports."
            )],
            Both,
            [],
            "scopes_supported is present; where revocation and introspection endpoints are advertised, they work",
            meta_06
        ),
        check!(
            "meta-07a",
            ["META-07"],
            [
                (
                    MustNot,
                    "RFC 8414 §2",
                    "token_endpoint_auth_signing_alg_values_supported … The value \"none\" MUST NOT be used."
                ),
                (
                    Must,
                    "RFC 7636 §4.2",
                    "\"S256\" is Mandatory To Implement (MTI) on the server."
                ),
                (
                    Recommended,
                    "RFC 9700 §2.1.1",
                    "It is RECOMMENDED for authorization servers to publish the element code_challenge_methods_supported in their Authorization Server Metadata"
                ),
                (
                    Decision,
                    "META-07",
                    "No `*_signing_alg_values_supported` member contains `none`."
                )
            ],
            Both,
            [],
            "no client-authentication signing list has none; code_challenge_methods_supported is present and has S256",
            meta_07a
        ),
        check!(
            "meta-07b",
            ["META-07"],
            [(
                Must,
                "RFC 8414 §2",
                "code_challenge_methods_supported … JSON array containing a list of Proof Key for Code Exchange (PKCE) [RFC7636] code challenge methods supported by this authorization server."
            )],
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
    // Found only at OpenID Connect's location: RFC 8414 metadata is a RECOMMENDED.
    let rfc8414 = crate::discovery::metadata_urls(&ctx.run.target.issuer);
    if rfc8414.first() != Some(&url) {
        return Err(deviate(
            format!(
                "RFC 8414 metadata at {}",
                rfc8414.first().map_or("", String::as_str)
            ),
            format!("metadata only at {url}"),
        ));
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
    let warnings = Deviations::default();
    // RFC 8414 §2: the authorization endpoint is REQUIRED unless no grant type uses it (and
    // then response_types_supported may have nothing to list).
    let grants = doc.get("grant_types_supported").map(|g| scope_set(Some(g)));
    let without_authorize = doc.get("authorization_endpoint").is_none()
        && grants.is_some_and(|g| !g.contains("authorization_code") && !g.contains("implicit"));
    let types = if without_authorize && doc.get("response_types_supported").is_none() {
        BTreeSet::new()
    } else {
        strings(&doc, "response_types_supported")?
    };
    if !without_authorize {
        ensure(
            types.contains("code"),
            "response_types_supported with code",
            format!("{types:?}"),
        )?;
    }
    let endpoints: &[&str] = if without_authorize {
        &["token_endpoint"]
    } else {
        &["authorization_endpoint", "token_endpoint"]
    };
    for name in endpoints {
        let url = doc.get(*name).and_then(Value::as_str).unwrap_or("");
        ensure(
            url::Url::parse(url).is_ok(),
            format!("`{name}` as an absolute URL"),
            url,
        )?;
    }

    if !without_authorize {
        let authorize = ctx
            .send(ctx.http().get(ctx.endpoint("authorization")?))
            .await?;
        ensure(
            !matches!(authorize.status, 404 | 405),
            "authorize without parameters: the endpoint is there and takes GET (not 404 or 405)",
            authorize.summary(),
        )?;
        let content_type = authorize.header("content-type").unwrap_or("");
        if !(400..500).contains(&authorize.status) || !content_type.starts_with("text/html") {
            warnings.note(
                "authorize without parameters: an HTML error page (4xx text/html)",
                format!("{} {content_type}", authorize.status),
            );
        }
    }

    let token = ctx.send(ctx.http().post(ctx.endpoint("token")?)).await?;
    ensure(
        (400..500).contains(&token.status) && !matches!(token.status, 404 | 405),
        "token POST without a body: an error, not 404 or 405",
        token.summary(),
    )?;
    ensure(
        token.error_code().is_some(),
        "a JSON error body (RFC 6749 §5.2)",
        &token.body,
    )?;

    // SEC-BCP-04a judges the implicit grant itself; here `token` is the reference's choice.
    if types.contains("token") {
        warnings.note(
            "no token (implicit) in response_types_supported",
            format!("{types:?}"),
        );
    }
    warnings.end()
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

/// The parameters of a request to `endpoint` as `client`: client_credentials with the
/// client's scope at the token endpoint, a fresh token of its own elsewhere.
async fn params_for(ctx: &Ctx, endpoint: &str, client: &ClientCreds) -> Result<String, Outcome> {
    if endpoint != "token" {
        return Ok(form_pair("token", &ctx.access_token(client).await?));
    }
    let mut params = "grant_type=client_credentials".to_owned();
    if let Some(scope) = &client.scope {
        params.push('&');
        params.push_str(&form_pair("scope", scope));
    }
    Ok(params)
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
        // Only the endpoints the target advertises.
        let Ok(url) = ctx.endpoint(endpoint) else {
            continue;
        };
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

        // Introspection may show a caller nothing of its own token (RFC 7662 §2.2): the
        // caller is recognised when the body method sees what Basic sees.
        let mut seen_by_basic = None;
        for method in ["client_secret_basic", "client_secret_post"] {
            let params = params_for(&ctx, endpoint, &client).await?;
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
                let active = reply.json()?.get("active").cloned();
                match &seen_by_basic {
                    None => seen_by_basic = Some(active),
                    Some(basic) => ensure(
                        &active == basic,
                        format!("{method}: the caller recognised as with Basic (active {basic:?})"),
                        format!("active {active:?}"),
                    )?,
                }
            }
        }

        let params = params_for(&ctx, endpoint, &client).await?;
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
            // No Authorization header was sent: 401 is a MAY then (RFC 6749 §5.2), 400 is lawful.
            ensure(
                matches!(reply.status, 400 | 401)
                    && reply.error_code().as_deref() == Some("invalid_client"),
                format!("{endpoint} with {method}: invalid_client (400 or 401)"),
                reply.summary(),
            )?;
        }
    }
    Ok(())
}

async fn meta_06(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let warnings = Deviations::default();
    if doc
        .get("scopes_supported")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        warnings.note("scopes_supported present", "absent");
    }
    // Both endpoints are OPTIONAL (RFC 8414 §2); what is advertised must work.
    let advertised = |name: &str| doc.get(name).is_some_and(Value::is_string);
    if !advertised("revocation_endpoint") || !advertised("introspection_endpoint") {
        warnings.end()?;
        return Err(skip(
            "the target does not advertise both revocation_endpoint and introspection_endpoint (OPTIONAL in RFC 8414 §2)",
        ));
    }
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    // Introspection may hide a client's own token (RFC 7662 §2.2): then nothing to see.
    if let Err(absent) = own_view(&ctx, &client, &token, "").await {
        warnings.end()?;
        return Err(absent);
    }
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
    )?;
    warnings.end()
}

/// RFC 8414 §2's client-authentication signing lists, where "none" MUST NOT be used.
const AUTH_SIGNING_LISTS: [&str; 3] = [
    "token_endpoint_auth_signing_alg_values_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
];

async fn meta_07a(ctx: Ctx) -> CheckResult {
    let doc = metadata(&ctx).clone();
    let warnings = Deviations::default();
    if let Some(object) = doc.as_object() {
        for (name, value) in object {
            if !name.ends_with("_signing_alg_values_supported")
                || !scope_set(Some(value)).contains("none")
            {
                continue;
            }
            if AUTH_SIGNING_LISTS.contains(&name.as_str()) {
                return Err(fail(format!("{name} without none"), value));
            }
            // Elsewhere (OpenID Connect's lists, say) none may be lawful.
            warnings.note(format!("{name} without none"), value);
        }
    }
    match doc.get("code_challenge_methods_supported") {
        None => warnings.note("code_challenge_methods_supported present", "absent"),
        Some(_) => {
            let methods = strings(&doc, "code_challenge_methods_supported")?;
            ensure(
                methods.contains("S256"),
                "code_challenge_methods_supported with S256, which is mandatory to implement",
                format!("{methods:?}"),
            )?;
        }
    }
    warnings.end()
}

async fn meta_07b(ctx: Ctx) -> CheckResult {
    if metadata(&ctx)
        .get("code_challenge_methods_supported")
        .is_none()
    {
        return Err(skip(
            "the metadata has no code_challenge_methods_supported to compare with",
        ));
    }
    let listed = strings(metadata(&ctx), "code_challenge_methods_supported")?.contains("plain");
    let client = ctx.code_client().await?;
    let query = CodeRequest::of(&client)
        .state("plain")
        .pkce(Pkce::Challenge(CHALLENGE, Some("plain")))
        .query();
    let ua = UserAgent::new(&ctx);
    // Any refusal (an error redirect, an error page) means plain does not work.
    let works = match ua.authorize(&query).await?.param("code") {
        Some(code) => {
            ctx.remember(&code);
            // The plain verifier is the challenge itself.
            let params = join(&[
                &form_pair("redirect_uri", client.redirect()),
                &form_pair("code_verifier", CHALLENGE),
            ]);
            redeem(&ctx, &client, &code, &params).await?.status == 200
        }
        None => false,
    };
    if listed && !works {
        // Unless the flow itself does not complete: then plain proves nothing.
        client_code(&ctx, &ua, &client).await.map_err(|_| {
            skip("the code flow does not complete with S256 either: nothing to compare plain with")
        })?;
    }
    ensure(
        works == listed,
        format!("plain listed ({listed}) exactly when it works"),
        format!("plain works: {works}"),
    )
}
