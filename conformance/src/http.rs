//! Every exchange a check makes, recorded for its transcript with secrets redacted, and a
//! `curl` line that replays the request.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use crate::model::{Outcome, fail};

/// A client builder with the process's one TLS configuration. reqwest reads and parses the
/// platform's trusted roots for every client it builds, and a run builds many (each user agent
/// is its own client, for its cookies); here they are read once. Where the platform has no roots,
/// clients still reach plain-HTTP targets, and an HTTPS target fails with an unknown issuer.
pub fn client_builder() -> reqwest::ClientBuilder {
    static TLS: LazyLock<Option<rustls::ClientConfig>> = LazyLock::new(|| {
        use rustls_platform_verifier::ConfigVerifierExt as _;
        rustls::ClientConfig::with_platform_verifier().ok()
    });
    let builder = reqwest::Client::builder();
    match &*TLS {
        Some(config) => builder.tls_backend_preconfigured(config.clone()),
        None => builder.tls_certs_only([]),
    }
}

pub const REDACTED: &str = "[redacted]";
/// Bodies longer than this are cut in transcripts.
const BODY_LIMIT: usize = 8 * 1024;
/// Names whose values are credentials, in forms, JSON bodies and query strings.
const SECRET_NAMES: &[&str] = &[
    "client_secret",
    "password",
    "access_token",
    "refresh_token",
    "token",
    "code",
    "id_token",
    "csrf",
    "ticket",
];

/// Knows every secret of the run (target file, created clients, issued tokens) and removes
/// them from anything recorded.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    known: Arc<RwLock<Known>>,
}

/// Token-shaped secrets (the usual case) are found by looking each run of token characters
/// up in a set, so the cost stays linear however many tokens a run has seen; the rest (a
/// target file's hand-written secret) are searched for as substrings.
#[derive(Debug, Default)]
struct Known {
    token_shaped: HashSet<String>,
    other: Vec<String>,
}

/// Characters of base64url, JWTs and RFC 3986 unreserved text: never form-encoded, so a
/// token reads the same in a body, a query string or JSON.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

impl Redactor {
    pub fn remember(&self, secret: &str) {
        // Short values would blank out ordinary text.
        if secret.len() < 8 {
            return;
        }
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if secret.chars().all(token_char) {
            known.token_shaped.insert(secret.to_owned());
        } else if !known.other.iter().any(|k| k == secret) {
            known.other.push(secret.to_owned());
        }
    }

    pub fn text(&self, text: &str) -> String {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(token_char) {
            out.push_str(&rest[..start]);
            let run = &rest[start..];
            let end = run.find(|c: char| !token_char(c)).unwrap_or(run.len());
            let word = &run[..end];
            out.push_str(if known.token_shaped.contains(word) {
                REDACTED
            } else {
                word
            });
            rest = &run[end..];
        }
        out.push_str(rest);
        for secret in &known.other {
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            for form in [secret.as_str(), encoded.as_str()] {
                if out.contains(form) {
                    out = out.replace(form, REDACTED);
                }
            }
        }
        out
    }

