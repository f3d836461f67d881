//! AUTHZ-REQ: the authorization request (RFC 6749 §3.1, §4.1.1, §4.1.2, §10.12; RFC 9700
//! §4.11.2). Error redirects are looked at with a logged-in user agent (AMB-31).
//!
//! Layout: this module holds what the submodules share; each submodule declares its checks next
//! to their run functions, in catalog order: `response` (AUTHZ-REQ-01 to AUTHZ-REQ-03),
//! `parameters` (AUTHZ-REQ-04), `consent` (AUTHZ-REQ-05) and `invalid` (AUTHZ-REQ-06).

use std::collections::BTreeMap;

use super::authz_redir::base_of;
use super::support::redact_url;
use crate::ctx::{ClientCreds, Ctx};
use crate::model::{Check, CheckResult, fail};
use crate::ua::Landing;

mod consent;
mod invalid;
mod parameters;
mod response;

pub(super) fn checks() -> Vec<Check> {
    [
        response::checks(),
        parameters::checks(),
        consent::checks(),
        invalid::checks(),
    ]
    .concat()
}

/// A scope the client may ask for: its configured one, `profile` for a client we created,
/// else none (the default applies).
fn some_scope(ctx: &Ctx, client: &ClientCreds) -> Option<String> {
    client
        .scope
        .clone()
        .or_else(|| ctx.has_admin().then(|| "profile".to_owned()))
}

/// `base` with a query appended (or extended).
fn with_query(base: &str, query: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

/// The query's pairs, form-decoded; a name alone counts as an empty value.
fn pairs_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The response parameter a redirect to `registered` carries more than once, beyond the
/// registered URI's own query.
fn repeated_param(location: &str, registered: &str) -> Option<String> {
    let mut counts: BTreeMap<String, isize> = BTreeMap::new();
    for (name, _) in pairs_of(location) {
        *counts.entry(name).or_default() += 1;
    }
    for (name, _) in pairs_of(registered) {
        *counts.entry(name).or_default() -= 1;
    }
    counts
        .into_iter()
        .find(|(_, n)| *n > 1)
        .map(|(name, _)| name)
}

/// RFC 6749 §3.1 binds the server's response too: a redirect to the client's `registered` URI
/// that repeats a parameter fails.
fn no_repeated_param(landing: &Landing, registered: &str, case: &str) -> CheckResult {
    let Landing::Redirect(location) = landing else {
        return Ok(());
    };
    if base_of(location) != base_of(registered) {
        return Ok(());
    }
    match repeated_param(location, registered) {
        Some(name) => Err(fail(
            format!(
                "{case}: a response that includes each parameter once (RFC 6749 §3.1: \
                 response parameters MUST NOT be included more than once)"
            ),
            format!(
                "the server's response repeats `{name}`: {}",
                redact_url(location)
            ),
        )),
        None => Ok(()),
    }
}
