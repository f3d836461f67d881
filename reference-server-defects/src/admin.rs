//! Defects of the admin API, roles, IP whitelists and expiry, and the defects the property and race
//! checks found.

use reference_server::config::Config;
use reference_server::wiring::Wiring;

use crate::Defect;

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    let _ = (defect, config);
    None
}
