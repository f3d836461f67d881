//! A posted form's fields, and a refused field's message placed at its input.
//!
//! Forms repeat names (one checkbox per role), so this keeps every pair in order, unlike the
//! OAuth form reader, which refuses repeats (RFC 6749 §3.1).

use crate::client::FieldError;

#[derive(Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl std::fmt::Debug for Fields {
    // Names only: values include passwords and anti-forgery values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Fields {
    pub(super) fn parse(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, trimmed; `None` when empty.
    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// Every value of `name` (ticked checkboxes).
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// Where a refused field's message goes: `redirect_urls[1]` is the Redirect URLs box, with
/// the entry's line named before the API's own message.
#[derive(Debug, Default, Clone)]
pub(super) struct Shown {
    pub(super) field: String,
    pub(super) message: String,
}

impl Shown {
    pub(super) fn of(error: &FieldError) -> Self {
        match error.field.split_once('[') {
            Some((field, rest)) => {
                let line = rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_or_else(|_| String::new(), |i| format!("line {}: ", i + 1));
                Shown {
                    field: field.to_owned(),
                    message: format!("{line}{}", error.message),
                }
            }
            None => Shown {
                field: error.field.clone(),
                message: error.message.clone(),
            },
        }
    }

    /// The message, if it belongs to `field`.
    pub(super) fn at(shown: Option<&Shown>, field: &str) -> Option<String> {
        shown
            .filter(|s| s.field == field)
            .map(|s| s.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_kept_and_blank_text_is_none() {
        let fields = Fields::parse(b"roles=a&roles=b&notes=+x+&empty=");
        assert_eq!(fields.all("roles"), ["a", "b"]);
        assert_eq!(fields.text("notes").as_deref(), Some("x"));
        assert_eq!(fields.text("empty"), None);
        assert_eq!(fields.text("missing"), None);
    }

    #[test]
    fn an_entry_error_lands_on_its_box_with_its_line() {
        let shown = Shown::of(&FieldError::new("redirect_urls[1]", "not https"));
        assert_eq!(shown.field, "redirect_urls");
        assert_eq!(shown.message, "line 2: not https");
    }
}
