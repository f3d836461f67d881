//! Which address a request comes from (AMB-09, RFC 9700 §4.13).
//!
//! The TCP peer, unless the peer is a configured trusted proxy. Then the forwarding chain
//! (`Forwarded`, else `X-Forwarded-For`, else `X-Real-IP`) is walked from the right, and the
//! first address that is not a trusted proxy is the client. A chain that cannot be read gives
//! no address at all, which a non-empty whitelist refuses: fail closed.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn client_addr(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut chain = forwarded_chain(headers)?;
    chain.push(peer);
    let mut client = None;
    for hop in chain.iter().rev() {
        client = Some(*hop);
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// The forwarded addresses, left to right; `Some(empty)` when no header is present,
/// `None` when a present header cannot be read.
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let joined = |name: &str| -> Option<Option<String>> {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().ok())
            .collect::<Option<_>>()?;
        Some((!values.is_empty()).then(|| values.join(",")))
    };
    if let Some(forwarded) = joined("forwarded")? {
        return forwarded
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (key, value) = pair.trim().split_once('=')?;
                        key.trim()
                            .eq_ignore_ascii_case("for")
                            .then_some(value.trim())
                    })
                    .and_then(parse_node)
            })
            .collect();
    }
    if let Some(xff) = joined("x-forwarded-for")? {
        return xff.split(',').map(|v| parse_node(v.trim())).collect();
    }
    if let Some(real) = joined("x-real-ip")? {
        return parse_node(real.trim()).map(|ip| vec![ip]);
    }
    Some(Vec::new())
}

/// `1.2.3.4`, `1.2.3.4:80`, `"[::1]:80"`, `[::1]` or `::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sock) = text.parse::<SocketAddr>() {
        return Some(sock.ip().to_canonical());
    }
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .and_then(|t| t.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn ip_07_headers_from_untrusted_peers_are_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "127.0.0.2"),
            ("forwarded", "for=127.0.0.2"),
            ("x-real-ip", "127.0.0.2"),
        ]);
        assert_eq!(client_addr(peer("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
    }

    #[test]
    fn ip_08_rightmost_untrusted_hop_is_the_client() {
        let trusted = ["127.0.0.1/32".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "127.0.0.2, 10.9.9.9")]);
        assert_eq!(client_addr(peer("127.0.0.1"), &h, &trusted), ip("10.9.9.9"));
        let h = headers(&[("forwarded", "for=\"[::1]:80\";proto=https, for=127.0.0.1")]);
        assert_eq!(client_addr(peer("127.0.0.1"), &h, &trusted), ip("::1"));
        let h = headers(&[("x-real-ip", "127.0.0.9")]);
        assert_eq!(
            client_addr(peer("127.0.0.1"), &h, &trusted),
            ip("127.0.0.9")
        );
        assert_eq!(
            client_addr(peer("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn unreadable_chains_give_no_address() {
        let trusted = ["127.0.0.1/32".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "127.0.0.2, evil")]);
        assert_eq!(client_addr(peer("127.0.0.1"), &h, &trusted), None);
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_addr(peer("127.0.0.1"), &h, &trusted), None);
    }

    #[test]
    fn mapped_peers_are_ipv4() {
        assert_eq!(
            client_addr(peer("::ffff:127.0.0.2"), &HeaderMap::new(), &[]),
            ip("127.0.0.2")
        );
    }
}
