//! Deliberate defects, one rule broken each, so that the conformance suite can be shown to
//! catch them (`--defect NAME`). They exist only in builds with the `defects` feature; in any
//! other build [`Config::has_defect`] is `false` and the defective branches compile away.

use crate::config::Config;

/// A rule the server can be told to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Defect {
    /// A code is redeemed by whichever client presents it (TOKEN-CODE-04, TOKEN-CODE-07).
    CodeUnbound,
    /// Any `code_verifier` is accepted for a code with a challenge (PKCE-02).
    PkceUnverified,
    /// The consent form is accepted without this session's anti-forgery value (AUTHZ-REQ-05).
    ConsentCsrfUnchecked,
    // Token endpoint, client authentication, introspection, check_token, revocation, metadata,
    // bearer use.
    /// Authorization codes carry 66 random bits (TOKEN-RESP-05).
    ShortCodes,
    // (end of token-endpoint defects)

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh, security BCP.
    /// The approval answers 307: the browser replays the consent form to the client (AUTHZ-REQ-01).
    ConsentRedirect307,
    /// `state` comes back with its leading and trailing blanks trimmed (AUTHZ-REQ-02).
    StateTrimmed,
    /// The redirect URI's own query gives way to the response parameters (AUTHZ-REQ-03, VREDIR-01).
    RedirectQueryDropped,
    /// A repeated `scope` is not an error: the last one wins (AUTHZ-REQ-04).
    RepeatedScopeAccepted,
    /// A repeated `redirect_uri` gets no error page: the last one wins (AUTHZ-REQ-04).
    RepeatedRedirectUriAccepted,
    /// `state=` comes back as an empty `state` instead of counting as absent (AUTHZ-REQ-04).
    EmptyStateEchoed,
    /// An unknown authorization parameter gives `invalid_request`, not ignored (AUTHZ-REQ-04).
    UnknownParameterRefused,
    /// An unsupported `response_type` is redirected before the user has logged in (AUTHZ-REQ-06).
    ErrorBeforeLogin,
    /// A request with parameters but no `client_id` gets its error page as 200 (AUTHZ-REDIR-01).
    MissingClientPage200,
    /// Error pages are `text/html` without a charset (AUTHZ-REDIR-05).
    ErrorPageWithoutCharset,
    /// A denial's redirect says `unauthorized_client` instead of `access_denied` (AUTHZ-ERR-01).
    DenialWrongError,
    /// A request without `response_type` gets its error redirect without the state (AUTHZ-ERR-02).
    MissingResponseTypeDropsState,
    /// An unknown or disallowed scope gives `invalid_request`, not `invalid_scope` (AUTHZ-ERR-03).
    InvalidScopeAsInvalidRequest,
    /// A client without the authorization_code grant still gets a code (AUTHZ-ERR-04).
    CodeGrantUnchecked,
    /// The code exchange answers without `scope` (TOKEN-CODE-01).
    CodeScopeOmitted,
    /// A used code can be redeemed again (TOKEN-CODE-02).
    CodeReusable,
    /// A code is checked, then marked used later: concurrent redemptions all win (TOKEN-CODE-02).
    CodeRedeemRace,
    /// A second presentation of a code leaves the first redemption's tokens alive (TOKEN-CODE-03).
    CodeReplayKeepsTokens,
    /// The token request's `redirect_uri` is compared without its query (TOKEN-CODE-05).
    CodeRedirectQueryIgnored,
    /// Codes live 15 minutes (TOKEN-CODE-06).
    CodeLivesTooLong,
    /// Verifiers containing `~` are refused although RFC 7636 allows them (PKCE-01).
    PkceVerifierTildeRefused,
    /// A challenge without a method is taken for S256 instead of plain (PKCE-03).
    PkceMethodDefaultsToS256,
    /// An unknown `code_challenge_method` is taken for plain (PKCE-04).
    PkceUnknownMethodAsPlain,
    /// A code with a challenge is redeemed without a verifier (PKCE-05).
    PkceVerifierOptional,
    /// A verifier for a code issued without a challenge is ignored (PKCE-06).
    PkceDowngradeAccepted,
    /// The challenge's length is not checked (PKCE-07).
    PkceChallengeLengthUnchecked,
    /// The strict profile issues codes without a challenge (PKCE-08).
    StrictPkceOptional,
    /// The access token of a refresh is returned but never stored (TOKEN-RT-01).
    RefreshAccessUnstored,
    /// A refresh without `refresh_token` gives `invalid_grant` (TOKEN-RT-01).
    RefreshMissingTokenInvalidGrant,
    /// A refresh token works for any authenticated client (TOKEN-RT-02).
    RefreshTokenUnbound,
    /// A refresh may ask for any scope the client is allowed, beyond the grant (TOKEN-RT-03).
    RefreshScopeWidened,
    /// A narrower refresh narrows the grant of the new refresh token too (TOKEN-RT-04).
    RefreshNarrowsGrant,
    /// Replaying a rotated refresh token is refused but revokes nothing (TOKEN-RT-05).
    RefreshReplayIgnored,
    /// A refresh that lost the race for its token still answers with tokens (TOKEN-RT-05).
    RefreshRaceIgnored,
    /// A rotated refresh token keeps its predecessor's expiry (TOKEN-RT-06).
    RefreshExpiryInherited,
    /// Metadata advertises the implicit grant (SEC-BCP-04).
    ImplicitAdvertised,
    /// Metadata advertises the password grant (SEC-BCP-04).
    PasswordGrantAdvertised,
    /// Pages may be framed: `X-Frame-Options: ALLOWALL`, no `frame-ancestors` (SEC-BCP-06).
    PagesFramable,
    /// Pages send the browser default referrer policy (SEC-BCP-06).
    PagesLeakReferrer,
    /// The authorization endpoint answers with `Access-Control-Allow-Origin: *` (SEC-BCP-07).
    AuthorizeCors,
    /// The login POST is answered with 307, replaying the password (SEC-BCP-08).
    Login307,
    /// Metadata names a policy page on plain http (SEC-BCP-09).
    MetadataHttpUri,
    /// A wallet client's subject is its bare name, so it can pose as the user (SEC-BCP-10).
    WalletBareSubject,
    // (end of authorization defects)

    // Admin API, roles, IP whitelists, expiry.
    /// The authorization endpoint applies the client's whitelist to the browser (IP-04).
    WhitelistAtAuthorize,
    // (end of admin defects)

    // Found by the property checks.
    /// `state` is form-decoded twice, so `+` and escapes in it come back changed (AUTHZ-REQ-02).
    StateDecodedTwice,
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
