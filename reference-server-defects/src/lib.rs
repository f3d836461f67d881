//! Deliberate defects of the reference server, one rule broken each, so that the conformance
//! suite can be shown to catch them (its mutation matrix). A defect reaches the server only
//! through its [`Wiring`]: a layer around the router, a wrapped store, a policy that deviates,
//! or a setting. The server's own source knows none of them.

mod admin;
mod authorize;
mod redirect;
mod token;

use clap::ValueEnum as _;
use reference_server::config::Config;
use reference_server::wiring::Wiring;

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
    /// A redirect URI with an extra path segment after a registration is accepted (AUTHZ-REDIR-02).
    RedirectExtraSegment,
    /// Without `redirect_uri`, the first of several registrations is used (AUTHZ-REDIR-03).
    OmittedRedirectUsesFirst,
    /// Without `redirect_uri`, even a single full registration is refused (AUTHZ-REDIR-03, AMB-06).
    OmittedRedirectRefused,
    /// A fragment on the redirect URI is cut off instead of refused (AUTHZ-REDIR-04, VREDIR-02).
    RedirectFragmentStripped,
    /// Error pages are `text/html` without a charset (AUTHZ-REDIR-05).
    ErrorPageWithoutCharset,
    /// The strict profile compares redirect URIs ignoring ASCII case (AUTHZ-REDIR-06).
    StrictRedirectCaseless,
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
    /// A query on the request's redirect URI that holds a URL is refused (VREDIR-04).
    RedirectQueryWithUrlRefused,
    /// Only the first of a client's redirect URLs is matched (VREDIR-03).
    OnlyFirstRedirectMatched,
    /// A registered redirect URL with a query or fragment is accepted (VREDIR-04).
    RegisteredQueryAccepted,
    /// A wildcard in the port of a redirect URL is registered (VREDIR-05, VREDIR-09).
    PortWildcardRegistered,
    /// An explicit default port (`:443`) no longer matches a registration without one (VREDIR-05).
    DefaultPortKept,
    /// A host wildcard may stand inside the left-most label (`a*.m.example`) (VREDIR-06).
    PartialLabelWildcardRegistered,
    /// A host wildcard lets `*` cross a dot, standing for several labels (VREDIR-06).
    WildcardCrossesDot,
    /// A trailing dot on the request's host is dropped before matching (VREDIR-07, VREDIR-10).
    TrailingDotHostAccepted,
    /// A path wildcard lets `*` cross a `/` (VREDIR-08).
    PathWildcardCrossesSlash,
    /// The request's host must already be lower-case: no normalisation (VREDIR-10).
    HostCaseSensitive,
    /// Paths are compared ignoring ASCII case (VREDIR-10).
    PathCaseless,
    /// The strict profile registers redirect URLs with `*` (SEC-BCP-01).
    StrictWildcardRegistered,
    /// The strict profile compares redirect URIs without their query (SEC-BCP-01).
    StrictRedirectQueryIgnored,
    /// A loopback redirect URI must keep its registered port (SEC-BCP-02).
    LoopbackPortFixed,
    /// Any path is accepted on a loopback redirect host (SEC-BCP-02).
    LoopbackAnyPath,
    /// `http` redirect URLs are registered for any host (SEC-BCP-03).
    HttpRedirectRegistered,
    /// Metadata advertises the implicit grant (SEC-BCP-04).
    ImplicitAdvertised,
    /// Metadata advertises the password grant (SEC-BCP-04).
    PasswordGrantAdvertised,
    /// Pages may be framed: `X-Frame-Options: ALLOWALL`, no `frame-ancestors` (SEC-BCP-06).
    PagesFramable,
    /// Pages send the browser default referrer policy (SEC-BCP-06).
    PagesLeakReferrer,
    /// The back office's pages may be framed, the authorization pages still not (SEC-BCP-06).
    BackofficeFramable,
    /// The back office's pages send the browser default referrer policy (SEC-BCP-06).
    BackofficeLeaksReferrer,
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
    /// The admin API lists and shows clients to callers without credentials (ADMIN-01).
    AdminReadsOpen,
    /// The read permission is enough to create, edit, delete and renew secrets (ADMIN-01).
    AdminReadCanChange,
    /// A Bearer caller's admin permission comes from its token's scope alone, so an Admin API
    /// client's MERCHANT_ADMIN role counts for nothing (ADMIN-01).
    AdminBearerScopeOnly,
    /// A created secret keeps its base64 padding `=`, not an unreserved character (ADMIN-02).
    SecretPadded,
    /// An edit naming `client_secret` is refused with the value quoted back (ADMIN-02).
    AdminErrorEchoesSecret,
    /// New Secret keeps the old secret working beside the new one (ADMIN-03).
    OldSecretKept,
    /// New Secret revokes every token even without `revoke_tokens` (ADMIN-04).
    NewSecretRevokesAll,
    /// New Secret ignores `revoke_tokens=true`: the tokens live on (ADMIN-04).
    NewSecretKeepsTokens,
    /// Delete only hides the client: its tokens stay active and its id stays taken (ADMIN-05).
    DeleteHidesClient,
    /// A wallet's OAuth id leaves out the external key: `wallet-{id}` (ADMIN-06).
    WalletIdWithoutKey,
    /// A duplicate wallet id overwrites the first client instead of 409 (ADMIN-06).
    DuplicateWalletOverwrites,
    /// A wallet id is checked lower-cased, so upper case passes (ADMIN-06).
    WalletIdUpperCase,
    /// An edit adds the given roles to the old ones instead of replacing them (ADMIN-07).
    RoleEditMerges,
    /// An edit of the expiry date is answered 200 and silently ignored (ADMIN-07).
    ExpiryEditIgnored,
    /// A 1-Click client's grants are shown with the implied `refresh_token` (ADMIN-08).
    OneClickGrantsShowRefresh,
    /// An edit emptying the redirect URLs is read as "unchanged" (ADMIN-08).
    EmptyRedirectEditIgnored,
    /// Resource ids are lower-cased before the check, so `Identity_API` passes (ADMIN-08).
    ResourceIdCaseFolded,
    /// Tokens of client_credentials last the server's default, not the client's validity (ADMIN-09).
    AccessValidityIgnored,
    /// An Admin API client may hold identity_api too (ADMIN-09).
    AdminApiResourcesOpen,
    /// Notes are limited to 1,000 bytes, not characters (ADMIN-10).
    NotesCountBytes,
    /// An edit of name or notes revokes the client's tokens (ADMIN-10).
    DisplayEditRevokesTokens,
    /// On edit, a change role no longer brings its view role along (ROLE-01).
    EditDropsImpliedView,
    /// A wallet's requested scope is not checked against its roles (ROLE-02).
    WalletScopeUnchecked,
    /// Existing tokens keep a role removed from their client (ROLE-03).
    RemovedRoleKept,
    /// Admin API roles are matched to the catalogue case-insensitively (ROLE-04).
    AdminRoleCaseFolded,
    /// Scope values are compared case-insensitively (ROLE-05).
    ScopeCaseFolded,
    /// An empty whitelist admits the default address only (IP-01).
    EmptyWhitelistLocalOnly,
    /// The client_credentials grant skips the whitelist (IP-02).
    WhitelistSkipsClientCredentials,
    /// The code and refresh grants skip the whitelist (IP-02).
    WhitelistClientCredentialsOnly,
    /// Introspection, check_token and revocation skip the caller's whitelist (IP-03).
    WhitelistTokenEndpointOnly,
    /// The authorization endpoint applies the client's whitelist to the browser (IP-04).
    WhitelistAtAuthorize,
    /// A refusal on address grounds says so in its description (IP-05).
    WhitelistRefusalExplained,
    /// A CIDR entry admits only its network address (IP-06).
    CidrNetworkOnly,
    /// An IPv4-mapped entry stays IPv6 and never matches an IPv4 peer (IP-06).
    MappedEntryStaysV6,
    /// Whitelist entries that do not parse are dropped instead of refused (IP-06).
    BadWhitelistEntriesDropped,
    /// A client's whitelist is cached for a minute after its first use (IP-09).
    WhitelistCached,
    /// A wallet created without an expiry date never expires (EXP-01).
    WalletExpiryOptional,
    /// Expiry is checked before the secret, so a wrong secret learns "client expired" (EXP-02).
    ExpiredBeforeSecret,
    /// A client's token may outlive the client's cut-off (EXP-03).
    TokenOutlivesClient,
    /// An expired client is still admitted as a caller outside the token endpoint (EXP-04).
    ExpiredCallerAdmitted,
    /// `expired` is computed at the last edit, not now (EXP-05).
    ExpiredFlagStale,
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
    /// An introspection that reads a token while its revocation is in flight caches it as
    /// live, and the cache outlives the revocation (REVOKE-01, INTROSPECT-04).
    RevocationCacheRace,
    /// A client lookup that races New Secret caches the old secret, which then keeps working
    /// after the rotation (ADMIN-03, AMB-18).
    RotationCacheRace,
    /// A client lookup that races the deletion caches the client, which then keeps getting
    /// tokens after the deletion, answered even though they cannot be stored (ADMIN-05, AMB-19).
    DeletionCacheRace,
    // (end of race defects)
}

impl Defect {
    /// The kebab-case name the matrix and `MUTATION_ONLY` use.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_else(|| format!("{self:?}"))
    }
}

/// `config` adjusted and the wiring that make a server started with them break `defect`.
pub fn wire(defect: Defect, config: &mut Config) -> Wiring {
    wirings(defect, config)
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!("{} is wired by no module", defect.name()))
}

/// What each area's module makes of `defect`: exactly one of them wires it.
fn wirings(defect: Defect, config: &mut Config) -> Vec<Wiring> {
    let wires: [fn(Defect, &mut Config) -> Option<Wiring>; 4] =
        [token::wire, authorize::wire, admin::wire, redirect::wire];
    wires
        .into_iter()
        .filter_map(|wire| wire(defect, config))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defect_is_wired_by_exactly_one_module() {
        for &defect in Defect::value_variants() {
            let mut config = Config::for_tests();
            assert_eq!(
                wirings(defect, &mut config).len(),
                1,
                "{} should be wired by one module",
                defect.name()
            );
        }
    }
}
