//! Defects of the authorization endpoint, redirect matching, code exchange, PKCE, refresh
//! tokens and the security BCP.

use reference_server::config::Config;
use reference_server::wiring::Wiring;

use crate::Defect;

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    let _ = (defect, config);
    None
}
