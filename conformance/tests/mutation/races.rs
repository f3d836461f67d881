//! Race checks: one winner, nothing alive after revocation, rotation or deletion.

use conformance::model::Profile::Vendor;
use reference_server_defects::Defect::*;

use crate::Case;

pub const CASES: &[Case] = &[
    Case {
        defect: RevocationCacheRace,
        profile: Vendor,
        red: &["revoke-01-race"],
    },
    Case {
        defect: RotationCacheRace,
        profile: Vendor,
        red: &["admin-03-race"],
    },
    Case {
        defect: DeletionCacheRace,
        profile: Vendor,
        red: &["admin-05-race"],
    },
];

pub const NOT_YET_KILLED: &[&str] = &[];
