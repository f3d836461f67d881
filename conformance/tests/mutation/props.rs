//! Property checks: generated redirect URIs, source addresses, clock instants and inputs.

use crate::Case;

pub const CASES: &[Case] = &[];

pub const NOT_YET_KILLED: &[&str] = &[
    "prop-redirect-01",
    "prop-redirect-02",
    "prop-redirect-03",
    "prop-ip-01",
    "prop-ip-02",
    "prop-expiry-01",
    "prop-expiry-02",
    "prop-input-01",
    "prop-input-02",
    "prop-input-03",
];
