//! Deliberate defects, one rule broken each, so that the conformance suite can be shown to
//! catch them (`--defect NAME`). They exist only in builds with the `defects` feature; in any
//! other build [`Config::has_defect`] is `false` and the defective branches compile away.

use crate::config::Config;

/// A rule the server can be told to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Defect {
    /// A code is redeemed by whichever client presents it (TOKEN-CODE-04, TOKEN-CODE-07).
    CodeUnbound,
    /// `X-Forwarded-For` and `Forwarded` are believed from any peer (IP-07, IP-08).
    TrustForwardedFor,
    /// A token still works during the second of its expiry (INTROSPECT-04, BEARER-03, …).
    ExpiryOffByOne,
    /// Any `code_verifier` is accepted for a code with a challenge (PKCE-02).
    PkceUnverified,
    /// The consent form is accepted without this session's anti-forgery value (AUTHZ-REQ-05).
    ConsentCsrfUnchecked,
    // Token endpoint, client authentication, introspection, check_token, revocation, metadata,
    // bearer use.

    // (end of token-endpoint defects)

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh, security BCP.

    // (end of authorization defects)

    // Admin API, roles, IP whitelists, expiry.

    // (end of admin defects)

    // Found by the property checks.
    /// A redirect URI that matches no registration is retried without its last path segment,
    /// so any deeper path of a registered one is accepted (VREDIR-08, SEC-BCP-05).
    RedirectParentPath,
    /// A host wildcard also covers several labels: `*.m.example` accepts `a.b.m.example`
    /// (VREDIR-06, VREDIR-07).
    WildcardSpansLabels,
    /// The strict profile compares redirect URIs ignoring letter case (AUTHZ-REDIR-06).
    StrictCaseInsensitive,
    /// A whitelist block admits the block one prefix bit wider: `127.0.0.4/30` also admits
    /// 127.0.0.0 to 127.0.0.3 (IP-06).
    WhitelistCidrOffByOne,
    /// `X-Real-IP` is believed from any peer (IP-07).
    TrustRealIp,
    /// A wallet whose expiry date is the last day of a month is refused from 00:00 UTC on that
    /// day instead of the next (EXP-02).
    MonthEndExpiry,
    /// `state` is form-decoded twice, so `+` and escapes in it come back changed (AUTHZ-REQ-02).
    StateDecodedTwice,
    /// unsupported_grant_type repeats the requested grant type in its description, whatever
    /// characters it holds (TOKEN-ERR-01).
    GrantTypeEchoed,
    /// Basic credentials that decode to bytes other than UTF-8 end in a 500 (TOKEN-ERR-02).
    BasicNotUtf8Is500,
    // (end of property defects)

    // Found by the race checks.

    // (end of race defects)
}

impl Config {
    /// Is the server running with `defect`? Always `false` without the `defects` feature.
    #[inline]
    pub fn has_defect(&self, defect: Defect) -> bool {
        #[cfg(feature = "defects")]
        {
            self.defect == Some(defect)
        }
        #[cfg(not(feature = "defects"))]
        {
            let _ = defect;
            false
        }
    }
}
