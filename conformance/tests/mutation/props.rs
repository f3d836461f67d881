//! Property checks: generated redirect URIs, source addresses, clock instants and inputs.

use crate::Case;

pub const CASES: &[Case] = &[];

pub const NOT_YET_KILLED: &[&str] = &[];
