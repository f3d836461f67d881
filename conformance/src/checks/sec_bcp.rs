//! SEC-BCP: checks of this group of requirements.md.

use crate::model::Check;

pub(super) fn checks() -> Vec<Check> {
    Vec::new()
}
