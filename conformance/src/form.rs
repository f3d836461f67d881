//! The login and consent forms of an authorization server's pages, read the way a browser reads
//! them. The suite's user agent, the checks that post a form with parts changed, and the load
//! scenarios all answer forms through this one reading.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// What the user answers on a consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    /// Words a button that makes this decision says, in its label or value.
    fn words(self) -> &'static [&'static str] {
        match self {
            Self::Approve => &["approve", "allow", "accept", "yes", "continue", "confirm"],
            Self::Deny => &["deny", "reject", "cancel", "no", "abort"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Hidden,
    /// A text or e-mail input: the user name of a login form.
    Username,
    Password,
    /// A checkbox the page has ticked already.
    Checked,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    /// As the page gives it: empty for the user's own inputs.
    pub value: String,
}

/// A submit button: `<button>` or `<input type=submit>`.
#[derive(Debug, Clone)]
pub struct Submit {
    pub name: Option<String>,
    pub value: String,
    pub label: String,
}

/// The first form of a page.
#[derive(Debug, Clone)]
pub struct Form {
    /// Where it posts, resolved against the page's URL.
    pub action: Url,
    pub fields: Vec<Field>,
    pub submits: Vec<Submit>,
}

/// The first form of `html`, served at `page`; `None` when the page has none.
pub fn read_form(html: &str, page: &Url) -> Option<Form> {
    let document = Html::parse_document(html);
    let forms = Selector::parse("form").ok()?;
    let inputs = Selector::parse("input").ok()?;
    let buttons = Selector::parse("button, input[type=submit]").ok()?;
    let form = document.select(&forms).next()?;
    let action = page.join(form.value().attr("action").unwrap_or("")).ok()?;
    let fields = form.select(&inputs).filter_map(field).collect();
    let submits = form
        .select(&buttons)
        .map(|button| {
            let element = button.value();
            Submit {
                name: element.attr("name").map(str::to_owned),
                value: element.attr("value").unwrap_or("").to_owned(),
                label: button.text().collect(),
            }
        })
        .collect();
    Some(Form {
        action,
        fields,
        submits,
    })
}

fn field(input: ElementRef<'_>) -> Option<Field> {
    let element = input.value();
    let name = element.attr("name")?.to_owned();
    let value = element.attr("value").unwrap_or("").to_owned();
    let kind = match element
        .attr("type")
        .unwrap_or("text")
        .to_ascii_lowercase()
        .as_str()
    {
        "hidden" => FieldKind::Hidden,
        "password" => FieldKind::Password,
        "text" | "email" => FieldKind::Username,
        "checkbox" if element.attr("checked").is_some() => FieldKind::Checked,
        _ => return None,
    };
    Some(Field { name, kind, value })
}

impl Form {
    /// A login form is one that asks for a password.
    pub fn is_login(&self) -> bool {
        self.fields.iter().any(|f| f.kind == FieldKind::Password)
    }

    /// The hidden fields, as the page gives them.
    pub fn hidden(&self) -> Vec<(String, String)> {
        self.pairs(&[FieldKind::Hidden])
    }

    /// The button that makes `decision`; when approving, the first button if none says so.
    pub fn submit(&self, decision: Decision) -> Option<&Submit> {
        let words = decision.words();
        self.submits
            .iter()
            .find(|button| {
                let (value, label) = (
                    button.value.to_ascii_lowercase(),
                    button.label.to_ascii_lowercase(),
                );
                words.iter().any(|w| value.contains(w) || label.contains(w))
            })
            .or_else(|| {
                (decision == Decision::Approve)
                    .then(|| self.submits.first())
                    .flatten()
            })
    }

    /// What a browser posts when the user answers the consent form with `decision`: the hidden
    /// and ticked fields, then the name and value of the button pressed. `None` when no button
    /// makes that decision.
    pub fn consent(&self, decision: Decision) -> Option<Vec<(String, String)>> {
        let button = self.submit(decision)?;
        let mut fields = self.pairs(&[FieldKind::Hidden, FieldKind::Checked]);
        if let Some(name) = &button.name {
            fields.push((name.clone(), button.value.clone()));
        }
        Some(fields)
    }

    /// What a browser posts when the user logs in: the hidden and ticked fields, the user name
    /// in each text input and the password in each password input.
    pub fn login(&self, username: &str, password: &str) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|f| {
                let value = match f.kind {
                    FieldKind::Username => username,
                    FieldKind::Password => password,
                    FieldKind::Hidden | FieldKind::Checked => &f.value,
                };
                (f.name.clone(), value.to_owned())
            })
            .collect()
    }

    fn pairs(&self, kinds: &[FieldKind]) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| kinds.contains(&f.kind))
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn page() -> Url {
        Url::parse("http://127.0.0.1:8080/oauth/authorize?client_id=c").unwrap()
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_login_form_is_filled_with_the_credentials_and_keeps_its_hidden_fields() {
        let html = r#"<form method="post" action="/login"><input type="hidden" name="csrf" value="c1">
            <input name="username"><input type="password" name="password">
            <input type="checkbox" name="remember" value="1" checked>
            <input type="checkbox" name="spam" value="1"><button type="submit">Sign in</button></form>"#;
        let form = read_form(html, &page()).unwrap();
        assert!(form.is_login());
        assert_eq!(form.action.as_str(), "http://127.0.0.1:8080/login");
        assert_eq!(
            form.login("alice", "pw"),
            owned(&[
                ("csrf", "c1"),
                ("username", "alice"),
                ("password", "pw"),
                ("remember", "1")
            ])
        );
        assert_eq!(form.hidden(), owned(&[("csrf", "c1")]));
    }

    #[test]
    fn consent_presses_the_button_that_says_the_decision() {
        let html = r#"<p>intro</p><form method="post" action="consent">
            <input type="hidden" name="ticket" value="t">
            <button name="decision" value="deny">Deny</button>
            <button name="decision" value="approve">Approve</button></form>
            <form action="/other"><input type="hidden" name="x" value="y"></form>"#;
        let form = read_form(html, &page()).unwrap();
        assert!(!form.is_login());
        assert_eq!(form.action.as_str(), "http://127.0.0.1:8080/oauth/consent");
        assert_eq!(
            form.consent(Decision::Approve).unwrap(),
            owned(&[("ticket", "t"), ("decision", "approve")])
        );
        assert_eq!(
            form.consent(Decision::Deny).unwrap(),
            owned(&[("ticket", "t"), ("decision", "deny")])
        );
    }

    #[test]
    fn approving_takes_the_first_button_and_denying_needs_one_that_says_so() {
        let html = r#"<form method="post"><input type="hidden" name="t" value="1">
            <input type="submit" name="go" value="Submit"></form>"#;
        let form = read_form(html, &page()).unwrap();
        assert_eq!(
            form.consent(Decision::Approve).unwrap(),
            owned(&[("t", "1"), ("go", "Submit")])
        );
        assert!(form.consent(Decision::Deny).is_none());
        // A form posts to its own page when it names no action.
        assert_eq!(form.action, page());
    }

    #[test]
    fn a_page_without_a_form_has_none() {
        assert!(read_form("<h1>invalid_request</h1>", &page()).is_none());
    }
}
