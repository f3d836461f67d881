//! A strict `application/x-www-form-urlencoded` reader for the OAuth endpoints.
//!
//! Common form parsers decode leniently: invalid UTF-8 becomes U+FFFD and a stray `%` passes
//! through. Here both are refused, so the server never acts on a value other than the one
//! sent (TOKEN-ERR-02). Parameters sent twice are refused (RFC 6749 §3.2, TOKEN-REQ-06) and an
//! empty value counts as absent (RFC 6749 §3.1, TOKEN-REQ-07).

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::error::OAuthError;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How much of a refused body is read (and dropped) before the refusal is sent, and for how
/// long: closing on a client still sending resets the connection, and the reset can destroy the
/// 413 before the client reads it (RFC 9112 §9.6).
const DRAIN_BYTES: usize = 4 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and drops what a refused request still sends, within the bounds above.
pub async fn drain(mut body: axum::body::Body) {
    use axum::body::HttpBody as _;
    let drained = async {
        let mut left = DRAIN_BYTES;
        while let Some(Ok(frame)) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            let read = frame.data_ref().map_or(0, |data| data.len());
            if read >= left {
                break;
            }
            left -= read;
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drained).await;
}
pub const MAX_PARAMETERS: usize = 100;

/// Parsed parameters. `Debug` shows names only: values include secrets and tokens.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Form {
    params: BTreeMap<String, String>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.params.keys()).finish()
    }
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.params.contains_key(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    Malformed(&'static str),
    Duplicate,
    TooMany,
}

impl FormError {
    pub fn description(self) -> &'static str {
        match self {
            FormError::Malformed(why) => why,
            FormError::Duplicate => "a parameter was sent more than once",
            FormError::TooMany => "too many parameters",
        }
    }
}

/// Parses a form body or query string.
pub fn parse(input: &[u8]) -> Result<Form, FormError> {
    let mut params = BTreeMap::new();
    for (name, value) in parse_pairs(input)? {
        if params.insert(name, value).is_some() {
            return Err(FormError::Duplicate);
        }
    }
    Ok(Form { params })
}

/// Every non-empty parameter in order, repeats kept: for endpoints whose answer depends on
/// which parameter was repeated (AUTHZ-REQ-04).
pub fn parse_pairs(input: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut pairs = Vec::new();
    for (i, pair) in input.split(|b| *b == b'&').enumerate() {
        if i >= MAX_PARAMETERS {
            return Err(FormError::TooMany);
        }
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let (name, value) = (decode(name)?, decode(value)?);
        if !name.is_empty() && !value.is_empty() {
            pairs.push((name, value));
        }
    }
    Ok(pairs)
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8
/// without NUL.
pub fn decode(raw: &[u8]) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(FormError::Malformed("malformed percent-encoding"))?;
                bytes.push(hex);
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    if bytes.contains(&0) {
        return Err(FormError::Malformed("NUL bytes are not allowed"));
    }
    String::from_utf8(bytes).map_err(|_| FormError::Malformed("parameters must be UTF-8"))
}

/// The body of a POST to an OAuth endpoint, read with [`parse`].
#[derive(Debug)]
pub struct OAuthForm(pub Form);

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| {
                essence
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared_length.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            drain(req.into_body()).await;
            return Err(OAuthError::payload_too_large());
        }
        let body = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| OAuthError::payload_too_large())?;
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        parse(&body)
            .map(OAuthForm)
            .map_err(|e| OAuthError::invalid_request(e.description()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_plus_and_percent() {
        let form = parse(b"a=x+y%2Bz&b=%C3%A9").unwrap();
        assert_eq!(form.get("a"), Some("x y+z"));
        assert_eq!(form.get("b"), Some("é"));
    }

    #[test]
    fn token_req_06_duplicates_are_refused() {
        assert_eq!(parse(b"scope=a&scope=b"), Err(FormError::Duplicate));
    }

    #[test]
    fn token_req_07_empty_values_count_as_absent() {
        let form = parse(b"scope=&grant_type=x&&=y&flag").unwrap();
        assert!(!form.contains("scope"));
        assert!(!form.contains("flag"));
        assert_eq!(form.get("grant_type"), Some("x"));
        assert_eq!(parse(b"scope=&scope=a").unwrap().get("scope"), Some("a"));
    }

    #[test]
    fn token_err_02_malformed_input_is_refused() {
        for bad in [
            &b"a=%zz"[..],
            b"a=%4",
            b"a=%ff",
            b"a=%00",
            b"a=\xff",
            b"a=x\0",
        ] {
            assert!(
                matches!(parse(bad), Err(FormError::Malformed(_))),
                "{bad:?}"
            );
        }
        let many: Vec<String> = (0..=MAX_PARAMETERS).map(|i| format!("p{i}=1")).collect();
        let many = many.join("&");
        assert_eq!(parse(many.as_bytes()), Err(FormError::TooMany));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let form = parse(b"client_secret=hunter2").unwrap();
        assert_eq!(format!("{form:?}"), "{\"client_secret\"}");
    }

    proptest! {
        #[test]
        fn any_encoded_value_round_trips(name in "[a-z_]{1,12}", value in "\\PC{1,40}") {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&name, &value)
                .finish();
            let form = parse(encoded.as_bytes()).unwrap();
            prop_assert_eq!(form.get(&name), Some(value.as_str()));
        }

        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&input);
        }
    }
}
