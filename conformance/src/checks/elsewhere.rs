//! Rows a black-box client cannot observe, and where they are checked instead.

use crate::model::CheckedElsewhere;

pub const CHECKED_ELSEWHERE: &[CheckedElsewhere] = &[];