    /// A form body or query string: values of credential names go, then known secrets.
    pub fn form(&self, text: &str) -> String {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| {
                let v = if SECRET_NAMES.contains(&k.as_ref()) {
                    REDACTED.into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if pairs.is_empty() {
            return self.text(text);
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            serializer.append_pair(k, v);
        }
        self.text(&serializer.finish().replace("%5Bredacted%5D", REDACTED))
    }

    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if SECRET_NAMES.contains(&k.as_str()) && v.is_string() {
                            Value::String(REDACTED.into())
                        } else {
                            self.json(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// A body of the given content type.
    pub fn body(&self, content_type: Option<&str>, body: &str) -> String {
        let content_type = content_type.unwrap_or("");
        let redacted = if content_type.contains("json") {
            match serde_json::from_str::<Value>(body) {
                Ok(value) => serde_json::to_string_pretty(&self.json(&value)).unwrap_or_default(),
                Err(_) => self.text(body),
            }
        } else if content_type.contains("x-www-form-urlencoded") {
            self.form(body)
        } else {
            self.text(body)
        };
        cut(&redacted)
    }

    pub fn url(&self, url: &str) -> String {
        match url.split_once('?') {
            Some((base, query)) => {
                let (query, fragment) = match query.split_once('#') {
                    Some((q, f)) => (q, Some(f)),
                    None => (query, None),
                };
                let mut out = format!("{}?{}", self.text(base), self.form(query));
                if let Some(fragment) = fragment {
                    out.push('#');
                    out.push_str(&self.form(fragment));
                }
                out
            }
            None => self.text(url),
        }
    }

    pub fn header(&self, name: &str, value: &str) -> String {
        match name.to_ascii_lowercase().as_str() {
            "authorization" => match value.split_once(' ') {
                // A malformed value (a hostile input) holds no credential: shown as sent, so
                // the transcript and its curl line replay exactly what the server received.
                _ if carries_no_credential(value) => self.text(value),
                Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                None => REDACTED.into(),
            },
            "cookie" | "set-cookie" => match value.split_once('=') {
                Some((cookie, _)) => format!("{cookie}={REDACTED}"),
                None => REDACTED.into(),
            },
            "location" => self.url(value),
            _ => self.text(value),
        }
    }
}

/// An `Authorization` value that cannot carry a credential of the run: Basic that does not
/// decode to `user:password` text, or a scheme that is neither Basic nor Bearer. Bearer values
/// are tokens, and a decodable Basic value may hold a secret: those are always redacted.
fn carries_no_credential(value: &str) -> bool {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return true;
    }
    let decoded = STANDARD.decode(rest.trim()).ok();
    !decoded
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|text| text.contains(':'))
}

/// Values of hidden form fields that are credentials (anti-forgery values, consent tickets):
/// a page shows them before any request carries them.
pub fn hidden_credentials(html: &str) -> Vec<String> {
    let Ok(hidden) = scraper::Selector::parse("input[type=hidden]") else {
        return Vec::new();
    };
    scraper::Html::parse_document(html)
        .select(&hidden)
        .filter(|input| {
            input
                .value()
                .attr("name")
                .is_some_and(|name| SECRET_NAMES.contains(&name))
        })
        .filter_map(|input| input.value().attr("value").map(str::to_owned))
        .collect()
}

fn cut(text: &str) -> String {
    if text.len() <= BODY_LIMIT {
        return text.to_owned();
    }
    let mut end = BODY_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The local address the request was sent from, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Exchange {
    pub request: RecordedRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Replays the request; credentials appear as shell variables.
    pub curl: String,
}

/// One check's exchanges, in order.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Transcript {
    pub fn push(&self, exchange: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(exchange);
    }

    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(
            &mut *self
                .exchanges
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or a failure that says what came instead.
    pub fn json(&self) -> Result<Value, Outcome> {
        serde_json::from_str(&self.body).map_err(|_| {
            fail(
                "a JSON body",
                format!("{} {}", self.status, short(&self.body)),
            )
        })
    }

    /// `error` of an RFC 6749 §5.2 body, if any.
    pub fn error_code(&self) -> Option<String> {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
    }

    /// For failure messages, which reach the report unredacted: the status plus `error`, or
    /// for a JSON object without one its member names, never their values (a token granted
    /// where none should be); any other body's first line.
    pub fn summary(&self) -> String {
        if let Some(error) = self.error_code() {
            return format!("{} {error}", self.status);
        }
        match serde_json::from_str::<Value>(&self.body) {
            Ok(Value::Object(members)) => {
                let names: Vec<&str> = members.keys().map(String::as_str).collect();
                format!("{} {{{}}}", self.status, names.join(", "))
            }
            _ => match short(&self.body) {
                first if first.is_empty() => format!("{} (empty body)", self.status),
                first => format!("{} {first}", self.status),
            },
        }
    }
}

/// The first line of a body, shortened, for messages.
pub fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else {
        line.to_owned()
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `curl` for a recorded (already redacted) request. A Basic header becomes `-u` with the
/// client id and `$CLIENT_SECRET`; a bearer token becomes `$TOKEN`.
pub fn curl_line(request: &RecordedRequest, basic_user: Option<&str>) -> String {
    let mut parts = vec!["curl -i".to_owned()];
    if let Some(source) = &request.source {
        parts.push(format!("--interface {source}"));
    }
    if request.method != "GET" || !request.body.is_empty() {
        parts.push(format!("-X {}", request.method));
    }
    parts.push(shell_quote(&request.url));
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("authorization") && value.contains(REDACTED) {
            match (value.split_once(' '), basic_user) {
                (Some((scheme, _)), Some(user)) if scheme.eq_ignore_ascii_case("basic") => {
                    parts.push(format!(
                        "-u \"{}:$CLIENT_SECRET\"",
                        user.replace('"', "\\\"")
                    ));
                }
                (Some((scheme, _)), _) => {
                    parts.push(format!("-H \"authorization: {scheme} $TOKEN\""));
                }
                _ => {}
            }
            continue;
        }
        parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if !request.body.is_empty() {
        parts.push(format!("--data-raw {}", shell_quote(&request.body)));
    }
    parts.join(" ")
}

/// The user name of a Basic header (`client_id`, form-decoded as RFC 6749 §2.3.1 says).
pub fn basic_user(value: &str) -> Option<String> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
    Some(
        url::form_urlencoded::parse(format!("u={user}").as_bytes())
            .next()
            .map_or_else(|| user.to_owned(), |(_, v)| v.into_owned()),
    )
}

pub fn header_pairs(headers: &HeaderMap, redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (
                name.as_str().to_owned(),
                redactor.header(name.as_str(), &value),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_authorization_value_is_shown_as_sent_and_replayed() {
        let redactor = Redactor::default();
        redactor.remember("s3cret-value-123");
        let right = format!("Basic {}", STANDARD.encode("cc-client:s3cret-value-123"));
        let shown = |value: &str| redactor.header("Authorization", value);

        assert_eq!(shown(&right), "Basic [redacted]");
        assert_eq!(shown("Bearer abcdef0123456789"), "Bearer [redacted]");
        for malformed in [
            "Basic //46/w==",
            "Basic !!!not-base64!!!",
            "Basic",
            "Digest username=\"x\"",
        ] {
            assert_eq!(shown(malformed), malformed);
        }
        let request = RecordedRequest {
            method: "POST".into(),
            url: "http://127.0.0.1/token".into(),
            headers: vec![("authorization".into(), shown("Basic //46/w=="))],
            body: String::new(),
            source: None,
        };
        assert!(curl_line(&request, None).contains("-H 'authorization: Basic //46/w=='"));
    }

    #[test]
    fn forms_json_headers_and_known_values_are_redacted() {
        let redactor = Redactor::default();
        redactor.remember("s3cret-value-123");

        assert_eq!(
            redactor.form("grant_type=client_credentials&client_secret=abc&scope=a+b"),
            "grant_type=client_credentials&client_secret=[redacted]&scope=a+b"
        );
        assert_eq!(
            redactor.json(&serde_json::json!({"access_token": "t", "note": "s3cret-value-123 x"})),
            serde_json::json!({"access_token": REDACTED, "note": "[redacted] x"})
        );
        assert_eq!(
            redactor.header("Authorization", "Basic YWJjOmRlZg=="),
            "Basic [redacted]"
        );
        assert_eq!(
            redactor.url("https://c.example/cb?code=xyz&state=s1"),
            "https://c.example/cb?code=[redacted]&state=s1"
        );
        assert_eq!(redactor.text("a%2Fb s3cret-value-123"), "a%2Fb [redacted]");
        assert_eq!(
            redactor.text("x=s3cret-value-123&y=s3cret-value-1234"),
            "x=[redacted]&y=s3cret-value-1234",
            "whole tokens only"
        );
        redactor.remember("hand written secret/+");
        assert_eq!(
            redactor.text("a=hand+written+secret%2F%2B b=hand written secret/+"),
            "a=[redacted] b=[redacted]"
        );
    }

    #[test]
    fn a_summary_names_the_error_or_the_members_never_a_value() {
        let reply = |status, body: &str| Reply {
            status,
            headers: HeaderMap::new(),
            body: body.to_owned(),
        };

        assert_eq!(
            reply(400, r#"{"error":"invalid_grant","error_description":"x"}"#).summary(),
            "400 invalid_grant"
        );
        assert_eq!(
            reply(200, r#"{"access_token":"t0k3n","token_type":"Bearer"}"#).summary(),
            "200 {access_token, token_type}"
        );
        assert_eq!(reply(404, "not here\nat all").summary(), "404 not here");
    }

    #[test]
    fn hidden_credentials_are_found_in_pages() {
        let page = r#"<form><input type="hidden" name="csrf" value="anti-forgery-1234">
            <input type="hidden" name="return_to" value="/oauth/authorize?x=1"></form>"#;

        assert_eq!(hidden_credentials(page), ["anti-forgery-1234"]);
    }

    #[test]
    fn curl_lines_put_credentials_in_variables() {
        let request = RecordedRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:8080/oauth/token".into(),
            headers: vec![
                ("authorization".into(), "Basic [redacted]".into()),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: "grant_type=client_credentials".into(),
            source: Some("127.0.0.2".into()),
        };

        assert_eq!(
            curl_line(&request, Some("cc-client")),
            "curl -i --interface 127.0.0.2 -X POST 'http://127.0.0.1:8080/oauth/token' \
             -u \"cc-client:$CLIENT_SECRET\" -H 'content-type: application/x-www-form-urlencoded' \
             --data-raw 'grant_type=client_credentials'"
        );
        assert_eq!(
            basic_user("Basic Y2MtY2xpZW50OnNlY3JldA==").as_deref(),
            Some("cc-client")
        );
    }
}
