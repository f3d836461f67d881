//! The target file (design.md, "Target file"): which server, which clients, how to log in.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

use crate::model::Profile;

/// A secret from the target file; never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AdminCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    pub id: String,
    pub secret: Secret,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LoginKind {
    /// The server logs the user in and consents by itself.
    None,
    /// A login form with `username` and `password` fields, then a consent form.
    #[default]
    Form,
    /// A login the user agent cannot drive (a script that posts JSON, a second factor): the
    /// checks that need a logged-in user skip.
    Manual,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[serde(default)]
    pub kind: LoginKind,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
}

/// A protected resource of the target's (design.md, "Target files"): the BEARER checks call it
/// with the tokens they obtain, so resource servers in front of any authorization server get
/// checked, not only the reference server's demo resources.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// An absolute URL that answers 200 to a valid bearer token.
    pub url: String,
    /// `GET` unless given.
    #[serde(default = "Resource::default_method")]
    pub method: String,
    /// The scope a token needs to be accepted there; asked for with `clients.cc`.
    #[serde(default)]
    pub scope: Option<String>,
}

impl Resource {
    fn default_method() -> String {
        "GET".to_owned()
    }
}

/// A parsed target file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub issuer: String,
    pub profile: Profile,
    #[serde(default)]
    pub admin: Option<AdminCredentials>,
    #[serde(default)]
    pub test_clock: bool,
    #[serde(default)]
    pub source_ips: Vec<IpAddr>,
    /// `cc`, `code`, `code2`; other names are kept for checks that look for them.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientEntry>,
    #[serde(default)]
    pub login: Option<Login>,
    /// More HTML pages a browser meets, as paths on the issuer (a back office's sign-in page,
    /// say): the SEC-BCP-06 checks judge them beside the login, consent and error pages.
    #[serde(default)]
    pub pages: Vec<String>,
    #[serde(default)]
    pub resource: Option<Resource>,
}

/// A target file that cannot be used; says which field and why.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: field `{field}`: {message}")]
    Field {
        path: String,
        field: String,
        message: String,
    },
}

