//! How the remaining scope branches misread a requested scope.

use crate::client::Client;
use crate::state::AppState;

/// The scope granted under [`crate::defects::Defect::ScopeCaseFolded`] (each value matched
/// to an allowed one ignoring case) or [`crate::defects::Defect::WalletScopeUnchecked`]
/// (whatever was asked for).
pub fn misread_scope(
    state: &AppState,
    client: &Client,
    requested: &str,
) -> Result<std::collections::BTreeSet<String>, crate::error::OAuthError> {
    let allowed = client.allowed_scopes();
    if !state
        .config
        .has_defect(crate::defects::Defect::ScopeCaseFolded)
    {
        return Ok(requested.split(' ').map(str::to_owned).collect());
    }
    let folded: Vec<String> = requested
        .split(' ')
        .map(|value| {
            allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(value))
                .cloned()
                .unwrap_or_else(|| value.to_owned())
        })
        .collect();
    crate::tokens::grant_scope(Some(&folded.join(" ")), allowed)
}
