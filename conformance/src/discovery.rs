//! Endpoints from RFC 8414 metadata, falling back to OpenID discovery.

use serde_json::Value;

/// Where the target's endpoints are; absent ones make the checks that need them skip.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// The URL the metadata came from.
    pub metadata_url: String,
    pub metadata: Value,
    pub issuer: String,
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub introspection: Option<String>,
    pub revocation: Option<String>,
    /// Spring's `/oauth/check_token`: never in metadata; assumed beside the token endpoint.
    pub check_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(
        "cannot reach {url}: {message}. Is the server running, and is `issuer` in the target file its address?"
    )]
    Unreachable { url: String, message: String },
    #[error("no metadata at {tried}: {detail}")]
    NoMetadata { tried: String, detail: String },
}

/// RFC 8414 §3: `/.well-known/oauth-authorization-server` inserted before the issuer's path.
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let (origin, path) = match url::Url::parse(trimmed) {
        Ok(url) => (
            url.origin().ascii_serialization(),
            url.path().trim_end_matches('/').to_owned(),
        ),
        Err(_) => (trimmed.to_owned(), String::new()),
    };
    vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{trimmed}/.well-known/openid-configuration"),
    ]
}

/// The innermost error of a transport failure ("Connection refused (os error 111)"), not
/// reqwest's outer text, which repeats the URL.
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if error.is_timeout() {
        format!("no answer in time ({cause})")
    } else {
        cause.to_string()
    }
}

impl Endpoints {
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Self, DiscoveryError> {
        let mut tried = Vec::new();
        let mut detail = String::new();
        for url in metadata_urls(issuer) {
            tried.push(url.clone());
            let response = match http.get(&url).send().await {
                Ok(response) => response,
                Err(e) if e.is_connect() || e.is_timeout() => {
                    return Err(DiscoveryError::Unreachable {
                        url,
                        message: root_cause(&e),
                    });
                }
                Err(e) => {
                    detail = e.to_string();
                    continue;
                }
            };
            let status = response.status();
            let Ok(text) = response.text().await else {
                continue;
            };
            match serde_json::from_str::<Value>(&text) {
                Ok(metadata) if status.is_success() && metadata.is_object() => {
                    return Ok(Self::from_metadata(url, metadata, issuer));
                }
                _ => detail = format!("{url} answered {status}"),
            }
        }
        Err(DiscoveryError::NoMetadata {
            tried: tried.join(", "),
            detail,
        })
    }

    pub fn from_metadata(metadata_url: String, metadata: Value, issuer: &str) -> Self {
        let field = |name: &str| {
            metadata
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let token = field("token_endpoint");
        let check_token = token
            .as_deref()
            .and_then(|t| t.rsplit_once('/'))
            .map(|(base, _)| format!("{base}/check_token"));
        Self {
            issuer: field("issuer").unwrap_or_else(|| issuer.to_owned()),
            authorization: field("authorization_endpoint"),
            introspection: field("introspection_endpoint"),
            revocation: field("revocation_endpoint"),
            token,
            check_token,
            metadata,
            metadata_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_url_puts_the_well_known_part_before_the_issuers_path() {
        assert_eq!(
            metadata_urls("https://as.example/tenant/1/"),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant/1",
                "https://as.example/tenant/1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("http://127.0.0.1:8080")[0],
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
    }
}
