//! VREDIR: the vendor's redirect URL patterns (seed 000 › 3; AMB-01 to AMB-03).
//!
//! Registration is judged by the admin API's answer; matching at the authorization endpoint by
//! where a logged-in user agent lands: a redirect back to the client is an accepted URI, the
//! server's own page a rejected one.
//!
//! Layout: this module reads a URI's fate (accepted, rejected, registered, refused) for these
//! checks, SEC-BCP and the redirect properties; each submodule declares its checks next to their
//! run functions, in catalog order: `query` (VREDIR-01 to VREDIR-04), `scheme_port` (VREDIR-05),
//! `host` (VREDIR-06, VREDIR-07), `path` (VREDIR-08) and `syntax` (VREDIR-09, VREDIR-10).

use reqwest::Method;
use serde_json::json;
use url::Url;

use super::support::{CodeRequest, STATE};
use crate::ctx::{ClientCreds, Ctx, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, Profile, deviate, ensure, fail};
use crate::ua::{Landing, UserAgent};

mod host;
mod path;
mod query;
mod scheme_port;
mod syntax;

pub(super) fn checks() -> Vec<Check> {
    [
        query::checks(),
        scheme_port::checks(),
        host::checks(),
        path::checks(),
        syntax::checks(),
    ]
    .concat()
}

// ---------------------------------------------------------------------------------------------
// Shared with SEC-BCP and the redirect properties.

/// A page that is a login the agent cannot drive: the request was never judged, so nothing
/// can be concluded from it (a skip naming why).
pub(super) fn unjudged(landing: &Landing) -> CheckResult {
    match landing {
        Landing::Page {
            unscriptable_login: Some(_),
            ..
        } => landing.location().map(|_| ()),
        _ => Ok(()),
    }
}

/// `client`'s request to `uri`, with the scope the target file gives it (a server may require
/// one).
pub(super) fn client_query(client: &ClientCreds, uri: &str) -> String {
    CodeRequest::to(&client.id, Some(uri))
        .scope(client.scope.as_deref())
        .query()
}

/// `uri` is accepted: the agent lands on `expected` (same scheme, host, port and path, the
/// same query in order) plus `code` and our `state`, with no fragment.
pub(super) async fn expect_accepted(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    uri: &str,
    expected: &str,
) -> CheckResult {
    let landing = ua.authorize(&client_query(client, uri)).await?;
    unjudged(&landing)?;
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

/// Same scheme, host, port and path, no fragment, and the query of `expected` kept in order,
/// followed only by what the server adds (the response parameters, and any extension ones).
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
        && got_query.starts_with(&want_query)
}

/// `uri` is refused: the flow ends on the server's own page. A redirect that carries a code,
/// or that goes to `uri` itself, fails (RFC 6749 §4.1.2.1); an error redirect elsewhere (to
/// the client's registered URI) only deviates from the error page the catalog wants.
pub(super) async fn expect_rejected(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    uri: &str,
) -> CheckResult {
    let landing = ua.authorize(&client_query(client, uri)).await?;
    unjudged(&landing)?;
    let Landing::Redirect(location) = &landing else {
        return Ok(());
    };
    let expected = format!("{uri} refused: the server's own error page");
    let shown = format!("a redirect to {}", ctx.run.redactor.url(location));
    if landing.param("code").is_some() || same_endpoint(location, uri) {
        return Err(fail(expected, shown));
    }
    Err(deviate(expected, format!("an error {shown}")))
}

/// Does the redirect go to `uri` itself, as a browser reads both: the same scheme,
/// user-info, host, port and path, `uri`'s query first in the location's, and its fragment
/// kept? A location with what made `uri` invalid stripped (a registered URI) does not.
fn same_endpoint(location: &str, uri: &str) -> bool {
    let (Ok(a), Ok(b)) = (Url::parse(location), Url::parse(uri)) else {
        return true;
    };
    let query_kept = b.query().is_none() || {
        let got: Vec<_> = a.query_pairs().collect();
        let sent: Vec<_> = b.query_pairs().collect();
        got.starts_with(&sent)
    };
    a.scheme() == b.scheme()
        && a.username() == b.username()
        && a.password() == b.password()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && query_kept
        && (b.fragment().is_none() || a.fragment() == b.fragment())
}

