//! Authorization requests and the codes they bring back: the one builder of a code request,
//! the RFC 7636 Appendix B pair, and URLs made fit for messages.

use std::fmt;

use url::Url;

use super::join;
use crate::ctx::{ClientCreds, Ctx, form_pair};
use crate::model::{Outcome, fail};
use crate::ua::{Landing, UserAgent};

/// The RFC 7636 Appendix B pair: every code request carries it, since the strict profile
/// requires S256, unless the check is about PKCE itself.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The `state` of every authorization request whose check is not about `state` itself: RFC 6749
/// §4.1.1 makes it RECOMMENDED, and a server may refuse a request without it.
pub(crate) const STATE: &str = "conformance-state";

/// `code_challenge` and `code_challenge_method=S256` with the Appendix B challenge.
pub(crate) fn s256() -> String {
    Pkce::S256.to_string()
}

/// The PKCE parameters of a code request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pkce<'a> {
    /// No `code_challenge`.
    Off,
    /// The Appendix B challenge with `code_challenge_method=S256`.
    S256,
    /// This `code_challenge`, with this `code_challenge_method` or none.
    Challenge(&'a str, Option<&'a str>),
}

impl fmt::Display for Pkce<'_> {
    /// The parameters, form-encoded: also how messages name them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (challenge, method) = match *self {
            Self::Off => return Ok(()),
            Self::S256 => (CHALLENGE, Some("S256")),
            Self::Challenge(challenge, method) => (challenge, method),
        };
        let method = method.map(|m| form_pair("code_challenge_method", m));
        let pairs = join(&[
            &form_pair("code_challenge", challenge),
            method.as_deref().unwrap_or(""),
        ]);
        f.write_str(&pairs)
    }
}

/// A `response_type=code` request: `client_id`, `redirect_uri` (if any), `scope` (if any), the
/// PKCE parameters, the extra parameters as given, and last the `state`. Unless changed: S256,
/// no scope, [`STATE`] (left out when the extra parameters name a `state` of their own).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeRequest<'a> {
    client_id: &'a str,
    redirect_uri: Option<&'a str>,
    scope: Option<&'a str>,
    state: Option<&'a str>,
    pkce: Pkce<'a>,
    extra: &'a str,
}

impl<'a> CodeRequest<'a> {
    /// A request of `client` to its own redirect URI.
    pub(crate) fn of(client: &'a ClientCreds) -> Self {
        Self::to(&client.id, Some(client.redirect()))
    }

    /// A request for any client id, to any redirect URI or none.
    pub(crate) fn to(client_id: &'a str, redirect_uri: Option<&'a str>) -> Self {
        Self {
            client_id,
            redirect_uri,
            scope: None,
            state: Some(STATE),
            pkce: Pkce::S256,
            extra: "",
        }
    }

    pub(crate) fn scope(self, scope: Option<&'a str>) -> Self {
        Self { scope, ..self }
    }

    pub(crate) fn state(self, state: &'a str) -> Self {
        Self {
            state: Some(state),
            ..self
        }
    }

    /// No `state` at all: for the checks about a request that has none.
    pub(crate) fn without_state(self) -> Self {
        Self {
            state: None,
            ..self
        }
    }

    pub(crate) fn pkce(self, pkce: Pkce<'a>) -> Self {
        Self { pkce, ..self }
    }

    /// Raw query parameters, sent as they are.
    pub(crate) fn extra(self, extra: &'a str) -> Self {
        Self { extra, ..self }
    }

    pub(crate) fn query(&self) -> String {
        let redirect = self.redirect_uri.map(|r| form_pair("redirect_uri", r));
        let scope = self.scope.map(|s| form_pair("scope", s));
        let own_state =
            url::form_urlencoded::parse(self.extra.as_bytes()).any(|(name, _)| name == "state");
        let state = self
            .state
            .filter(|_| !own_state)
            .map(|s| form_pair("state", s));
        join(&[
            "response_type=code",
            &form_pair("client_id", self.client_id),
            redirect.as_deref().unwrap_or(""),
            scope.as_deref().unwrap_or(""),
            &self.pkce.to_string(),
            self.extra,
            state.as_deref().unwrap_or(""),
        ])
    }
}

/// The code a flow brought back, or a failure saying where it ended.
pub(crate) fn code_of(landing: &Landing) -> Result<String, Outcome> {
    let location = landing.location()?;
    landing.param("code").ok_or_else(|| {
        fail(
            "a redirect with a code",
            format!("a redirect without one: {}", redact_url(location)),
        )
    })
}

/// Runs `query` to the end, approving, and returns the code.
pub(crate) async fn code_for(ua: &UserAgent, query: &str) -> Result<String, Outcome> {
    code_of(&ua.authorize(query).await?)
}

/// A code for `client`'s usual request with its configured scope, from this user agent's
/// session; the run's redactor learns it.
pub(crate) async fn client_code(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
) -> Result<String, Outcome> {
    let query = CodeRequest::of(client)
        .scope(client.scope.as_deref())
        .query();
    let code = code_for(ua, &query).await?;
    ctx.remember(&code);
    Ok(code)
}

/// A URL for messages: the code, if any, left out, even where a broken server hid it inside
/// another parameter.
pub(crate) fn redact_url(url: &str) -> String {
    let mut url = url.to_owned();
    for marker in ["code=", "code%3D", "code%3d"] {
        let mut from = 0;
        while let Some(start) = url[from..].find(marker).map(|i| from + i + marker.len()) {
            let rest = &url[start..];
            let end = rest.find(['&', '%', '#']).unwrap_or(rest.len());
            url.replace_range(start..start + end, "[redacted]");
            from = start;
        }
    }
    match Url::parse(&url) {
        Ok(mut parsed) => {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "code" {
                        "[redacted]".to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => url,
    }
}

/// What `state` an error redirect must carry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StateBack<'a> {
    /// Exactly this value, or none at all.
    Exactly(Option<&'a str>),
    /// Not checked (a repeated `state` is ambiguous).
    Any,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientCreds {
        ClientCreds {
            id: "web client".into(),
            secret: crate::target::Secret::new("s"),
            redirect_uri: Some("https://client.example/cb".into()),
            scope: Some("a b".into()),
        }
    }

    #[test]
    fn a_code_request_carries_s256_and_the_state_last() {
        let client = client();

        assert_eq!(
            CodeRequest::of(&client).query(),
            format!(
                "response_type=code&client_id=web+client&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&code_challenge={CHALLENGE}&code_challenge_method=S256&state=conformance-state"
            )
        );
        assert_eq!(
            CodeRequest::to("c", None)
                .scope(client.scope.as_deref())
                .pkce(Pkce::Off)
                .extra("x=1")
                .state("s")
                .query(),
            "response_type=code&client_id=c&scope=a+b&x=1&state=s"
        );
    }

    #[test]
    fn a_state_of_the_extra_parameters_or_none_replaces_the_default() {
        let plain = Pkce::Challenge("v", Some("plain"));

        assert_eq!(
            CodeRequest::to("c", None)
                .pkce(plain)
                .extra("state=mine")
                .query(),
            "response_type=code&client_id=c&code_challenge=v&code_challenge_method=plain&state=mine"
        );
        assert_eq!(
            CodeRequest::to("c", None)
                .pkce(Pkce::Challenge("v", None))
                .without_state()
                .query(),
            "response_type=code&client_id=c&code_challenge=v"
        );
    }
}
