//! `WWW-Authenticate` read as RFC 9110 §11.6.1 and RFC 6750 §3 write it, and the verdict on a
//! refused token.

use std::collections::BTreeMap;

use super::resource::is_success;
use crate::http::Reply;
use crate::model::{CheckResult, Deviations, Outcome, ensure, fail};

/// One challenge of a `WWW-Authenticate` field.
#[derive(Debug)]
struct Challenge {
    scheme: String,
    /// Attribute names lower-cased (RFC 9110 §11.2); a token68 has the name "".
    params: Vec<(String, String)>,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `text` split at the commas outside quoted strings, each part trimmed.
fn split_items(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            items.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    if quoted {
        return Err(format!("an unterminated quoted string in {text}"));
    }
    items.push(current);
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

/// `name = value` with a token or quoted-string value; None when `text` is not one.
fn auth_param(text: &str) -> Option<(String, String)> {
    let end = text.find(|c: char| !is_tchar(c)).unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    let value = rest.trim_start().strip_prefix('=')?.trim_start();
    if name.is_empty() || value.starts_with('=') {
        return None;
    }
    let value = if let Some(quoted) = value.strip_prefix('"') {
        let inner = quoted.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' { chars.next()? } else { c });
        }
        out
    } else if !value.is_empty() && value.chars().all(is_tchar) {
        value.to_owned()
    } else {
        return None;
    };
    Some((name.to_ascii_lowercase(), value))
}

/// Every challenge of every `WWW-Authenticate` field of `reply`.
fn challenges(reply: &Reply) -> Result<Vec<Challenge>, String> {
    let mut all: Vec<Challenge> = Vec::new();
    for field in reply.headers.get_all("www-authenticate") {
        let text = field
            .to_str()
            .map_err(|_| "a field with bytes outside ASCII".to_owned())?;
        for item in split_items(text)? {
            // `name=value` goes on the current challenge; anything else starts one.
            if let (Some(param), Some(current)) = (auth_param(&item), all.last_mut()) {
                current.params.push(param);
                continue;
            }
            let (scheme, rest) = match item.split_once([' ', '\t']) {
                Some((scheme, rest)) => (scheme, rest.trim()),
                None => (item.as_str(), ""),
            };
            if scheme.is_empty() || !scheme.chars().all(is_tchar) {
                return Err(format!("a challenge that starts with no scheme: {item}"));
            }
            let params = if rest.is_empty() {
                Vec::new()
            } else {
                vec![auth_param(rest).unwrap_or_else(|| (String::new(), rest.to_owned()))]
            };
            all.push(Challenge {
                scheme: scheme.to_owned(),
                params,
            });
        }
    }
    Ok(all)
}

/// RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E for error and error_description, and without the
/// space (which separates values) for scope and error_uri.
fn permitted(name: &str, value: &str) -> bool {
    let text = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e);
    match name {
        "error" | "error_description" => value.bytes().all(text),
        "scope" | "error_uri" => value
            .bytes()
            .all(|b| text(b) && (b != b' ' || name == "scope")),
        _ => true,
    }
}

