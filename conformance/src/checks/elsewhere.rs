//! Rows a black-box client cannot observe, and where they are checked instead.

use crate::model::CheckedElsewhere;

pub const CHECKED_ELSEWHERE: &[CheckedElsewhere] = &[
    CheckedElsewhere {
        requirement: "ADMIN-11",
        why: "server logs are not visible over HTTP: reference-server/tests/api/persistence.rs scans \
              the log for every secret and token (listings and error bodies: admin-02b, admin-02c)",
    },
    CheckedElsewhere {
        requirement: "SEC-BCP-09",
        why: "the refusal to bind a non-loopback address without TLS precedes any connection: \
              reference-server/src/lib.rs, sec_bcp_09 test (advertised https endpoints: sec-bcp-09)",
    },
    CheckedElsewhere {
        requirement: "IP-08",
        why: "needs a trusted-proxy setting that no target file configures: \
              reference-server/tests/api/ip_whitelist.rs, ip_08 test",
    },
];
