//! What the checks share: the steps of the code flow, token requests and the verdicts on their
//! answers, the clients and resources a check makes or uses, and a bare browser.
//!
//! Layout:
//! - `code`: authorization requests ([`CodeRequest`]) and the codes they bring back;
//! - `tokens`: token-endpoint requests (client credentials, redemption, refresh, a whole flow),
//!   introspection-style calls, the refresh token of a response;
//! - `verdicts`: what a token-endpoint answer must be (an error, no token, a 200);
//! - `clients`: fresh ids, wallets, resource servers, changed credentials;
//! - `resources`: the reference server's demo protected resources;
//! - `browser`: a cookie jar and nothing else, for posting forms with parts changed.

mod browser;
mod clients;
mod code;
mod resources;
mod tokens;
mod verdicts;

pub(crate) use browser::*;
pub(crate) use clients::*;
pub(crate) use code::*;
pub(crate) use resources::*;
pub(crate) use tokens::*;
pub(crate) use verdicts::*;

use crate::ctx::Ctx;
use crate::model::Profile;

/// Joins raw query or form parts, leaving out empty ones.
pub(crate) fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("&")
}

/// Is this the strict profile (PKCE required, exact redirect strings)?
pub(crate) fn strict(ctx: &Ctx) -> bool {
    ctx.profile() == Profile::Strict
}