/// The attributes of `reply`'s Bearer challenge, held to the MUSTs of RFC 6750 §3: a
/// `WWW-Authenticate` field with a Bearer challenge followed by at least one attribute; realm,
/// scope, error, error_description and error_uri at most once each and only in their permitted
/// characters. Also whether it was the field's only challenge. `what` names the request.
pub(super) fn bearer_params(
    reply: &Reply,
    what: &str,
) -> Result<(BTreeMap<String, String>, bool), Outcome> {
    let all = challenges(reply).map_err(|e| {
        fail(
            format!("{what}: a well-formed WWW-Authenticate field (RFC 9110 §11.6.1)"),
            e,
        )
    })?;
    let bearers: Vec<&Challenge> = all
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect();
    let Some(challenge) = bearers.first() else {
        let schemes: Vec<&str> = all.iter().map(|c| c.scheme.as_str()).collect();
        return Err(fail(
            format!("{what}: a WWW-Authenticate Bearer challenge (RFC 6750 §3 MUST)"),
            if schemes.is_empty() {
                "no WWW-Authenticate field".to_owned()
            } else {
                format!("challenges {schemes:?}")
            },
        ));
    };
    if !challenge.params.iter().any(|(name, _)| !name.is_empty()) {
        return Err(fail(
            format!(
                "{what}: the Bearer scheme followed by one or more auth-param values (RFC 6750 §3 MUST)"
            ),
            format!("{challenge:?}"),
        ));
    }
    let mut params = BTreeMap::new();
    for (name, value) in &challenge.params {
        if !permitted(name, value) {
            return Err(fail(
                format!("{what}: `{name}` in the characters RFC 6750 §3 permits"),
                value,
            ));
        }
        let once = matches!(
            name.as_str(),
            "realm" | "scope" | "error" | "error_description" | "error_uri"
        );
        if params.insert(name.clone(), value.clone()).is_some() && once {
            return Err(fail(
                format!("{what}: `{name}` at most once (RFC 6750 §3 MUST NOT)"),
                format!("{challenge:?}"),
            ));
        }
    }
    Ok((params, all.len() == 1))
}

/// A token that does not enable access: no 2xx, and a well-formed Bearer challenge (MUST).
/// The reference's 401 and `error="invalid_token"` (both SHOULD) are noted when missing.
pub(in crate::checks) fn judge_refused(
    warnings: &Deviations,
    what: &str,
    reply: &Reply,
) -> CheckResult {
    ensure(
        !is_success(reply.status),
        format!("{what}: refused"),
        reply.summary(),
    )?;
    let (params, _) = bearer_params(reply, what)?;
    if reply.status != 401 {
        warnings.note(format!("{what}: 401"), reply.summary());
    }
    let error = params.get("error");
    if error.map(String::as_str) != Some("invalid_token") {
        warnings.note(
            format!("{what}: error=\"invalid_token\""),
            format!("{error:?}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_with(challenges: &[&str]) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        for value in challenges {
            headers.append("www-authenticate", value.parse().unwrap());
        }
        Reply {
            status: 401,
            headers,
            body: String::new(),
        }
    }

    fn params(challenges: &[&str]) -> Result<(BTreeMap<String, String>, bool), Outcome> {
        bearer_params(&reply_with(challenges), "test")
    }

    #[test]
    fn a_comma_inside_a_quoted_value_is_part_of_it() {
        let (found, only) = params(&[
            r#"Bearer realm="api", error="invalid_token", error_description="expired, refresh it""#,
        ])
        .unwrap();

        assert!(only);
        assert_eq!(found["error_description"], "expired, refresh it");
        assert_eq!(found["error"], "invalid_token");
    }

    #[test]
    fn token_values_and_other_challenges_are_lawful() {
        let (found, only) =
            params(&[r#"DPoP algs="ES256 PS256", Bearer realm="x", error=invalid_token"#]).unwrap();

        assert!(!only);
        assert_eq!(found["error"], "invalid_token");
        assert_eq!(found["realm"], "x");
    }

    #[test]
    fn challenges_in_several_fields_are_read() {
        let (found, only) = params(&[r#"Basic realm="b""#, r#"bearer realm="r""#]).unwrap();

        assert!(!only);
        assert_eq!(found["realm"], "r");
    }

    #[test]
    fn what_rfc_6750_forbids_fails() {
        for (case, header) in [
            ("no Bearer challenge", r#"Basic realm="x""#),
            ("a bare Bearer", "Bearer"),
            ("a token68", "Bearer abc=="),
            (
                "error twice",
                r#"Bearer realm="x", error="invalid_token", error="invalid_token""#,
            ),
            (
                "a quote in error_description",
                r#"Bearer error_description="a \"b\"""#,
            ),
            ("an unterminated string", r#"Bearer realm="x"#),
        ] {
            assert!(
                matches!(params(&[header]), Err(Outcome::Fail { .. })),
                "{case}: {header}"
            );
        }
        assert!(matches!(params(&[]), Err(Outcome::Fail { .. })), "no field");
    }
}
