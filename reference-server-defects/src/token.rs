//! Defects of the token endpoint, client authentication, introspection, check_token, revocation,
//! metadata and bearer use.

use reference_server::config::Config;
use reference_server::wiring::Wiring;

use crate::Defect;

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    let _ = (defect, config);
    None
}
