//! Redirect policies: does a request's `redirect_uri` match one of a client's registrations?
//! One pure function per profile (AMB-04), chosen by the server's profile.
//!
//! - [`vendor`] reads seed 000 › 3: match on the URL (scheme, host, port, path), not the query
//!   string; several URLs; `*` as a wildcard exactly as AMB-01 allows it, never crossing `.` or
//!   `/`; the request normalised and ambiguous requests refused as AMB-03 says.
//! - [`strict`] is RFC 9700 §2.1: simple string comparison (RFC 6749 §3.1.2.3).
//!
//! Both allow any port on a loopback registration (RFC 8252 §7.3 via RFC 9700 §2.1, SEC-BCP-02)
//! and nothing else. A match returns the URI to redirect to; `None` means the server shows its
//! own error page and never redirects (AUTHZ-REDIR-02, SEC-BCP-05).
//!
//! ```text
//! registered                       request                                  vendor   strict
//! https://m.example/cb             https://m.example/cb?order=42            yes      no
//! https://*.m.example/cb           https://shop.m.example/cb                yes      no
//! https://*.m.example/cb           https://a.b.m.example/cb                 no       no
//! https://m.example/cb/*           https://m.example/cb/a/b                 no       no
//! http://127.0.0.1/cb              http://127.0.0.1:51234/cb                yes      yes
//! https://m.example/cb             https://M.EXAMPLE/cb                     yes      no
//! ```

use crate::config::Profile;
use crate::redirect::is_loopback_host;

/// Why an authorization request has no trustworthy place to be answered at.
pub const UNREGISTERED: &str = "The redirect URI is not registered for this client.";
pub const UNNAMED: &str = "This client must name its redirect URI in the request.";

/// Where the answer to an authorization request goes: the request's `redirect_uri` if it
/// matches a registration under `profile`; without one, the client's only registration if it
/// is complete (RFC 6749 §3.1.2.3, AMB-06). `Err` is what the error page says.
pub fn target(
    profile: Profile,
    requested: Option<&str>,
    registrations: &[String],
) -> Result<String, &'static str> {
    match requested {
        Some(uri) => resolve(profile, uri, registrations).ok_or(UNREGISTERED),
        None => match registrations {
            [only] if !only.contains('*') => Ok(only.clone()),
            _ => Err(UNNAMED),
        },
    }
}

/// The policy of `profile`.
pub fn resolve(profile: Profile, request: &str, registrations: &[String]) -> Option<String> {
    match profile {
        Profile::Vendor => vendor(request, registrations),
        Profile::Strict => strict(request, registrations),
    }
}

/// RFC 9700 §2.1: the request equals a registration, character for character; only the
/// port of a loopback registration may differ.
pub fn strict(request: &str, registrations: &[String]) -> Option<String> {
    for registered in registrations {
        if request == registered {
            return Some(request.to_owned());
        }
        let (Some(reg), Some(req)) = (Parts::split(registered), Parts::split(request)) else {
            continue;
        };
        // Only the port may vary: a fragment would swallow the response parameters and
        // user-info is never part of a registration (AUTHZ-REDIR-04, SEC-BCP-02).
        if reg.scheme == "http"
            && is_loopback_host(reg.host)
            && !req.userinfo
            && !req.fragment
            && req.scheme == reg.scheme
            && req.host == reg.host
            && req.path == reg.path
            && req.query == reg.query
            && req.port.is_none_or(is_port)
        {
            return Some(request.to_owned());
        }
    }
    None
}

/// Seed 000 › 3 as AMB-01 to AMB-03 read it. Returns the request in canonical form (scheme and
/// host lower-case, IDN as punycode, default port dropped, unreserved escapes decoded), with its
/// query kept as sent.
pub fn vendor(request: &str, registrations: &[String]) -> Option<String> {
    let req = Canonical::of_request(request)?;
    registrations
        .iter()
        .filter_map(|registered| Canonical::of_registration(registered))
        .any(|reg| vendor_match(&reg, &req))
        .then(|| req.to_uri())
}

fn vendor_match(reg: &Canonical, req: &Canonical) -> bool {
    if reg.scheme != req.scheme {
        return false;
    }
    let loopback = is_loopback_host(&reg.host);
    if !loopback && reg.port != req.port {
        return false;
    }
    let host_ok = match reg.host.strip_prefix("*.") {
        Some(rest) => req
            .host
            .strip_suffix(rest)
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(is_dns_label),
        None => reg.host == req.host,
    };
    host_ok && path_matches(&reg.path, &req.path)
}

