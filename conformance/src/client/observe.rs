//! What one run of the client under test leaves for its judge: every request it sent to the
//! server (with the answer it got and when), its exit, what it printed, and what the harness
//! did as the browser.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::model::{CheckResult, fail};

pub const TOKEN_PATH: &str = "/oauth/token";

/// One request the client sent, and the answer it got (after any misbehaviour).
#[derive(Debug, Clone)]
pub struct Seen {
    /// When the request reached the server.
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's form fields, decoded (empty for anything else).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The query string's fields, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    }

    pub fn is_token_request(&self) -> bool {
        self.path == TOKEN_PATH
    }

    pub fn is_resource_call(&self) -> bool {
        self.path.starts_with("/resources/")
    }

    pub fn response_json(&self) -> Option<Value> {
        serde_json::from_str(&self.response_body).ok()
    }
}

/// How the client's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal,
    TimedOut(Duration),
    /// `sh` could not be started, or the harness could not set the test up.
    NotRun(String),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code(code) => write!(f, "exit {code}"),
            Self::Signal => f.write_str("killed by a signal"),
            Self::TimedOut(after) => write!(f, "timed out after {} s", after.as_secs()),
            Self::NotRun(why) => write!(f, "not run: {why}"),
        }
    }
}

/// Everything a judge sees. Secrets are in clear here; reports get them redacted.
#[derive(Debug, Clone)]
pub struct Observation {
    pub requests: Vec<Seen>,
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    pub client_id: String,
    pub client_secret: String,
    pub issuer: String,
    pub scope: String,
    /// The registered redirect URI given as `OAUTH_REDIRECT_URI` (code plan).
    pub redirect_uri: Option<String>,
    /// `RESOURCE_CALLS`.
    pub calls: u32,
    /// The authorization URL the client printed (code plan).
    pub authorization_url: Option<String>,
    /// The authorization responses the harness delivered to the client, in order.
    pub delivered: Vec<String>,
    /// Every token the server issued during the run, from its token responses.
    pub issued: Vec<String>,
}

impl Observation {
    pub fn token_requests(&self) -> impl Iterator<Item = &Seen> {
        self.requests.iter().filter(|s| s.is_token_request())
    }

    pub fn resource_calls(&self) -> impl Iterator<Item = &Seen> {
        self.requests.iter().filter(|s| s.is_resource_call())
    }

    /// The token requests of one grant type.
    pub fn grants(&self, grant_type: &str) -> Vec<&Seen> {
        self.token_requests()
            .filter(|s| s.param("grant_type").as_deref() == Some(grant_type))
            .collect()
    }

    /// The `grant_type`s that reached the token endpoint, in order.
    pub fn grant_types(&self) -> Vec<String> {
        self.token_requests()
            .map(|s| s.param("grant_type").unwrap_or_else(|| "(none)".into()))
            .collect()
    }

    pub fn exited_zero(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    /// The premise of most tests: the client did its job (every call ended 200) and said so.
    pub fn completed(&self) -> CheckResult {
        let ok_calls = self.resource_calls().filter(|s| s.status == 200).count();
        if self.exited_zero() && ok_calls >= self.calls as usize {
            return Ok(());
        }
        Err(fail(
            format!("exit 0 after {} resource calls that ended 200", self.calls),
            format!(
                "{} after {ok_calls} that ended 200{}",
                self.exit,
                self.last_words()
            ),
        ))
    }

    /// The end of the client's standard error, to say why it stopped.
    pub fn last_words(&self) -> String {
        let last = self
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        if last.is_empty() {
            String::new()
        } else {
            format!(
                "; its standard error ends with \"{}\"",
                crate::http::short(last.trim())
            )
        }
    }

    /// The authorization request's query parameters, as the client printed them.
    pub fn authorization_param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(self.authorization_url.as_deref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The client's `state`, parameter of its authorization request.
    pub fn state(&self) -> Option<String> {
        self.authorization_param("state")
    }
}
