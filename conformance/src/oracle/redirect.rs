//! Redirect URI matching as the catalog decides it.
//!
//! Vendor profile (seed 000 › 3, AMB-01 to AMB-03): "URL" is scheme, host, port and path; the
//! request's query is ignored, a fragment never is. Scheme and host are lower-cased, IDN hosts
//! become punycode, default ports are dropped, escapes of unreserved characters are decoded and
//! the others get upper-case hex; the path stays case-sensitive. User-info, dot-segments (raw or
//! encoded), an encoded `/` or `\`, a raw `\`, control characters and hosts not in canonical
//! form are refused. `*` is the whole left-most host label (one DNS label) or a run of
//! characters other than `/` inside a path segment.
//!
//! Strict profile (RFC 9700 §2.1, AUTHZ-REDIR-06): plain string equality.
//!
//! Both profiles (AMB-05, SEC-BCP-02): `http` only for loopback hosts, whose registrations
//! accept any port and nothing else varied.

use crate::model::Profile;

/// Hosts that get the loopback exception (SEC-BCP-02).
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "[::1]", "localhost"];

/// The registration VREDIR-07 names, and the RFC 9700 §4.1 shapes that must not pass it: the
/// `vredir-07` check sends them to the server, and this oracle is held to them in its tests.
pub const VREDIR_07_REGISTRATION: &str = "https://*.m.example/*";
pub const VREDIR_07_ATTACKS: [&str; 7] = [
    "https://attacker.example/.m.example",
    "https://m.example.attacker.example/",
    "https://x.m.example@attacker.example/",
    "https://attacker.example%2F.m.example/",
    "https://attacker.example\\.m.example/",
    "https://x.m.example./",
    "https://x.m.example:8443/",
];

/// The oracle's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accepted: the redirect goes here (the canonical URI, with the request's query).
    Accept,
    /// Refused, and why (for messages).
    Reject(String),
}

impl Decision {
    pub fn accepted(&self) -> bool {
        matches!(self, Self::Accept)
    }
}

/// A host after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// A DNS name, lower-case ASCII (punycode), as its labels.
    Name(Vec<String>),
    /// `*.` followed by these literal labels (registrations only).
    Wildcard(Vec<String>),
    /// A dotted-quad IPv4 address in canonical form.
    Ipv4(String),
    /// `[::1]`.
    Ipv6Loopback,
}

/// A URI split and normalised for vendor matching.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    scheme: String,
    host: Host,
    /// Explicit port, the scheme's default dropped.
    port: Option<u16>,
    /// Path segments after the leading `/`, normalised.
    segments: Vec<String>,
}

impl Parsed {
    fn loopback(&self) -> bool {
        match &self.host {
            Host::Name(labels) => labels.len() == 1 && labels[0] == "localhost",
            Host::Ipv4(ip) => ip == "127.0.0.1",
            Host::Ipv6Loopback => true,
            Host::Wildcard(_) => false,
        }
    }
}

fn reject<T>(why: impl Into<String>) -> Result<T, String> {
    Err(why.into())
}

/// Unreserved characters (RFC 3986 §2.3).
fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// Characters a path may carry raw: unreserved, sub-delims, `:` and `@`.
fn path_char(c: char) -> bool {
    unreserved(c) || "!$&'()*+,;=:@".contains(c)
}

/// One DNS label as AMB-01 defines it: 1–63 of `a-z 0-9 -`, no `-` at either end.
fn dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// `a.b.c.d` with decimal parts 0–255 and no leading zeros.
fn canonical_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// A host in canonical form, or why not. `pattern` allows a leading `*` label.
fn parse_host(raw: &str, pattern: bool) -> Result<Host, String> {
    if raw.contains('%') {
        return reject("an escape in the host");
    }
    if raw.starts_with('[') {
        return if raw.eq_ignore_ascii_case("[::1]") {
            Ok(Host::Ipv6Loopback)
        } else {
            reject("an IPv6 literal other than [::1]")
        };
    }
    let lower = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        // IDN: to punycode (AMB-03).
        match url::Host::parse(raw) {
            Ok(url::Host::Domain(domain)) => domain,
            _ => return reject("a host that is not a valid IDN"),
        }
    };
    let labels: Vec<String> = lower.split('.').map(str::to_owned).collect();
    if labels.iter().any(String::is_empty) {
        return reject("an empty host label (a trailing or doubled dot)");
    }
    let last = labels.last().map(String::as_str).unwrap_or("");
    let numeric = last.chars().all(|c| c.is_ascii_digit()) || last.starts_with("0x");
    if pattern && labels[0] == "*" {
        let rest = &labels[1..];
        if rest.iter().any(|l| l.contains('*')) {
            return reject("more than one host wildcard");
        }
        if numeric {
            return reject("a wildcard with an IP-literal host");
        }
        if rest.len() < 2 || !rest.iter().all(|l| dns_label(l)) {
            return reject("fewer than two literal labels after the wildcard");
        }
        return Ok(Host::Wildcard(rest.to_vec()));
    }
    if lower.contains('*') {
        return reject("a wildcard that is not the whole left-most label");
    }
    if numeric {
        return if canonical_ipv4(&lower) {
            Ok(Host::Ipv4(lower))
        } else {
            reject("a numeric host not in dotted-quad form")
        };
    }
    if labels.iter().all(|l| dns_label(l)) {
        Ok(Host::Name(labels))
    } else {
        reject("a host label outside a-z 0-9 -")
    }
}

