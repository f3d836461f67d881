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
    /// The reference server itself: DECISION rows fail instead of warning.
    #[serde(default)]
    pub reference: bool,
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
