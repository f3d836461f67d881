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
    UnknownParameterRefused,
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
    // (end of token-endpoint defects)

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh, security BCP.

    // (end of authorization defects)

    // Admin API, roles, IP whitelists, expiry.

    // (end of admin defects)

    // Found by the property checks.

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
