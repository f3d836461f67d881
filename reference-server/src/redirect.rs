//! Redirect URL registrations (seed 000 › 3; AMB-01 to AMB-05; RFC 9700 §2.1, §2.6).
//!
//! This module decides what an administrator may register. Matching a request against
//! the registrations is the authorization endpoint's business.

use std::net::{IpAddr, Ipv6Addr};

use crate::config::Profile;

/// Why a registration entry is refused. The text goes to the admin API caller as is.
pub type RegistrationError = &'static str;

/// Checks one registration entry and returns it in canonical form: scheme and host
/// lower-cased, IDN hosts as punycode (AMB-03). The path is kept byte for byte.
///
/// Refused in both profiles: anything but `https`, except `http` with a loopback host
/// (SEC-BCP-03, AMB-05); user-info; a fragment; dot-segments; `\` or an encoded `/` or `\`;
/// whitespace and control characters. Vendor profile: `*` only as the whole left-most host
/// label with two literal labels after it, or inside path segments; never in the scheme,
/// user-info, port, query or an IP literal (VREDIR-09); no query at all (VREDIR-04).
/// Strict profile: no `*` anywhere (SEC-BCP-01).
pub fn validate_registration(raw: &str, profile: Profile) -> Result<String, RegistrationError> {
    if raw.is_empty() {
        return Err("a redirect URL must not be empty");
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("a redirect URL must not contain whitespace or control characters");
    }
    if raw.contains('#') {
        return Err("a redirect URL must not contain a fragment");
    }
    if raw.contains('\\') {
        return Err("a redirect URL must not contain a backslash");
    }
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or("a redirect URL must be absolute, with a scheme and a host")?;
    if scheme.contains('*') {
        return Err("the scheme of a redirect URL cannot hold a wildcard");
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err("a redirect URL must use https (or http with a loopback host)");
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (rest, None),
    };
    if query.is_some() && profile == Profile::Vendor {
        // Matching ignores the query (AMB-02), so a registered one would look enforced.
        return Err("a redirect URL must not contain a query: matching ignores the query");
    }
    if query.is_some_and(|q| q.contains('*')) {
        return Err("the query of a redirect URL cannot hold a wildcard");
    }
    let (authority, path) = match before_query.find('/') {
        Some(at) => before_query.split_at(at),
        None => (before_query, ""),
    };
    if authority.contains('@') {
        return Err("a redirect URL must not contain user information");
    }
    let (host, port) = split_host_port(authority)?;
    if let Some(port) = port {
        if port.contains('*') {
            return Err("the port of a redirect URL cannot hold a wildcard");
        }
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return Err("the port of a redirect URL must be a number from 0 to 65535");
        }
    }
    let host = canonical_host(host, profile)?;
    if scheme == "http" && !is_loopback_host(&host) {
        return Err(
            "an http redirect URL is allowed only for a loopback host (127.0.0.1, [::1], localhost)",
        );
    }
    check_path(path, profile)?;
    let mut canonical = format!("{scheme}://{host}");
    if let Some(port) = port {
        canonical.push(':');
        canonical.push_str(port);
    }
    canonical.push_str(path);
    if let Some(query) = query {
        canonical.push('?');
        canonical.push_str(query);
    }
    Ok(canonical)
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), RegistrationError> {
    if authority.starts_with('[') {
        let end = authority.find(']').ok_or("an IPv6 host must end with ]")?;
        let (host, rest) = authority.split_at(end + 1);
        return match rest {
            "" => Ok((host, None)),
            _ => rest
                .strip_prefix(':')
                .map(|port| (host, Some(port)))
                .ok_or("unexpected characters after the IPv6 host"),
        };
    }
    Ok(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn canonical_host(host: &str, profile: Profile) -> Result<String, RegistrationError> {
    if host.is_empty() {
        return Err("a redirect URL must name a host");
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.contains('*') {
            return Err("a wildcard cannot stand in an IP-literal host");
        }
        let addr: Ipv6Addr = inner.parse().map_err(|_| "the IPv6 host is not valid")?;
        return Ok(format!("[{addr}]"));
    }
    if host.contains('*') {
        if profile == Profile::Strict {
            return Err(
                "the strict profile allows no wildcard: redirect URLs match exactly (RFC 9700 §2.1)",
            );
        }
        let rest = host
            .strip_prefix("*.")
            .ok_or("a host wildcard must be the whole left-most label (*.example.com)")?;
        if rest.contains('*') {
            return Err("a host may hold only one wildcard");
        }
        let rest = canonical_domain(rest)?;
        if rest.split('.').count() < 2 || rest.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err("a host wildcard needs at least two literal labels after it");
        }
        return Ok(format!("*.{rest}"));
    }
    canonical_domain(host)
}

fn canonical_domain(host: &str) -> Result<String, RegistrationError> {
    let parsed = url::Host::parse(host).map_err(|_| "the host of a redirect URL is not valid")?;
    let canonical = parsed.to_string();
    if host.trim_end_matches('.') != host {
        return Err("the host of a redirect URL must not end with a dot");
    }
    // An IPv4 address must already be written in dotted-quad form (no 0x7f.1, no 2130706433).
    if let url::Host::Ipv4(addr) = parsed
        && addr.to_string() != host
    {
        return Err("an IPv4 host must be written as four decimal numbers");
    }
    Ok(canonical)
}

fn check_path(path: &str, profile: Profile) -> Result<(), RegistrationError> {
    if path.contains('*') && profile == Profile::Strict {
        return Err(
            "the strict profile allows no wildcard: redirect URLs match exactly (RFC 9700 §2.1)",
        );
    }
    let lowered = path.to_ascii_lowercase();
    if lowered.contains("%2f") || lowered.contains("%5c") {
        return Err("a redirect URL path must not contain an encoded / or \\");
    }
    let decoded_dots = lowered.replace("%2e", ".");
    if decoded_dots
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err("a redirect URL path must not contain dot-segments");
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a redirect URL path must be ASCII: percent-encode anything else");
    }
    Ok(())
}

