//! IP whitelist membership as the catalog decides it (AMB-07 to AMB-11).
//!
//! An entry is an IPv4 or IPv6 address or a CIDR block of either family; a single address is a
//! /32 or /128. An IPv4-mapped IPv6 address is compared as IPv4, as entry or as peer. An empty
//! list admits everyone. The client's address is the TCP peer: forwarding headers from a peer
//! that is not a configured trusted proxy change nothing (IP-07, IP-08), and the suite never
//! configures one.

use std::net::IpAddr;

/// One whitelist entry: a network and its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    network: IpAddr,
    prefix: u8,
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as IPv4; everything else as it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

impl Entry {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `addr/n`; `None` for anything a correct
    /// server refuses (IP-06).
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => {
                if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                (address, Some(prefix.parse::<u8>().ok()?))
            }
            None => (text, None),
        };
        // Zone ids (`fe80::1%eth0`) and host names fail to parse here.
        let address: IpAddr = address.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        // A mapped entry with a full prefix is the IPv4 address it maps.
        let (network, prefix) = match (address, unmapped(address)) {
            (IpAddr::V6(_), IpAddr::V4(v4)) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
            _ => (address, prefix),
        };
        Some(Self { network, prefix })
    }

    pub fn contains(&self, peer: IpAddr) -> bool {
        match (self.network, unmapped(peer)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Does a client with this whitelist accept a call from `peer`? Entries that do not parse
/// admit nobody (a correct server refuses them at provisioning).
pub fn admits(whitelist: &[String], peer: IpAddr) -> bool {
    whitelist.is_empty()
        || whitelist
            .iter()
            .filter_map(|e| Entry::parse(e))
            .any(|e| e.contains(peer))
}

/// Is every entry one the admin API must accept (IP-06)?
pub fn valid(whitelist: &[String]) -> bool {
    whitelist.iter().all(|e| Entry::parse(e).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_empty_list_admits_everyone() {
        // IP-01, IP-09
        assert!(admits(&[], ip("127.0.0.1")));
        assert!(admits(&[], ip("127.0.0.2")));
    }

    #[test]
    fn addresses_and_blocks() {
        // IP-02, IP-06
        let second = list(&["127.0.0.2"]);
        assert!(admits(&second, ip("127.0.0.2")));
        assert!(!admits(&second, ip("127.0.0.1")));
        let block = list(&["127.0.0.0/30"]);
        for inside in ["127.0.0.0", "127.0.0.2", "127.0.0.3"] {
            assert!(admits(&block, ip(inside)), "{inside}");
        }
        assert!(!admits(&block, ip("127.0.0.4")));
        assert!(admits(&list(&["::1/128"]), ip("::1")));
        assert!(!admits(&list(&["::1"]), ip("127.0.0.1")));
        assert!(admits(&list(&["127.0.0.0/8"]), ip("127.255.255.254")));
        assert!(admits(&list(&["0.0.0.0/0"]), ip("127.0.0.9")));
    }

    #[test]
    fn mapped_addresses_compare_as_ipv4() {
        // IP-06, AMB-07
        assert!(admits(&list(&["127.0.0.2"]), ip("::ffff:127.0.0.2")));
        assert!(admits(&list(&["::ffff:127.0.0.2"]), ip("127.0.0.2")));
        assert!(!admits(&list(&["::ffff:127.0.0.2"]), ip("127.0.0.3")));
    }

    #[test]
    fn invalid_entries() {
        // IP-06
        for entry in [
            "300.1.1.1",
            "10.0.0.0/33",
            "fe80::1%eth0",
            "host.example",
            "::1/129",
            "1.2.3.4/",
        ] {
            assert!(Entry::parse(entry).is_none(), "{entry}");
        }
        assert!(valid(&list(&["127.0.0.1", "127.0.0.0/24", "::1"])));
    }
}
