//! BEARER: bearer tokens at a protected resource (RFC 6750). The resource is the target file's
//! `[resource]` when it names one, else the reference server's demo resources under
//! `/resources/...`; the checks that need the demo resources' roles or audiences skip elsewhere.
//!
//! Layout: this module holds the resource paths; `resource` finds the protected resource and
//! `challenge` reads `WWW-Authenticate`; the other submodules declare their checks next to their
//! run functions, in catalog order: `access` (BEARER-01 to BEARER-03), `scope` (BEARER-04),
//! `placement` (BEARER-05) and `foreign` (BEARER-06, BEARER-07).

use crate::model::Check;

mod access;
mod challenge;
mod foreign;
mod placement;
mod resource;
mod scope;

use challenge::bearer_params;
pub(super) use challenge::judge_refused;
pub(super) use resource::{Protected, bearer, is_success};

const BACKOFFICE: &str = "/resources/backoffice/orders";
const WALLET_REPORTS: &str = "/resources/wallet/reports";
const IDENTITY_ME: &str = "/resources/identity/me";
/// An identity_api resource gated by audience only: it serves a client's own token too.
const IDENTITY_PROFILE: &str = "/resources/identity/profile";

pub(super) fn checks() -> Vec<Check> {
    [
        access::checks(),
        scope::checks(),
        placement::checks(),
        foreign::checks(),
    ]
    .concat()
}