/// A normalised path segment: unreserved escapes decoded, the rest upper-case hex.
fn normalise_segment(segment: &str) -> Result<String, String> {
    let bytes = segment.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = segment.get(i + 1..i + 3).unwrap_or("");
            let Ok(value) = u8::from_str_radix(hex, 16) else {
                return reject("a malformed escape");
            };
            if hex.len() != 2 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return reject("a malformed escape");
            }
            match char::from(value) {
                '/' | '\\' => return reject("an encoded / or \\"),
                c if value < 0x80 && unreserved(c) => out.push(c),
                _ => out.push_str(&format!("%{value:02X}")),
            }
            i += 3;
        } else {
            let c = char::from(b);
            if !b.is_ascii() || !path_char(c) {
                return reject(format!("the character {c:?} in the path"));
            }
            out.push(c);
            i += 1;
        }
    }
    if out == "." || out == ".." {
        return reject("a dot-segment");
    }
    Ok(out)
}

/// Splits and normalises `uri`; `pattern` for a registration, which may hold `*`.
fn parse(uri: &str, pattern: bool) -> Result<Parsed, String> {
    if uri.chars().any(char::is_control) {
        return reject("a control character");
    }
    if uri.contains('\\') {
        return reject("a raw backslash");
    }
    if uri.contains('#') {
        return reject("a fragment");
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        return reject("not an absolute http(s) URI");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return reject("a scheme other than http or https");
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    if authority.contains('@') {
        return reject("user-info");
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return reject("no host");
    }
    let host = parse_host(host, pattern)?;
    let port = match port {
        None => None,
        Some(text) => {
            let valid = !text.is_empty()
                && text.len() <= 5
                && text.chars().all(|c| c.is_ascii_digit())
                && (text == "0" || !text.starts_with('0'));
            match text.parse::<u16>() {
                Ok(n) if valid => Some(n),
                _ => return reject(format!("the port {text:?}")),
            }
        }
    };
    let default = if scheme == "https" { 443 } else { 80 };
    let port = port.filter(|p| *p != default);
    let path = after.split('?').next().unwrap_or("");
    let Some(path) = path.strip_prefix('/') else {
        return reject("no path");
    };
    let segments = path
        .split('/')
        .map(normalise_segment)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed {
        scheme,
        host,
        port,
        segments,
    })
}

/// Does `text` match the segment pattern `pattern`, where `*` is any run of characters?
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

fn vendor_match(registration: &Parsed, request: &Parsed) -> bool {
    let host = match (&registration.host, &request.host) {
        (Host::Wildcard(suffix), Host::Name(labels)) => {
            labels.len() == suffix.len() + 1 && labels[1..] == suffix[..] && dns_label(&labels[0])
        }
        (wanted, got) => wanted == got,
    };
    let port = registration.scheme == "http" && registration.loopback()
        || registration.port == request.port;
    registration.scheme == request.scheme
        && host
        && port
        && registration.segments.len() == request.segments.len()
        && registration
            .segments
            .iter()
            .zip(&request.segments)
            .all(|(p, s)| glob(p, s))
}

/// Is `registration` one the admin API must accept in `profile`? `Err` says why not.
pub fn registration_valid(profile: Profile, registration: &str) -> Result<(), String> {
    if registration.contains('?') {
        return reject("a query in a registration");
    }
    if profile == Profile::Strict && registration.contains('*') {
        return reject("a pattern in the strict profile");
    }
    let (scheme, _) = registration.split_once("://").unwrap_or(("", ""));
    if scheme.contains('*') {
        return reject("a wildcard in the scheme");
    }
    let parsed = parse(registration, true)?;
    if registration.split("://").nth(1).is_some_and(|rest| {
        let authority = rest.split('/').next().unwrap_or("");
        authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.contains('*'))
    }) {
        return reject("a wildcard in the port");
    }
    if parsed.scheme == "http" && !parsed.loopback() {
        return reject("http for a host that is not loopback");
    }
    Ok(())
}

