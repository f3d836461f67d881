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
    /// The token endpoint also answers GET, parameters in the query (TOKEN-REQ-01).
    TokenByGet,
    /// Client credentials in the URL query of a token request are believed (TOKEN-REQ-01).
    QueryCredentials,
    /// An `application/json` body is read like a form (TOKEN-REQ-02).
    JsonBodyAccepted,
    /// A request without `grant_type` is answered `unsupported_grant_type` (TOKEN-REQ-03, -07).
    MissingGrantTypeUnsupported,
    /// An unknown grant type other than `password` is answered `invalid_grant` (TOKEN-REQ-04, META-04).
    UnknownGrantInvalidGrant,
    /// A grant the client is not registered for is answered `invalid_grant` (TOKEN-REQ-05).
    UnregisteredGrantInvalidGrant,
    /// A parameter sent twice counts once, the last value winning (TOKEN-REQ-06).
    RepeatedParameterLastWins,
    /// client_credentials refuses a parameter it does not know (TOKEN-REQ-07).
    UnknownTokenParameterRefused,
    /// The Basic scheme name is matched case-sensitively (TOKEN-AUTH-01).
    BasicSchemeCaseSensitive,
    /// Credentials in the form body are not accepted (TOKEN-AUTH-01, TOKEN-CC-05, META-05).
    BodyCredentialsRefused,
    /// The Basic user name and password are not form-decoded (TOKEN-AUTH-02).
    BasicNotFormDecoded,
    /// A body `client_secret` beside Basic is ignored instead of refused (TOKEN-AUTH-03).
    BodySecretBesideBasicIgnored,
    /// A body `client_id` beside Basic is ignored, even another client's (TOKEN-AUTH-04).
    BodyClientIdBesideBasicIgnored,
    /// A 401 from a client-authenticating endpoint has no `WWW-Authenticate` (TOKEN-AUTH-05).
    NoBasicChallenge,
    /// An unknown client id in the body is 400 invalid_request, unlike a wrong secret (TOKEN-AUTH-06).
    UnknownClientIs400,
    /// A malformed Basic value is 400 invalid_request, not 401 invalid_client (TOKEN-AUTH-07).
    MalformedBasicInvalidRequest,
    /// Failed authentications are never throttled (TOKEN-AUTH-08).
    NoThrottle,
    /// client_credentials answers `token_type` `JWT` (TOKEN-RESP-01, TOKEN-CC-01).
    TokenTypeNotBearer,
    /// A token response lacks `Cache-Control: no-store` and `Pragma` (TOKEN-RESP-02).
    TokenResponseCacheable,
    /// Token-endpoint errors lack `Cache-Control: no-store` and `Pragma` (TOKEN-RESP-02).
    TokenErrorCacheable,
    /// client_credentials tokens carry 64 random bits (TOKEN-RESP-05).
    ShortAccessTokens,
    /// Authorization codes carry 66 random bits (TOKEN-RESP-05).
    ShortCodes,
    /// `error_description` repeats the unsupported `grant_type` verbatim (TOKEN-ERR-01).
    ErrorEchoesGrantType,
    /// An oversized body is a 400, not a 413 (TOKEN-ERR-02).
    OversizedBodyIs400,
    /// client_credentials also issues a refresh token (TOKEN-CC-02).
    ClientCredentialsRefreshToken,
    /// client_credentials grants a scope value it does not define (TOKEN-CC-03, TOKEN-RESP-03).
    ScopeNotRestricted,
    /// client_credentials without scope leaves `web-origins` out of the default set (TOKEN-CC-04).
    DefaultScopeIncomplete,
    /// Introspection without `token` answers `active:false` (INTROSPECT-02).
    IntrospectMissingTokenInactive,
    /// Introspection gives `scope` as an array (INTROSPECT-03).
    IntrospectScopeArray,
    /// A revoked token's introspection says why (INTROSPECT-04).
    IntrospectInactiveReason,
    /// Introspection looks only in the table `token_type_hint` names (INTROSPECT-05).
    IntrospectHintTrusted,
    /// Any authenticated caller may introspect any token (INTROSPECT-07).
    IntrospectAnyCaller,
    /// Introspection answers lack `Cache-Control: no-store` (INTROSPECT-08).
    IntrospectCacheable,
    /// check_token gives `scope` as a space-separated string (CHECK-01).
    CheckTokenScopeString,
    /// check_token answers an unknown token with 200 `active:false` (CHECK-02).
    CheckTokenInactive200,
    /// check_token without `token` answers `invalid_token` (CHECK-05).
    CheckTokenMissingTokenInvalidToken,
    /// Revoking an access token does nothing (REVOKE-01).
    RevokeAccessNoop,
    /// Revoking a refresh token does nothing (REVOKE-02).
    RevokeRefreshNoop,
    /// Revoking a refresh token leaves its grant's access tokens alive (REVOKE-03).
    RevokeKeepsGrant,
    /// Revocation looks only in the table `token_type_hint` names (REVOKE-04).
    RevokeHintTrusted,
    /// Revocation takes a bare `client_id`, without its secret (REVOKE-05).
    RevokeWithoutSecret,
    /// Any client may revoke any token (REVOKE-06).
    RevokeOthersTokens,
    /// Revocation without `token` answers 200 (REVOKE-07).
    RevokeMissingToken200,
    /// Revocation is served over GET, parameters in the query (REVOKE-08).
    RevokeByGet,
    /// Metadata has an empty `response_modes_supported` (META-01).
    MetadataEmptyArray,
    /// Metadata's `issuer` has the `/oauth` path of the endpoints (META-02).
    MetadataIssuerWithPath,
    /// Metadata names the grant `authorization_code` as response type, not `code` (META-03).
    MetadataResponseTypeMisnamed,
    /// Metadata lists `none` among signing algorithms (META-07).
    MetadataAlgNone,
    /// Metadata lists PKCE `plain` where it does not work (META-07).
    MetadataListsPlain,
    /// The resource matches the Bearer scheme name case-sensitively (BEARER-01).
    BearerSchemeCaseSensitive,
    /// A request without credentials gets `error="invalid_token"` (BEARER-02, BEARER-05).
    BearerMissingWithError,
    /// The invalid_token challenge quotes the error description with inner quotes (BEARER-03).
    BearerChallengeMalformed,
    /// The wallet resource lets `:view` change (BEARER-04).
    BearerScopeIgnored,
    /// A token in the header and the query is accepted (BEARER-05).
    BearerTokenTwiceAccepted,
    /// The resource ignores the token's audience (BEARER-06).
    BearerAudienceIgnored,
    /// A refresh token works as a bearer token (BEARER-07).
    BearerRefreshTokenAccepted,
    /// An access token with the default validity lives two hours, not one (TOKEN-RESP-04).
    LongLivedAccessTokens,
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
    /// A wallet's requested scope is not checked against its roles (ROLE-02).
    WalletScopeUnchecked,
    /// Scope values are compared case-insensitively (ROLE-05).
    ScopeCaseFolded,
    /// The authorization endpoint applies the client's whitelist to the browser (IP-04).
    WhitelistAtAuthorize,
    // (end of admin defects)

    // Found by the property checks.
    /// `X-Real-IP` is believed from any peer (IP-07).
    TrustRealIp,
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
