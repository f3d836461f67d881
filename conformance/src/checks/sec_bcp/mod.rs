//! SEC-BCP: the parts of the Security BCP (RFC 9700) and of transport security that a client
//! can observe: redirect registration and matching, headers on the server's pages, no CORS,
//! 303 after the login POST, https endpoints, and wallet subjects.
//!
//! Layout: this module holds what the submodules share; each submodule declares its checks next
//! to their run functions, in catalog order: `registration` (SEC-BCP-01 to SEC-BCP-03), `grants`
//! (SEC-BCP-04), `open_redirector` (SEC-BCP-05), `pages` (SEC-BCP-06 to SEC-BCP-08), `transport`
//! (SEC-BCP-09) and `subjects` (SEC-BCP-10).

use std::net::IpAddr;

use url::Url;

use crate::model::Check;

mod grants;
mod open_redirector;
mod pages;
mod registration;
mod subjects;
mod transport;

pub(super) fn checks() -> Vec<Check> {
    [
        registration::checks(),
        grants::checks(),
        open_redirector::checks(),
        pages::checks(),
        transport::checks(),
        subjects::checks(),
    ]
    .concat()
}

/// Is the URL's host `localhost` or a loopback address?
fn loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}