/// Strict: the registration itself, or a loopback registration with a port added.
fn strict_match(registration: &str, request: &str) -> bool {
    if registration == request {
        return true;
    }
    LOOPBACK_HOSTS.iter().any(|host| {
        let prefix = format!("http://{host}");
        let (Some(reg_rest), Some(req_rest)) = (
            registration.strip_prefix(&prefix),
            request.strip_prefix(&prefix),
        ) else {
            return false;
        };
        let Some(req_rest) = req_rest.strip_prefix(':') else {
            return false;
        };
        let digits = req_rest.len()
            - req_rest
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let port = &req_rest[..digits];
        reg_rest.starts_with('/')
            && !port.is_empty()
            && !port.starts_with('0')
            && port.parse::<u16>().is_ok()
            && &req_rest[digits..] == reg_rest
    })
}

/// What a correct server decides for `request` from a client with `registrations`.
pub fn decide(profile: Profile, registrations: &[String], request: &str) -> Decision {
    match profile {
        Profile::Strict => {
            if registrations.iter().any(|r| strict_match(r, request)) {
                Decision::Accept
            } else {
                Decision::Reject("not exactly a registered string".into())
            }
        }
        Profile::Vendor => {
            let parsed = match parse(request, false) {
                Ok(parsed) => parsed,
                Err(why) => return Decision::Reject(why),
            };
            let matched = registrations
                .iter()
                .filter_map(|r| parse(r, true).ok())
                .any(|r| vendor_match(&r, &parsed));
            if matched {
                Decision::Accept
            } else {
                Decision::Reject("matches no registration".into())
            }
        }
    }
}

