//! Scope values (RFC 6749 §3.3): a set of scope tokens, written space-separated on the wire, in
//! a token's claims and in storage alike, so one join and one split serve them all.

use std::collections::BTreeSet;

/// A set of scope tokens (or of audience values, which are written the same way).
pub type Scope = BTreeSet<String>;

/// The space-separated form, in the set's order.
pub fn join(scope: &Scope) -> String {
    scope
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The set a space-separated value holds, repeats and empty words dropped; the inverse of
/// [`join`].
pub fn split(text: &str) -> Scope {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_inverts_join() {
        let scope = split("wallet:view  backoffice:read wallet:view");
        assert_eq!(scope.len(), 2);
        assert_eq!(join(&scope), "backoffice:read wallet:view");
        assert_eq!(split(&join(&scope)), scope);
        assert!(split("").is_empty());
    }
}
