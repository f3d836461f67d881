//! Property checks: generated redirect URIs, source addresses, clock instants and inputs.

use conformance::model::Profile::{Strict, Vendor};
use reference_server_defects::Defect::*;

use crate::Case;

pub const CASES: &[Case] = &[
    Case {
        defect: RedirectParentPath,
        profile: Vendor,
        red: &[
            "authz-redir-02",
            "prop-redirect-02",
            "prop-redirect-03",
            "sec-bcp-02b",
            "sec-bcp-05",
            "vredir-08",
            "vredir-10b",
        ],
    },
    Case {
        defect: WildcardSpansLabels,
        profile: Vendor,
        red: &[
            "prop-redirect-02",
            "prop-redirect-03",
            "vredir-06b",
            "vredir-07",
        ],
    },
    Case {
        defect: StrictCaseInsensitive,
        profile: Strict,
        red: &["authz-redir-06", "prop-redirect-01", "prop-redirect-03"],
    },
    Case {
        defect: WhitelistCidrOffByOne,
        profile: Vendor,
        red: &["prop-ip-01", "prop-ip-02"],
    },
    Case {
        defect: TrustRealIp,
        profile: Vendor,
        red: &["ip-07", "prop-ip-02"],
    },
    Case {
        defect: MonthEndExpiry,
        profile: Vendor,
        red: &["prop-expiry-01"],
    },
    Case {
        defect: StateDecodedTwice,
        profile: Vendor,
        red: &["authz-req-02", "prop-input-01"],
    },
    Case {
        defect: GrantTypeEchoed,
        profile: Vendor,
        red: &["prop-input-02", "token-err-01"],
    },
    Case {
        defect: BasicNotUtf8Is500,
        profile: Vendor,
        red: &["prop-input-03", "token-auth-07"],
    },
];

pub const NOT_YET_KILLED: &[&str] = &[];