/// SEC-BCP-05: does a `Location` (as a browser reads it) point into the registrations? The
/// query carries the response, so it is not compared; everything else is, after the
/// normalisation a browser applies, in either profile.
pub fn location_allowed(registrations: &[String], location: &str) -> bool {
    let Ok(target) = parse(location, false) else {
        return false;
    };
    registrations
        .iter()
        .filter_map(|r| parse(r, true).ok())
        .any(|r| vendor_match(&r, &target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Profile::{Strict, Vendor};

    fn regs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn accepts(profile: Profile, list: &[&str], request: &str) -> bool {
        decide(profile, &regs(list), request).accepted()
    }

    #[test]
    fn vendor_ignores_the_query_but_not_fragments() {
        // VREDIR-01, VREDIR-02, VREDIR-04
        let cb = ["https://m.example/cb"];
        assert!(accepts(
            Vendor,
            &cb,
            "https://m.example/cb?order=42&lang=sv"
        ));
        assert!(accepts(Vendor, &cb, "https://m.example/cb"));
        for uri in [
            "https://m.example/cb#x",
            "https://m.example/cb?order=1#x",
            "https://m.example/cb#",
        ] {
            assert!(!accepts(Vendor, &cb, uri), "{uri}");
        }
        assert!(registration_valid(Vendor, "https://m.example/cb?order=42").is_err());
        assert!(registration_valid(Vendor, "https://m.example/cb#x").is_err());
    }

    #[test]
    fn scheme_and_port_are_literal() {
        // VREDIR-05
        assert!(accepts(
            Vendor,
            &["https://m.example/cb"],
            "https://m.example:443/cb"
        ));
        for uri in ["http://m.example/cb", "https://m.example:8443/cb"] {
            assert!(!accepts(Vendor, &["https://m.example/cb"], uri), "{uri}");
        }
        assert!(accepts(
            Vendor,
            &["https://p.example:8443/cb"],
            "https://p.example:8443/cb"
        ));
        assert!(!accepts(
            Vendor,
            &["https://p.example:8443/cb"],
            "https://p.example/cb"
        ));
        for reg in [
            "*://m.example/cb",
            "http*://m.example/cb",
            "https://m.example:*/cb",
        ] {
            assert!(registration_valid(Vendor, reg).is_err(), "{reg}");
        }
    }

    #[test]
    fn a_host_wildcard_is_one_label() {
        // VREDIR-06, VREDIR-09
        let w = ["https://*.m.example/cb"];
        assert!(accepts(Vendor, &w, "https://shop.m.example/cb"));
        for uri in [
            "https://m.example/cb",
            "https://a.b.m.example/cb",
            "https://-x.m.example/cb",
        ] {
            assert!(!accepts(Vendor, &w, uri), "{uri}");
        }
        for reg in [
            "*",
            "https://*/cb",
            "https://*.com/cb",
            "https://*.*.m.example/cb",
            "https://*.0.0.1/cb",
            "https://*@m.example/cb",
            "https://a*.m.example/cb",
        ] {
            assert!(registration_valid(Vendor, reg).is_err(), "{reg}");
        }
        assert!(registration_valid(Vendor, "https://*.m.example/*/x*").is_ok());
    }

    #[test]
    fn the_rfc_9700_attacks_are_refused() {
        // VREDIR-07
        let w = [VREDIR_07_REGISTRATION];
        assert!(accepts(Vendor, &w, "https://x.m.example/"));
        for uri in VREDIR_07_ATTACKS {
            assert!(!accepts(Vendor, &w, uri), "{uri}");
        }
    }

    #[test]
    fn a_path_wildcard_stays_in_its_segment() {
        // VREDIR-08
        let t = ["https://m.example/cb/*"];
        for uri in ["https://m.example/cb/", "https://m.example/cb/a"] {
            assert!(accepts(Vendor, &t, uri), "{uri}");
        }
        for uri in [
            "https://m.example/cb",
            "https://m.example/cbx",
            "https://m.example/cb/a/b",
        ] {
            assert!(!accepts(Vendor, &t, uri), "{uri}");
        }
        assert!(accepts(
            Vendor,
            &["https://m.example/*/cb"],
            "https://m.example/x/cb"
        ));
        assert!(!accepts(
            Vendor,
            &["https://m.example/*/cb"],
            "https://m.example/x/y/cb"
        ));
    }

    #[test]
    fn normalisation_and_refusals() {
        // VREDIR-10
        let list = [
            "https://m.example/cb",
            "https://bücher.example/cb",
            "https://m.example/a%3ab",
        ];
        for uri in [
            "https://M.EXAMPLE/cb",
            "HTTPS://m.example/cb",
            "https://m.example/%63b",
            "https://BÜCHER.example/cb",
            "https://xn--bcher-kva.example/cb",
            "https://m.example/a%3Ab",
        ] {
            assert!(accepts(Vendor, &list, uri), "{uri}");
        }
        for uri in [
            "https://m.example/CB",
            "https://u@m.example/cb",
            "https://@m.example/cb",
            "https://m.example/cb/../cb",
            "https://m.example/%2e%2e/cb",
            "https://m.example/cb%2F",
            "https://m.example/cb%5C",
            "https://m.example\\cb",
            "https://m.example/c\nb",
            "https://m.example/cb\u{7f}",
            "http://2130706433/cb",
            "http://0x7f.1/cb",
            "http://127.1/cb",
            "http://0177.0.0.1/cb",
            "https://m.example./cb",
        ] {
            assert!(!accepts(Vendor, &list, uri), "{uri}");
        }
    }

    #[test]
    fn strict_is_string_equality_with_the_loopback_port_exception() {
        // AUTHZ-REDIR-06, SEC-BCP-01, SEC-BCP-02
        let cb = ["https://client.example/cb"];
        assert!(accepts(Strict, &cb, "https://client.example/cb"));
        for uri in [
            "https://client.example/cb/",
            "HTTPS://CLIENT.EXAMPLE/cb",
            "https://client.example:443/cb",
            "https://client.example/%63b",
            "https://client.example/cb?x=1",
            "https://client.example/cb/../cb",
        ] {
            assert!(!accepts(Strict, &cb, uri), "{uri}");
        }
        assert!(registration_valid(Strict, "https://m.example/*").is_err());
        let lo = [
            "http://127.0.0.1/cb",
            "http://[::1]/cb",
            "http://localhost/cb",
        ];
        for profile in [Strict, Vendor] {
            for uri in [
                "http://127.0.0.1:51234/cb",
                "http://[::1]:51234/cb",
                "http://localhost:1/cb",
                "http://127.0.0.1/cb",
            ] {
                assert!(accepts(profile, &lo, uri), "{uri}");
            }
            for uri in [
                "http://127.0.0.1:51234/other",
                "http://127.0.0.1:51234/cb/",
                "https://127.0.0.1:51234/cb",
                "http://127.0.0.2:51234/cb",
                "http://u@127.0.0.1:51234/cb",
                "http://127.0.0.1:99999/cb",
            ] {
                assert!(!accepts(profile, &lo, uri), "{uri}");
            }
        }
        assert!(registration_valid(Strict, "http://m.example/cb").is_err());
        assert!(registration_valid(Vendor, "http://192.0.2.1/cb").is_err());
    }

    #[test]
    fn locations_are_judged_against_the_registrations() {
        // SEC-BCP-05
        let list = regs(&["https://*.m.example/cb", "http://127.0.0.1/cb"]);
        assert!(location_allowed(
            &list,
            "https://shop.m.example/cb?code=x&state=y"
        ));
        assert!(location_allowed(&list, "http://127.0.0.1:4000/cb?code=x"));
        assert!(!location_allowed(
            &list,
            "https://attacker.example/cb?code=x"
        ));
        assert!(!location_allowed(&list, "https://a.b.m.example/cb?code=x"));
        assert!(!location_allowed(
            &list,
            "https://shop.m.example/cb/x?code=x"
        ));
    }
}
