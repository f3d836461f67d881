//! Token endpoint, client authentication, token responses and errors, introspection, check_token, revocation, metadata, bearer use.

use conformance::model::Profile::{Strict, Vendor};
use reference_server_defects::Defect::*;

use crate::Case;

pub const CASES: &[Case] = &[
    Case {
        defect: TokenByGet,
        profile: Vendor,
        red: &["token-req-01a"],
    },
    Case {
        defect: QueryCredentials,
        profile: Vendor,
        red: &["token-req-01b"],
    },
    Case {
        defect: JsonBodyAccepted,
        profile: Vendor,
        red: &["token-req-02"],
    },
    Case {
        defect: MissingGrantTypeUnsupported,
        profile: Vendor,
        red: &["token-req-03", "token-req-07a"],
    },
    Case {
        defect: UnknownGrantInvalidGrant,
        profile: Vendor,
        red: &["meta-04", "sec-bcp-04b", "token-req-04a", "token-req-04b"],
    },
    Case {
        defect: UnregisteredGrantInvalidGrant,
        profile: Vendor,
        red: &["token-req-05a", "token-req-05b"],
    },
    Case {
        defect: RepeatedParameterLastWins,
        profile: Vendor,
        red: &["token-req-06"],
    },
    Case {
        defect: UnknownTokenParameterRefused,
        profile: Vendor,
        red: &["meta-05", "token-req-07b"],
    },
    Case {
        defect: BasicSchemeCaseSensitive,
        profile: Vendor,
        red: &["token-auth-01a"],
    },
    Case {
        defect: BodyCredentialsRefused,
        profile: Vendor,
        red: &["token-auth-01b", "token-cc-05a", "meta-05"],
    },
    Case {
        defect: BasicNotFormDecoded,
        profile: Vendor,
        red: &["token-auth-02"],
    },
    Case {
        defect: BodySecretBesideBasicIgnored,
        profile: Vendor,
        red: &["token-auth-03"],
    },
    Case {
        defect: BodyClientIdBesideBasicIgnored,
        profile: Vendor,
        red: &["token-auth-04"],
    },
    Case {
        defect: NoBasicChallenge,
        profile: Vendor,
        red: &[
            "token-auth-05a",
            "token-auth-05b",
            "token-auth-06a",
            "token-auth-07",
            "introspect-01",
            "check-04",
        ],
    },
    Case {
        defect: UnknownClientIs400,
        profile: Vendor,
        red: &["token-auth-06a", "token-auth-06b", "token-cc-05b"],
    },
    Case {
        defect: MalformedBasicInvalidRequest,
        profile: Vendor,
        red: &["token-auth-07"],
    },
    Case {
        defect: NoThrottle,
        profile: Vendor,
        red: &["token-auth-08"],
    },
    Case {
        defect: TokenTypeNotBearer,
        profile: Vendor,
        red: &["token-resp-01", "token-cc-01", "token-cc-05a"],
    },
    Case {
        defect: TokenResponseCacheable,
        profile: Vendor,
        red: &["token-resp-02a"],
    },
    Case {
        defect: TokenErrorCacheable,
        profile: Vendor,
        red: &["token-resp-02b", "token-auth-05a"],
    },
    Case {
        defect: ShortAccessTokens,
        profile: Vendor,
        red: &["token-resp-05a"],
    },
    Case {
        defect: ShortCodes,
        profile: Vendor,
        red: &["token-resp-05b"],
    },
    Case {
        defect: ErrorEchoesGrantType,
        profile: Vendor,
        red: &["prop-input-02", "token-err-01"],
    },
    Case {
        defect: OversizedBodyIs400,
        profile: Vendor,
        red: &["token-err-02"],
    },
    Case {
        defect: ClientCredentialsRefreshToken,
        profile: Vendor,
        red: &["token-cc-02a", "token-cc-02b"],
    },
    Case {
        defect: ScopeNotRestricted,
        profile: Vendor,
        red: &["token-cc-03", "token-resp-03"],
    },
    Case {
        defect: DefaultScopeIncomplete,
        profile: Vendor,
        red: &["token-cc-04"],
    },
    Case {
        defect: IntrospectMissingTokenInactive,
        profile: Vendor,
        red: &["introspect-02"],
    },
    Case {
        defect: IntrospectScopeArray,
        profile: Vendor,
        red: &["introspect-03"],
    },
    Case {
        defect: IntrospectInactiveReason,
        profile: Vendor,
        red: &["introspect-04a", "introspect-06"],
    },
    Case {
        defect: IntrospectHintTrusted,
        profile: Vendor,
        red: &["introspect-05a", "introspect-05b"],
    },
    Case {
        defect: IntrospectAnyCaller,
        profile: Vendor,
        red: &["introspect-07"],
    },
    Case {
        defect: IntrospectCacheable,
        profile: Vendor,
        red: &["introspect-08"],
    },
    Case {
        defect: CheckTokenScopeString,
        profile: Vendor,
        red: &["check-01a", "check-01b"],
    },
    Case {
        defect: CheckTokenInactive200,
        profile: Vendor,
        red: &["check-02"],
    },
    Case {
        defect: CheckTokenMissingTokenInvalidToken,
        profile: Vendor,
        red: &["check-05"],
    },
    Case {
        defect: RevokeAccessNoop,
        profile: Vendor,
        red: &[
            "bearer-03a",
            "check-02",
            "introspect-04a",
            "meta-06",
            "revoke-01",
            "revoke-01-race",
            "revoke-04a",
        ],
    },
    Case {
        defect: RevokeRefreshNoop,
        profile: Vendor,
        red: &["introspect-06", "revoke-02", "revoke-03"],
    },
    Case {
        defect: RevokeKeepsGrant,
        profile: Vendor,
        red: &["revoke-03"],
    },
    Case {
        defect: RevokeHintTrusted,
        profile: Vendor,
        red: &["revoke-04a"],
    },
    Case {
        defect: RevokeWithoutSecret,
        profile: Vendor,
        red: &["revoke-05", "meta-05"],
    },
    Case {
        defect: RevokeOthersTokens,
        profile: Vendor,
        red: &["revoke-06"],
    },
    Case {
        defect: RevokeMissingToken200,
        profile: Vendor,
        red: &["revoke-07"],
    },
    Case {
        defect: RevokeByGet,
        profile: Vendor,
        red: &["revoke-08"],
    },
    Case {
        defect: MetadataEmptyArray,
        profile: Vendor,
        red: &["meta-01"],
    },
    Case {
        defect: MetadataIssuerWithPath,
        profile: Vendor,
        red: &["introspect-03", "meta-02"],
    },
    Case {
        defect: MetadataResponseTypeMisnamed,
        profile: Vendor,
        red: &["meta-03"],
    },
    Case {
        defect: MetadataAlgNone,
        profile: Vendor,
        red: &["meta-07a"],
    },
    Case {
        defect: MetadataListsPlain,
        profile: Strict,
        red: &["meta-07b"],
    },
    Case {
        defect: BearerSchemeCaseSensitive,
        profile: Vendor,
        red: &["bearer-01"],
    },
    Case {
        defect: BearerMissingWithError,
        profile: Vendor,
        red: &["bearer-02", "bearer-05b"],
    },
    Case {
        defect: BearerChallengeMalformed,
        profile: Vendor,
        red: &[
            "bearer-03a",
            "bearer-03b",
            "bearer-06",
            "bearer-07",
            "revoke-01",
        ],
    },
    Case {
        defect: BearerScopeIgnored,
        profile: Vendor,
        red: &["bearer-04"],
    },
    Case {
        defect: BearerTokenTwiceAccepted,
        profile: Vendor,
        red: &["bearer-05a"],
    },
    Case {
        defect: BearerAudienceIgnored,
        profile: Vendor,
        red: &["bearer-06"],
    },
    Case {
        defect: BearerRefreshTokenAccepted,
        profile: Vendor,
        red: &["bearer-07"],
    },
    Case {
        defect: LongLivedAccessTokens,
        profile: Vendor,
        red: &["admin-09a", "prop-expiry-02", "token-resp-04"],
    },
];

pub const NOT_YET_KILLED: &[&str] = &[];
