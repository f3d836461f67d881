//! The first defects: codes, forwarding headers, expiry, PKCE, consent.

use conformance::model::Profile::{Strict, Vendor};
use reference_server_defects::Defect::*;

use crate::Case;

pub const CASES: &[Case] = &[
    Case {
        defect: CodeUnbound,
        profile: Strict,
        red: &["token-code-04", "token-code-07"],
    },
    Case {
        defect: TrustForwardedFor,
        profile: Vendor,
        red: &["ip-07", "ip-08", "prop-ip-02"],
    },
    Case {
        defect: ExpiryOffByOne,
        profile: Vendor,
        red: &[
            "bearer-03b",
            "check-03",
            "introspect-04b",
            "prop-expiry-02",
            "revoke-04b",
        ],
    },
    Case {
        defect: PkceUnverified,
        profile: Strict,
        red: &["pkce-02", "pkce-07b", "token-code-07"],
    },
    Case {
        defect: ConsentCsrfUnchecked,
        profile: Vendor,
        red: &["authz-req-05"],
    },
];