/// A registration's scheme, host (lower-case, `*.` kept), port and path, read without a URL
/// parser because it may hold `*`.
fn registration_parts(registration: &str) -> Option<(String, String, Option<u16>, String)> {
    let (scheme, rest) = registration.split_once("://")?;
    let (authority, path) = rest
        .find('/')
        .map_or((rest, "/"), |at| (&rest[..at], &rest[at..]));
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()),
        _ => (authority, None),
    };
    let scheme = scheme.to_ascii_lowercase();
    let port = port.or(match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    });
    Some((scheme, host.to_ascii_lowercase(), port, path.to_owned()))
}

/// Does `registration` cover the origin of `url`: the same scheme, host (a `*.` label stands
/// for any labels under the rest) and port, any port for a loopback host?
fn same_origin_as(registration: &str, url: &Url) -> bool {
    let Some((scheme, host, port, _)) = registration_parts(registration) else {
        return false;
    };
    let Some(got) = url
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    else {
        return false;
    };
    let host_ok = match host.strip_prefix('*') {
        Some(suffix) => got.len() > suffix.len() && got.ends_with(suffix),
        None => got == host,
    };
    let loopback = ["127.0.0.1", "[::1]", "localhost"].contains(&host.as_str());
    url.scheme() == scheme && host_ok && (loopback || url.port_or_known_default() == port)
}

/// How bad a redirect to `location` is that no registration admits: one into another origin,
/// with a fragment, or (vendor profile) to another path of a registration without `*` fails
/// (RFC 6749 §4.1.2.1, §3.1.2; seed 000 matches on URL; strict: RFC 9700 §2.1); one that
/// stays on a registered origin and differs only where the catalog's reading of `*` and of
/// normalisation decides deviates (AMB-01 to AMB-03).
pub(super) fn stray_redirect(
    profile: Profile,
    registrations: &[String],
    location: &str,
    expected: &str,
    shown: &str,
) -> Outcome {
    let Ok(url) = Url::parse(location) else {
        return fail(expected, shown);
    };
    let near: Vec<&String> = registrations
        .iter()
        .filter(|r| same_origin_as(r, &url))
        .collect();
    if url.fragment().is_some() || near.is_empty() || profile == Profile::Strict {
        return fail(expected, shown);
    }
    let literal_elsewhere = near.iter().all(|r| {
        registration_parts(r)
            .is_some_and(|(_, _, _, path)| !path.contains('*') && path != url.path())
    });
    if literal_elsewhere {
        return fail(expected, shown);
    }
    deviate(expected, format!("{shown}, on a registered origin"))
}

/// `POST /admin/clients` for a 1-Click client with these URLs, as the server answers it. A
/// client it creates is the caller's to delete ([`delete_created`]).
pub(super) async fn registration(ctx: &Ctx, urls: &[&str]) -> Result<Reply, Outcome> {
    let body = json!({"kind": "one_click", "redirect_urls": urls});
    ctx.send(ctx.admin(Method::POST, "/admin/clients")?.json(&body))
        .await
}

/// [`registration`], with a client created although the check expected a refusal deleted
/// again at once.
async fn register(ctx: &Ctx, urls: &[&str]) -> Result<Reply, Outcome> {
    let reply = registration(ctx, urls).await?;
    if reply.status == 201 {
        delete_created(ctx, &reply).await?;
    }
    Ok(reply)
}

/// Deletes the client a 201 answer created.
pub(super) async fn delete_created(ctx: &Ctx, created: &Reply) -> CheckResult {
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

/// Registering `url` (beside a valid URL) is refused. Accepting it fails; refusing it other
/// than with 400 `invalid_redirect_uri` (the admin API's own code) deviates.
pub(super) async fn expect_refused(ctx: &Ctx, url: &str) -> CheckResult {
    let reply = register(ctx, &["https://ok.example/cb", url]).await?;
    let expected = format!("400 invalid_redirect_uri registering {url}");
    if (200..300).contains(&reply.status) {
        return Err(fail(expected, reply.summary()));
    }
    if reply.status != 400 || reply.error_code().as_deref() != Some("invalid_redirect_uri") {
        return Err(deviate(expected, reply.summary()));
    }
    Ok(())
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
pub(super) async fn client_for(ctx: &Ctx, urls: &[&str]) -> Result<ClientCreds, Outcome> {
    ctx.client_with(
        json!({"kind": "one_click", "name": "Redirect patterns", "redirect_urls": urls}),
    )
    .await
}