/// One DNS label: 1–63 of `a-z 0-9 -`, not starting or ending with `-` (AMB-01).
fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Segment by segment; in a registered segment `*` stands for any run of characters, possibly
/// empty, within that segment (AMB-01).
fn path_matches(registered: &str, requested: &str) -> bool {
    let reg: Vec<&str> = registered.split('/').collect();
    let req: Vec<&str> = requested.split('/').collect();
    reg.len() == req.len() && reg.iter().zip(&req).all(|(r, q)| glob(r, q))
}

fn glob(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let Some(first) = pieces.next() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty(); // no `*` at all: the prefix was the whole segment
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn is_port(port: &str) -> bool {
    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok()
}

/// A URI cut at its delimiters, nothing decoded.
#[derive(Debug, PartialEq)]
struct Parts<'a> {
    scheme: &'a str,
    userinfo: bool,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: bool,
}

impl<'a> Parts<'a> {
    fn split(uri: &'a str) -> Option<Self> {
        let (scheme, rest) = uri.split_once("://")?;
        let (rest, fragment) = match rest.split_once('#') {
            Some((head, _)) => (head, true),
            None => (rest, false),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((head, query)) => (head, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((_, hostport)) => (true, hostport),
            None => (false, authority),
        };
        let (host, port) = if hostport.starts_with('[') {
            let end = hostport.find(']')?;
            let (host, after) = hostport.split_at(end + 1);
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        Some(Self {
            scheme,
            userinfo,
            host,
            port,
            path,
            query,
            fragment,
        })
    }
}

/// A URI in the canonical form of AMB-03.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Canonical {
    scheme: String,
    host: String,
    /// `None` for the scheme's default port.
    port: Option<u16>,
    path: String,
    query: Option<String>,
}

impl Canonical {
    /// A request `redirect_uri`, refused when anything about it is ambiguous (VREDIR-10):
    /// user-info, a fragment, a backslash, control characters or whitespace, dot-segments,
    /// an encoded `/` or `\`, a host not in canonical form.
    fn of_request(uri: &str) -> Option<Self> {
        if uri.chars().any(|c| c.is_control() || c.is_whitespace()) || uri.contains('\\') {
            return None;
        }
        let parts = Parts::split(uri)?;
        if parts.userinfo || parts.fragment {
            return None;
        }
        let scheme = parts.scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let host = canonical_host(parts.host)?;
        let port = canonical_port(&scheme, parts.port)?;
        let path = canonical_path(parts.path)?;
        if parts.query.is_some_and(|q| !q.is_ascii()) {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port,
            path,
            query: parts.query.map(str::to_owned),
        })
    }

    /// A stored registration (already validated and canonical at registration); the path is
    /// normalised the same way so that `%7E` and `~` compare equal.
    fn of_registration(uri: &str) -> Option<Self> {
        let parts = Parts::split(uri)?;
        let scheme = parts.scheme.to_ascii_lowercase();
        let host = match parts.host.strip_prefix("*.") {
            Some(rest) => format!("*.{}", canonical_host(rest)?),
            None => canonical_host(parts.host)?,
        };
        Some(Self {
            port: canonical_port(&scheme, parts.port)?,
            scheme,
            host,
            path: canonical_path(parts.path)?,
            query: None,
        })
    }

    fn to_uri(&self) -> String {
        let mut uri = format!("{}://{}", self.scheme, self.host);
        if let Some(port) = self.port {
            uri.push_str(&format!(":{port}"));
        }
        uri.push_str(&self.path);
        if let Some(query) = &self.query {
            uri.push('?');
            uri.push_str(query);
        }
        uri
    }
}

fn canonical_host(host: &str) -> Option<String> {
    if host.is_empty() || host.contains('%') || host.ends_with('.') {
        return None;
    }
    let parsed = url::Host::parse(host).ok()?;
    let canonical = parsed.to_string();
    // An ASCII host must already be canonical: `2130706433`, `0x7f.1` and `127.1` all parse
    // to 127.0.0.1 and are refused, so nobody can disguise an address (VREDIR-10).
    if host.is_ascii() && canonical != host.to_ascii_lowercase() {
        return None;
    }
    Some(canonical)
}

