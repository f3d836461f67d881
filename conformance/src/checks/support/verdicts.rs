//! What an answer of the token endpoint must be: a 200 with a body, an RFC 6749 §5.2 error from
//! an accepted set, no token; and the values such answers carry.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::http::Reply;
use crate::model::{CheckResult, Outcome, deviate, ensure, fail};

/// RFC 6749 §5.2's codes, plus those RFC 8628 registers for the token endpoint (`slow_down`
/// is what a throttle may answer).
pub(crate) const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
];

/// The body of a 200 token response, or a failure naming the request.
pub(crate) fn granted(reply: &Reply, what: &str) -> Result<Value, Outcome> {
    if reply.status != 200 {
        return Err(fail(format!("200 for {what}"), reply.summary()));
    }
    reply.json()
}

/// Does the body carry a token?
pub(crate) fn has_token(reply: &Reply) -> bool {
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    ["access_token", "refresh_token"]
        .iter()
        .any(|name| body.get(name).is_some())
}

/// Fails if the body carries a token.
pub(crate) fn no_token(reply: &Reply) -> CheckResult {
    ensure(
        !has_token(reply),
        "no token in an error answer",
        reply.summary(),
    )
}

/// An RFC 6749 §5.2 error: one of `statuses`, a JSON body whose `error` is one of `codes`, and
/// no token.
pub(crate) fn expect_error(reply: &Reply, statuses: &[u16], codes: &[&str]) -> CheckResult {
    let expected = format!("{} {}", or_list(statuses), codes.join(" or "));
    let code = reply.error_code();
    ensure(
        statuses.contains(&reply.status) && code.as_deref().is_some_and(|c| codes.contains(&c)),
        expected,
        reply.summary(),
    )?;
    no_token(reply)
}

/// A 400 token error whose `error` is one of `accepted`.
pub(crate) fn grant_error(reply: &Reply, accepted: &[&str], case: &str) -> CheckResult {
    let code = reply.error_code();
    ensure(
        reply.status == 400 && code.as_deref().is_some_and(|c| accepted.contains(&c)),
        format!("{case}: 400 {}", accepted.join(" or ")),
        reply.summary(),
    )
}

/// What the reference answers to a request the RFC says to refuse, and what else a server may
/// answer without breaking it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal<'a> {
    /// The codes the reference uses (and the catalog row names): these pass.
    pub(crate) preferred: &'a [&'a str],
    /// Other codes whose RFC 6749 §5.2 condition fits the request too: a deviation.
    pub(crate) fitting: &'a [&'a str],
    /// The reference's statuses. §5.2's "responds with an HTTP 400 (Bad Request) status code
    /// (unless specified otherwise)" carries no keyword, so another 4xx is a deviation.
    pub(crate) statuses: &'a [u16],
}

impl Refusal<'_> {
    /// `case` names the request in messages. A token, a status below 400, or an `error` that
    /// is missing or outside both code lists fails (`error` is REQUIRED and names the
    /// condition); a fitting but not preferred code, or another 4xx status, deviates.
    pub(crate) fn judge(&self, reply: &Reply, case: &str) -> CheckResult {
        let preferred = self.preferred.join(" or ");
        let wanted = format!("{case}: {} {preferred}", or_list(self.statuses));
        if has_token(reply) || reply.status < 400 {
            return Err(fail(
                format!("{wanted}, never a token or a success status"),
                reply.summary(),
            ));
        }
        let code = reply.error_code();
        let code = code.as_deref().unwrap_or("");
        let fits = self.preferred.contains(&code) || self.fitting.contains(&code);
        if !fits {
            let mut allowed = self.preferred.to_vec();
            allowed.extend_from_slice(self.fitting);
            return Err(fail(
                format!(
                    "{case}: an `error` whose RFC 6749 §5.2 condition fits: {}",
                    allowed.join(" or ")
                ),
                reply.summary(),
            ));
        }
        if !self.preferred.contains(&code) || !self.statuses.contains(&reply.status) {
            return Err(deviate(wanted, reply.summary()));
        }
        Ok(())
    }
}

/// `400 or 401`.
pub(crate) fn or_list(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A 401 carries a challenge: RFC 9110 §15.5.2 (and §11.6.1), "The server generating a 401
/// response MUST send a WWW-Authenticate header field".
pub(crate) fn challenge_on_401(reply: &Reply, case: &str) -> CheckResult {
    ensure(
        reply.status != 401 || reply.header("www-authenticate").is_some(),
        format!("{case}: a 401 with a WWW-Authenticate challenge (RFC 9110 §15.5.2)"),
        "a 401 without WWW-Authenticate",
    )
}

/// RFC 6749 §4.1.2.1 and §5.2: `error` and `error_description` are %x20-21 / %x23-5B /
/// %x5D-7E (RFC 6750 §3 permits the same set in a challenge's attributes).
pub(crate) fn is_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// A string set from a space-separated `scope` or a JSON array (roles, authorities, the lists
/// of the metadata); empty for anything else.
pub(crate) fn scope_set(value: Option<&Value>) -> BTreeSet<String> {
    match value {
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: body.to_owned(),
        }
    }

    const MISSING: Refusal<'static> = Refusal {
        preferred: &["invalid_request"],
        fitting: &["unsupported_grant_type"],
        statuses: &[400],
    };

    #[test]
    fn the_preferred_code_passes_and_a_fitting_one_or_another_4xx_deviates() {
        let judged = |status, body| MISSING.judge(&reply(status, body), "case");
        assert_eq!(judged(400, r#"{"error":"invalid_request"}"#), Ok(()));
        let name = |r: CheckResult| r.err().map(|o| o.name());
        assert_eq!(
            name(judged(400, r#"{"error":"unsupported_grant_type"}"#)),
            Some("warn")
        );
        assert_eq!(
            name(judged(403, r#"{"error":"invalid_request"}"#)),
            Some("warn")
        );
    }

    #[test]
    fn a_token_a_success_status_or_an_unfitting_code_fails() {
        let name = |status, body| {
            MISSING
                .judge(&reply(status, body), "case")
                .err()
                .map(|o| o.name())
        };
        assert_eq!(name(400, r#"{"error":"invalid_grant"}"#), Some("fail"));
        assert_eq!(name(403, ""), Some("fail"));
        assert_eq!(name(200, r#"{"error":"invalid_request"}"#), Some("fail"));
        assert_eq!(
            name(400, r#"{"error":"invalid_request","access_token":"x"}"#),
            Some("fail")
        );
    }

    #[test]
    fn a_scope_set_reads_a_string_or_an_array() {
        let set = |v: Value| scope_set(Some(&v)).into_iter().collect::<Vec<_>>();

        assert_eq!(set(Value::from(" b a  b")), ["a", "b"]);
        assert_eq!(set(serde_json::json!(["b", "a", 3])), ["a", "b"]);
        assert!(scope_set(Some(&Value::from(7))).is_empty());
        assert!(scope_set(None).is_empty());
    }
}