/// `localhost`, `127.0.0.0/8` and `[::1]` (RFC 8252 §7.3 via RFC 9700 §2.1).
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(raw: &str) -> Result<String, RegistrationError> {
        validate_registration(raw, Profile::Vendor)
    }

    #[test]
    fn vendor_accepts_plain_and_pattern_registrations() {
        for ok in [
            "https://m.example/cb",
            "https://*.m.example/cb",
            "https://m.example/cb/*",
            "https://m.example/*/cb",
            "https://m.example:8443/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "http://localhost/cb",
        ] {
            assert!(
                vendor(ok).is_ok(),
                "{ok} should be accepted: {:?}",
                vendor(ok)
            );
        }
    }

    #[test]
    fn vredir_04_query_and_fragment_are_refused() {
        assert!(vendor("https://m.example/cb?x=1").is_err());
        assert!(vendor("https://m.example/cb#x").is_err());
        assert!(vendor("https://m.example/cb#").is_err());
    }

    #[test]
    fn vredir_09_misplaced_wildcards_are_refused() {
        for bad in [
            "*",
            "https://*/cb",
            "https://*.com/cb",
            "https://*.*.m.example/cb",
            "https://a.*.m.example/cb",
            "https://x*.m.example/cb",
            "https://*.127.0.0.1/cb",
            "https://[*::1]/cb",
            "https://*@m.example/cb",
            "https://user@m.example/cb",
            "https://m.example:*/cb",
            "http*://m.example/cb",
            "*://m.example/cb",
        ] {
            assert!(vendor(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn sec_bcp_01_strict_refuses_every_wildcard() {
        for bad in ["https://*.m.example/cb", "https://m.example/cb/*"] {
            assert!(
                validate_registration(bad, Profile::Strict).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            validate_registration("https://m.example/cb?x=1", Profile::Strict).unwrap(),
            "https://m.example/cb?x=1"
        );
    }

    #[test]
    fn sec_bcp_03_http_only_for_loopback() {
        for bad in [
            "http://m.example/cb",
            "http://10.0.0.1/cb",
            "ftp://m.example/cb",
        ] {
            for profile in [Profile::Vendor, Profile::Strict] {
                assert!(validate_registration(bad, profile).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn unsafe_paths_and_hosts_are_refused() {
        for bad in [
            "https://m.example/cb/../x",
            "https://m.example/cb/%2e%2e/x",
            "https://m.example/a%2Fb",
            "https://m.example/a%5cb",
            "https://m.example\\cb",
            "https://m.example/c b",
            "https://m.example./cb",
            "http://0x7f.1/cb",
            "http://2130706433/cb",
            "/cb",
            "m.example/cb",
        ] {
            assert!(vendor(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn vredir_10_scheme_and_host_are_canonicalised_path_is_not() {
        assert_eq!(
            vendor("HTTPS://M.Example/CB").unwrap(),
            "https://m.example/CB"
        );
        assert_eq!(
            vendor("https://bücher.example/cb").unwrap(),
            "https://xn--bcher-kva.example/cb"
        );
        assert_eq!(
            vendor("https://*.Shop.Example/cb").unwrap(),
            "https://*.shop.example/cb"
        );
    }
}