impl Target {
    pub fn load(path: &Path) -> Result<Self, TargetError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TargetError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, TargetError> {
        let field_error = |field: String, message: String| TargetError::Field {
            path: path.to_owned(),
            field,
            message,
        };
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|e| field_error("(file)".into(), e.message().to_owned()))?;
        let target: Self = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = e.path().to_string();
            let message = e.inner().message().to_owned();
            field_error(
                if field == "." {
                    "(top level)".into()
                } else {
                    field
                },
                message,
            )
        })?;
        target
            .validate()
            .map_err(|(field, message)| field_error(field, message))?;
        Ok(target)
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let url = url::Url::parse(&self.issuer)
            .map_err(|e| ("issuer".to_owned(), format!("not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(("issuer".into(), "must be an http or https URL".into()));
        }
        if self.name.trim().is_empty() {
            return Err(("name".into(), "must not be empty".into()));
        }
        for (name, client) in &self.clients {
            if name.starts_with("code") && client.redirect_uri.is_none() {
                return Err((
                    format!("clients.{name}.redirect_uri"),
                    "an authorization_code client needs its redirect_uri".into(),
                ));
            }
        }
        if let Some(resource) = &self.resource {
            let url = url::Url::parse(&resource.url).map_err(|e| {
                (
                    "resource.url".to_owned(),
                    format!("not an absolute URL: {e}"),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(("resource.url".into(), "must be an http or https URL".into()));
            }
            if reqwest::Method::from_bytes(resource.method.as_bytes()).is_err() {
                return Err(("resource.method".into(), "not an HTTP method".into()));
            }
        }
        for (n, page) in self.pages.iter().enumerate() {
            if !page.starts_with('/') || page.starts_with("//") {
                return Err((
                    format!("pages[{n}]"),
                    "a path on the issuer, starting with a single /".into(),
                ));
            }
        }
        if let Some(login) = &self.login
            && login.kind == LoginKind::Form
            && (login.username.is_none() || login.password.is_none())
        {
            return Err((
                "login".into(),
                "kind = \"form\" needs username and password".into(),
            ));
        }
        Ok(())
    }

    pub fn client(&self, name: &str) -> Option<&ClientEntry> {
        self.clients.get(name)
    }

    /// Secrets to keep out of every report.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self
            .clients
            .values()
            .map(|c| c.secret.expose().to_owned())
            .collect();
        if let Some(admin) = &self.admin {
            secrets.push(admin.client_secret.expose().to_owned());
        }
        if let Some(password) = self.login.as_ref().and_then(|l| l.password.as_ref()) {
            secrets.push(password.expose().to_owned());
        }
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"
name = "my-server"
issuer = "https://as.example"
profile = "strict"
admin = { client_id = "admin", client_secret = "admin-secret-0001" }
test_clock = true
source_ips = ["127.0.0.2", "127.0.0.3"]

[clients.cc]
id = "cc-client"
secret = "cc-secret-0002"
scope = "api:read"

[clients.code]
id = "web-client"
secret = "code-secret-0003"
redirect_uri = "https://client.example/cb"

[login]
kind = "form"
username = "test-user"
password = "user-password-0004"
"#;

    const SECRETS: [&str; 4] = [
        "admin-secret-0001",
        "cc-secret-0002",
        "code-secret-0003",
        "user-password-0004",
    ];

    /// `VALID` with `from` replaced by `to`; panics if `from` is not there.
    fn edited(from: &str, to: &str) -> String {
        assert!(VALID.contains(from), "{from:?} is not in the sample");
        VALID.replacen(from, to, 1)
    }

    /// The field and message of a file that must not parse.
    fn rejected(text: &str) -> (String, String) {
        match Target::parse(text, "t.toml") {
            Err(TargetError::Field { field, message, .. }) => (field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_file_parses() {
        let target = Target::parse(VALID, "t.toml").unwrap();

        assert_eq!(target.name, "my-server");
        assert_eq!(target.profile, Profile::Strict);
        assert!(target.test_clock);
        assert_eq!(target.source_ips.len(), 2);
        assert_eq!(
            target.client("cc").unwrap().scope.as_deref(),
            Some("api:read")
        );
        assert_eq!(
            target.client("code").unwrap().redirect_uri.as_deref(),
            Some("https://client.example/cb")
        );
        assert_eq!(target.login.as_ref().unwrap().kind, LoginKind::Form);
        let mut secrets = target.secrets();
        secrets.sort();
        assert_eq!(secrets, SECRETS);
    }

    #[test]
    fn a_minimal_file_parses_with_defaults() {
        let text = "name = \"x\"\nissuer = \"http://127.0.0.1:8080\"\nprofile = \"vendor\"\n";

        let target = Target::parse(text, "t.toml").unwrap();

        assert!(target.admin.is_none() && target.login.is_none() && target.clients.is_empty());
        assert!(!target.test_clock && target.source_ips.is_empty());
        assert!(target.pages.is_empty());
    }

    #[test]
    fn pages_are_paths_on_the_issuer() {
        let base = "name = \"x\"\nissuer = \"http://127.0.0.1:8080\"\nprofile = \"vendor\"\n";
        let target = Target::parse(
            &format!("{base}pages = [\"/backoffice/login\"]\n"),
            "t.toml",
        )
        .unwrap();
        assert_eq!(target.pages, ["/backoffice/login"]);
        for bad in ["https://evil.example/x", "//evil.example/x", "backoffice"] {
            let (field, _) = rejected(&format!("{base}pages = [\"/ok\", \"{bad}\"]\n"));
            assert_eq!(field, "pages[1]", "{bad}");
        }
    }

    #[test]
    fn each_bad_file_is_refused_with_the_field_named() {
        let cases = [
            (
                "an unknown top-level field",
                edited("test_clock = true", "test_clocks = true"),
                "test_clocks",
            ),
            (
                "an unknown field in a client",
                edited("scope = \"api:read\"", "scopes = \"api:read\""),
                "scopes",
            ),
            (
                "a profile of the wrong type",
                edited("profile = \"strict\"", "profile = 3"),
                "profile",
            ),
            (
                "a profile that does not exist",
                edited("profile = \"strict\"", "profile = \"lenient\""),
                "profile",
            ),
            (
                "no issuer",
                edited("issuer = \"https://as.example\"\n", ""),
                "issuer",
            ),
            (
                "an issuer that is not a URL",
                edited("\"https://as.example\"", "\"as.example\""),
                "issuer",
            ),
            (
                "a code client without redirect_uri",
                edited("redirect_uri = \"https://client.example/cb\"\n", ""),
                "clients.code.redirect_uri",
            ),
            (
                "a login form without password",
                edited("password = \"user-password-0004\"\n", ""),
                "password",
            ),
            (
                "a source address that is not an IP",
                edited("\"127.0.0.3\"", "\"localhost\""),
                "source_ips",
            ),
        ];
        for (case, text, name) in cases {
            let (field, message) = rejected(&text);

            assert!(
                field.contains(name) || message.contains(name),
                "{case}: field `{field}`, message {message:?} do not name {name}"
            );
        }
    }

    #[test]
    fn the_error_message_names_the_file_and_the_field() {
        let error = Target::parse(&edited("profile = \"strict\"", "profile = 3"), "my.toml")
            .unwrap_err()
            .to_string();

        assert!(error.starts_with("my.toml: field `profile`: "), "{error}");
    }

    #[test]
    fn invalid_toml_is_refused() {
        let (field, _) = rejected("name = \n");

        assert_eq!(field, "(file)");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let target = Target::parse(VALID, "t.toml").unwrap();

        let shown = format!("{target:?} {target:#?}");

        for secret in SECRETS {
            assert!(!shown.contains(secret), "Debug shows {secret}");
        }
        assert!(shown.contains("Secret([redacted])"));
    }
}
