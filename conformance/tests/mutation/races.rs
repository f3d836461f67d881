//! Race checks: one winner, nothing alive after revocation, rotation or deletion.

use crate::Case;

pub const CASES: &[Case] = &[];

pub const NOT_YET_KILLED: &[&str] = &[];