fn canonical_port(scheme: &str, port: Option<&str>) -> Option<Option<u16>> {
    let Some(port) = port else { return Some(None) };
    if !is_port(port) {
        return None;
    }
    let number: u16 = port.parse().ok()?;
    let default = if scheme == "https" { 443 } else { 80 };
    Some((number != default).then_some(number))
}

/// Decodes escapes of unreserved characters, upper-cases the others, and refuses escaped
/// `/` or `\`, dot-segments (raw or encoded), malformed escapes and non-ASCII (AMB-03).
fn canonical_path(path: &str) -> Option<String> {
    if !path.is_ascii() {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        if !path.is_empty() {
            return None;
        }
        out.push('/'); // http(s) URIs with an empty path mean `/` (RFC 9110 §4.2.3)
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if value == b'/' || value == b'\\' {
                return None;
            }
            if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    if out
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn regs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn accepts(registered: &str, request: &str) -> bool {
        vendor(request, &regs(&[registered])).is_some()
    }

    #[test]
    fn vredir_01_query_is_ignored_and_kept() {
        let target = vendor(
            "https://m.example/cb?order=42&lang=sv",
            &regs(&["https://m.example/cb"]),
        );
        assert_eq!(
            target.as_deref(),
            Some("https://m.example/cb?order=42&lang=sv")
        );
    }

    #[test]
    fn vredir_02_fragments_are_never_ignored() {
        for request in [
            "https://m.example/cb#x",
            "https://m.example/cb?order=1#x",
            "https://m.example/cb#",
        ] {
            assert!(!accepts("https://m.example/cb", request), "{request}");
        }
    }

    #[test]
    fn vredir_03_several_urls_each_accepted() {
        let registered = regs(&["https://m.example/a", "https://m.example/b"]);
        assert!(vendor("https://m.example/a", &registered).is_some());
        assert!(vendor("https://m.example/b", &registered).is_some());
        assert!(vendor("https://m.example/c", &registered).is_none());
    }

    #[test]
    fn vredir_05_scheme_and_port_are_literal() {
        assert!(!accepts("https://m.example/cb", "http://m.example/cb"));
        assert!(accepts("https://m.example/cb", "https://m.example:443/cb"));
        assert!(!accepts(
            "https://m.example/cb",
            "https://m.example:8443/cb"
        ));
        assert!(accepts(
            "https://m.example:8443/cb",
            "https://m.example:8443/cb"
        ));
        assert!(!accepts(
            "https://m.example:8443/cb",
            "https://m.example/cb"
        ));
    }

    #[test]
    fn vredir_06_host_wildcard_is_exactly_one_label() {
        let registered = "https://*.m.example/cb";
        assert!(accepts(registered, "https://shop.m.example/cb"));
        for request in [
            "https://m.example/cb",
            "https://a.b.m.example/cb",
            "https://-x.m.example/cb",
            "https://x-.m.example/cb",
        ] {
            assert!(!accepts(registered, request), "{request}");
        }
    }

    #[test]
    fn vredir_07_rfc_9700_attack_shapes_are_refused() {
        for request in [
            "https://attacker.example/.m.example",
            "https://m.example.attacker.example/",
            "https://x.m.example@attacker.example/",
            "https://attacker.example%2F.m.example/",
            "https://attacker.example\\.m.example/",
            "https://x.m.example./",
            "https://x.m.example:8443/",
        ] {
            assert!(!accepts("https://*.m.example/*", request), "{request}");
        }
        assert!(accepts(
            "https://*.m.example/*",
            "https://x.m.example/anything"
        ));
    }

    #[test]
    fn vredir_08_path_wildcard_stays_in_its_segment() {
        let registered = "https://m.example/cb/*";
        assert!(accepts(registered, "https://m.example/cb/"));
        assert!(accepts(registered, "https://m.example/cb/a"));
        for request in [
            "https://m.example/cb",
            "https://m.example/cbx",
            "https://m.example/cb/a/b",
        ] {
            assert!(!accepts(registered, request), "{request}");
        }
        assert!(accepts("https://m.example/*/cb", "https://m.example/x/cb"));
        assert!(!accepts(
            "https://m.example/*/cb",
            "https://m.example/x/y/cb"
        ));
        assert!(accepts(
            "https://m.example/order-*-done",
            "https://m.example/order-42-done"
        ));
        assert!(!accepts(
            "https://m.example/order-*-done",
            "https://m.example/order-42-don"
        ));
    }

    #[test]
    fn vredir_10_normalisation_and_refusals() {
        assert!(accepts("https://m.example/cb", "https://M.EXAMPLE/cb"));
        assert!(accepts("https://m.example/cb", "HTTPS://m.example/cb"));
        assert!(!accepts("https://m.example/cb", "https://m.example/CB"));
        assert!(accepts("https://m.example/~cb", "https://m.example/%7Ecb"));
        assert!(accepts(
            "https://m.example/a%2Cb",
            "https://m.example/a%2cb"
        ));
        assert!(accepts(
            "https://xn--bcher-kva.example/cb",
            "https://bücher.example/cb"
        ));
        for request in [
            "https://user@m.example/cb",
            "https://m.example/cb/../cb",
            "https://m.example/x/%2e%2e/cb",
            "https://m.example/cb%2F",
            "https://m.example/cb%5C",
            "https://m.example\\cb",
            "https://m.example/c\tb",
            "https://m.example/cb\u{0}",
            "http://2130706433/cb",
            "http://0x7f.1/cb",
            "http://127.1/cb",
            "https://m.example/c%zzb",
        ] {
            assert!(
                !accepts("https://m.example/cb", request)
                    && !accepts("http://127.0.0.1/cb", request),
                "{request}"
            );
        }
    }

    #[test]
    fn sec_bcp_02_loopback_any_port_nothing_else() {
        for (registered, request) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"),
            ("http://[::1]/cb", "http://[::1]:51234/cb"),
            ("http://localhost/cb", "http://localhost:8080/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:9090/cb"),
        ] {
            assert!(accepts(registered, request), "vendor: {request}");
            assert!(
                strict(request, &regs(&[registered])).is_some(),
                "strict: {request}"
            );
        }
        for (registered, request) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb#x"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb#"),
            ("http://127.0.0.1/cb", "http://u@127.0.0.1:51234/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:51234/other"),
            ("http://127.0.0.1/cb", "https://127.0.0.1:51234/cb"),
            ("https://m.example/cb", "https://m.example:51234/cb"),
        ] {
            assert!(!accepts(registered, request), "vendor: {request}");
            assert!(
                strict(request, &regs(&[registered])).is_none(),
                "strict: {request}"
            );
        }
    }

    #[test]
    fn authz_redir_06_strict_is_string_equality() {
        let registered = regs(&["https://client.example/cb"]);
        assert!(strict("https://client.example/cb", &registered).is_some());
        for request in [
            "https://client.example/cb/",
            "HTTPS://CLIENT.EXAMPLE/cb",
            "https://client.example:443/cb",
            "https://client.example/%63b",
            "https://client.example/cb?x=1",
            "https://client.example/cb/../cb",
        ] {
            assert!(strict(request, &registered).is_none(), "{request}");
        }
    }

    /// The property's own reading of "one DNS label", independent of the code under test.
    fn oracle_one_label(text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        !chars.is_empty()
            && chars.len() <= 63
            && chars
                .iter()
                .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
            && chars.first() != Some(&'-')
            && chars.last() != Some(&'-')
    }

    fn label() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
    }

    /// A registrable domain: labels, then an alphabetic top-level label (`0.0` would be an address).
    fn domain() -> impl Strategy<Value = String> {
        (prop::collection::vec(label(), 1..3), "[a-z]{2,5}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    fn host_pattern() -> impl Strategy<Value = (bool, String)> {
        (any::<bool>(), domain())
    }

    /// A request built from a registration's own parts (mostly faithful, so that acceptance is
    /// common), then bent toward the attack shapes of RFC 9700 §4.1 and VREDIR-07: extra
    /// labels, suffixes, user-info, ports, deeper or dotted paths, encoded slashes, fragments
    /// and backslashes.
    fn request_for(
        host: String,
        wild: bool,
        port: Option<u16>,
        path: &'static str,
    ) -> impl Strategy<Value = String> {
        let faithful_host = label().prop_map({
            let host = host.clone();
            move |l| {
                if wild {
                    format!("{l}.{host}")
                } else {
                    host.clone()
                }
            }
        });
        let bent_host = label().prop_flat_map(move |l| {
            prop::sample::select(vec![
                format!("{l}.{host}"),
                format!("{l}.{l}.{host}"),
                host.clone(),
                format!("{host}.attacker.example"),
                format!("attacker.example%2F.{host}"),
                format!("-{l}.{host}"),
                host.to_uppercase(),
                format!("{l}.{host}."),
            ])
        });
        let host = prop_oneof![6 => faithful_host, 4 => bent_host];
        let faithful_port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let port = prop_oneof![
            6 => Just(faithful_port),
            1 => prop::sample::select(vec!["", ":443", ":8443", ":80"]).prop_map(str::to_owned),
        ];
        let faithful_path = "[a-z]{0,3}".prop_map(move |s| path.replace('*', &s));
        let bent_path = prop::sample::select(vec![
            "/cb",
            "/cb/a/b",
            "/cb/../cb",
            "/cb%2Fx",
            "/x/%2e%2e/cb",
            "/cbx",
            "/x/y/cb",
        ])
        .prop_map(str::to_owned);
        let path = prop_oneof![6 => faithful_path, 3 => bent_path];
        let scheme = prop_oneof![8 => Just("https"), 1 => Just("http"), 1 => Just("HTTPS")];
        let userinfo = prop_oneof![8 => Just(""), 1 => Just("u@"), 1 => Just("attacker.example@")];
        let tail =
            prop_oneof![6 => Just(""), 2 => Just("?order=42"), 1 => Just("#f"), 1 => Just("\\x")];
        (scheme, userinfo, host, port, path, tail)
            .prop_map(|(s, u, h, p, path, t)| format!("{s}://{u}{h}{p}{path}{t}"))
    }

    fn case() -> impl Strategy<Value = (String, String, bool, Option<u16>, String)> {
        (
            host_pattern(),
            prop_oneof![Just(None), Just(Some(8443u16))],
            prop::sample::select(vec!["/cb", "/cb/*", "/*/cb", "/*", "/order-*-done"]),
        )
            .prop_flat_map(|((wild, host), port, path)| {
                let registered_host = if wild {
                    format!("*.{host}")
                } else {
                    host.clone()
                };
                let port_text = port.map(|p| format!(":{p}")).unwrap_or_default();
                let registered = format!("https://{registered_host}{port_text}{path}");
                request_for(host.clone(), wild, port, path).prop_map(move |request| {
                    (registered.clone(), request, wild, port, host.clone())
                })
            })
    }

    /// The property below must exercise acceptance, not only refusal.
    #[test]
    fn the_generated_requests_are_often_accepted() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let total = 2_000;
        let accepted = (0..total)
            .filter(|_| {
                let (registered, request, ..) = case().new_tree(&mut runner).unwrap().current();
                vendor(&request, &[registered]).is_some()
            })
            .count();
        assert!(
            accepted * 10 >= total,
            "only {accepted} of {total} generated requests were accepted"
        );
        assert!(
            accepted * 10 <= total * 9,
            "{accepted} of {total} accepted: the attack shapes are missing"
        );
    }

    proptest! {
        /// Every URI the vendor matcher accepts has the registered scheme, the registered host
        /// (or exactly one label in place of `*`) and the registered port.
        #[test]
        fn vendor_accepts_only_the_registered_scheme_host_and_port((registered, request, wild, port, host) in case()) {
            prop_assume!(crate::redirect::validate_registration(&registered, Profile::Vendor).is_ok());
            if let Some(target) = vendor(&request, std::slice::from_ref(&registered)) {
                let parts = Parts::split(&target).unwrap();
                prop_assert_eq!(parts.scheme, "https");
                prop_assert!(!parts.userinfo && !parts.fragment);
                prop_assert_eq!(parts.port.map(|p| p.parse::<u16>().unwrap()), port);
                if wild {
                    let head = parts.host.strip_suffix(&format!(".{host}"));
                    prop_assert!(head.is_some_and(oracle_one_label), "{} against {}", target, registered);
                } else {
                    prop_assert_eq!(parts.host, host.as_str());
                }
            }
        }

        /// Matching a registration against itself always succeeds, and strict matching
        /// implies vendor matching for plain registrations.
        #[test]
        fn a_plain_registration_matches_itself(host in domain(), segments in prop::collection::vec("[a-z]{1,4}", 0..3)) {
            let uri = format!("https://{host}/{}", segments.join("/"));
            // Registration refuses what no request could match (`xn--0` is not punycode).
            prop_assume!(crate::redirect::validate_registration(&uri, Profile::Vendor).is_ok());
            let registered = vec![uri.clone()];
            prop_assert_eq!(strict(&uri, &registered), Some(uri.clone()));
            prop_assert!(vendor(&uri, &registered).is_some());
        }
    }
}
