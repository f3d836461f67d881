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
    /// tokens after the deletion (ADMIN-05, AMB-19).
    DeletionCacheRace,
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
