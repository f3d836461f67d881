//! Rows a black-box client cannot observe, and where they are checked instead.

use crate::model::CheckedElsewhere;

pub const CHECKED_ELSEWHERE: &[CheckedElsewhere] = &[
    CheckedElsewhere {
        requirement: "ADMIN-11",
        why: "server logs and snapshots are not visible over HTTP: reference-server/tests/api/persistence.rs \
              scans the debug log for every secret and token; the HTTP half (listings, error bodies) is \
              admin-02b/admin-02c",
    },
    CheckedElsewhere {
        requirement: "SEC-BCP-09",
        why: "refusing to bind a non-loopback address without TLS happens before any client can connect: \
              sec_bcp_09_non_loopback_addresses_are_refused_without_tls in reference-server/src/lib.rs; the \
              advertised https endpoints are sec-bcp-09",
    },
    CheckedElsewhere {
        requirement: "IP-08",
        why: "needs the server's trusted-proxy setting, which a target file cannot configure: \
              ip_08_a_trusted_proxy_forwards_the_right_most_untrusted_address in \
              reference-server/tests/api/ip_whitelist.rs",
    },
];
