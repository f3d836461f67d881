//! Authorization endpoint, redirect matching, authorization errors, code exchange, PKCE, refresh tokens, security BCP.

use conformance::model::Profile::{Strict, Vendor};
use reference_server_defects::Defect::*;

use crate::Case;

pub const CASES: &[Case] = &[
    Case {
        defect: ConsentRedirect307,
        profile: Vendor,
        red: &["authz-req-01"],
    },
    Case {
        defect: StateTrimmed,
        profile: Vendor,
        red: &["authz-req-02", "prop-input-01"],
    },
    Case {
        defect: RedirectQueryDropped,
        profile: Vendor,
        red: &["authz-req-03", "vredir-01", "vredir-04b"],
    },
    Case {
        defect: RepeatedScopeAccepted,
        profile: Vendor,
        red: &["authz-req-04a"],
    },
    Case {
        defect: RepeatedRedirectUriAccepted,
        profile: Vendor,
        red: &["authz-req-04b"],
    },
    Case {
        defect: EmptyStateEchoed,
        profile: Vendor,
        red: &["authz-req-04c"],
    },
    Case {
        defect: UnknownParameterRefused,
        profile: Vendor,
        red: &["authz-req-04d"],
    },
    Case {
        defect: ErrorBeforeLogin,
        profile: Vendor,
        red: &["authz-req-06"],
    },
    Case {
        defect: MissingClientPage200,
        profile: Vendor,
        red: &["authz-redir-01", "authz-req-04c"],
    },
    Case {
        defect: RedirectExtraSegment,
        profile: Vendor,
        red: &["authz-redir-02", "prop-redirect-02", "prop-redirect-03"],
    },
    Case {
        defect: OmittedRedirectUsesFirst,
        profile: Vendor,
        red: &["authz-redir-03a"],
    },
    Case {
        defect: OmittedRedirectRefused,
        profile: Vendor,
        red: &["authz-redir-03b"],
    },
    Case {
        defect: RedirectFragmentStripped,
        profile: Vendor,
        red: &[
            "authz-redir-04",
            "prop-redirect-02",
            "sec-bcp-02b",
            "vredir-02",
        ],
    },
    Case {
        defect: ErrorPageWithoutCharset,
        profile: Vendor,
        red: &["authz-redir-05"],
    },
    Case {
        defect: StrictRedirectCaseless,
        profile: Strict,
        red: &["authz-redir-06", "prop-redirect-01", "prop-redirect-03"],
    },
    Case {
        defect: DenialWrongError,
        profile: Vendor,
        red: &["authz-err-01", "authz-req-02"],
    },
    Case {
        defect: MissingResponseTypeDropsState,
        profile: Vendor,
        red: &["authz-err-02", "authz-req-04c"],
    },
    Case {
        defect: InvalidScopeAsInvalidRequest,
        profile: Vendor,
        red: &["authz-err-03"],
    },
    Case {
        defect: CodeGrantUnchecked,
        profile: Vendor,
        red: &["authz-err-04"],
    },
    Case {
        defect: CodeScopeOmitted,
        profile: Vendor,
        red: &["token-code-01"],
    },
    Case {
        defect: CodeReusable,
        profile: Vendor,
        red: &[
            "token-code-02a",
            "token-code-02b",
            "token-code-03",
            "token-code-07",
        ],
    },
    Case {
        defect: CodeRedeemRace,
        profile: Vendor,
        red: &["token-code-02b"],
    },
    Case {
        defect: CodeReplayKeepsTokens,
        profile: Vendor,
        red: &["token-code-03"],
    },
    Case {
        defect: CodeRedirectQueryIgnored,
        profile: Vendor,
        red: &["token-code-05"],
    },
    Case {
        defect: CodeLivesTooLong,
        profile: Vendor,
        red: &["token-code-06a", "token-code-06b"],
    },
    Case {
        defect: PkceVerifierTildeRefused,
        profile: Vendor,
        red: &["pkce-01"],
    },
    Case {
        defect: PkceMethodDefaultsToS256,
        profile: Vendor,
        red: &["pkce-03a", "pkce-03b"],
    },
    Case {
        defect: PkceMethodDefaultsToS256,
        profile: Strict,
        red: &["pkce-03c"],
    },
    Case {
        defect: PkceUnknownMethodAsPlain,
        profile: Vendor,
        red: &["pkce-04"],
    },
    Case {
        defect: PkceVerifierOptional,
        profile: Vendor,
        red: &["pkce-05"],
    },
    Case {
        defect: PkceDowngradeAccepted,
        profile: Vendor,
        red: &["pkce-06"],
    },
    Case {
        defect: PkceChallengeLengthUnchecked,
        profile: Strict,
        red: &["pkce-07a"],
    },
    Case {
        defect: StrictPkceOptional,
        profile: Strict,
        red: &["pkce-08"],
    },
    Case {
        defect: RefreshAccessUnstored,
        profile: Vendor,
        red: &["token-rt-01a"],
    },
    Case {
        defect: RefreshMissingTokenInvalidGrant,
        profile: Vendor,
        red: &["token-rt-01b"],
    },
    Case {
        defect: RefreshTokenUnbound,
        profile: Vendor,
        red: &["token-rt-02"],
    },
    Case {
        defect: RefreshScopeWidened,
        profile: Vendor,
        red: &["token-rt-03"],
    },
    Case {
        defect: RefreshNarrowsGrant,
        profile: Vendor,
        red: &["token-rt-04"],
    },
    Case {
        defect: RefreshReplayIgnored,
        profile: Vendor,
        red: &["token-rt-05a"],
    },
    Case {
        defect: RefreshRaceIgnored,
        profile: Vendor,
        red: &["token-rt-05b"],
    },
    Case {
        defect: RefreshExpiryInherited,
        profile: Vendor,
        red: &["token-rt-06"],
    },
    Case {
        defect: RedirectQueryWithUrlRefused,
        profile: Vendor,
        red: &["prop-redirect-02", "vredir-04b"],
    },
    Case {
        defect: OnlyFirstRedirectMatched,
        profile: Vendor,
        red: &["prop-redirect-02", "sec-bcp-02a", "vredir-03", "vredir-10a"],
    },
    Case {
        defect: RegisteredQueryAccepted,
        profile: Vendor,
        red: &["vredir-04a"],
    },
    Case {
        defect: PortWildcardRegistered,
        profile: Vendor,
        red: &["vredir-05a", "vredir-09"],
    },
    Case {
        defect: DefaultPortKept,
        profile: Vendor,
        red: &["vredir-05b"],
    },
    Case {
        defect: PartialLabelWildcardRegistered,
        profile: Vendor,
        red: &["vredir-06a"],
    },
    Case {
        defect: WildcardCrossesDot,
        profile: Vendor,
        red: &["prop-redirect-02", "prop-redirect-03", "vredir-06b"],
    },
    Case {
        defect: TrailingDotHostAccepted,
        profile: Vendor,
        red: &["vredir-07", "vredir-10b"],
    },
    Case {
        defect: PathWildcardCrossesSlash,
        profile: Vendor,
        red: &["vredir-08"],
    },
    Case {
        defect: HostCaseSensitive,
        profile: Vendor,
        red: &["prop-redirect-02", "vredir-10a"],
    },
    Case {
        defect: PathCaseless,
        profile: Vendor,
        red: &["vredir-10b"],
    },
    Case {
        defect: StrictWildcardRegistered,
        profile: Strict,
        red: &["sec-bcp-01a"],
    },
    Case {
        defect: StrictRedirectQueryIgnored,
        profile: Strict,
        red: &[
            "authz-redir-06",
            "prop-redirect-01",
            "sec-bcp-01b",
            "sec-bcp-05",
        ],
    },
    Case {
        defect: LoopbackPortFixed,
        profile: Vendor,
        red: &["sec-bcp-02a", "sec-bcp-02b"],
    },
    Case {
        defect: LoopbackAnyPath,
        profile: Vendor,
        red: &["prop-redirect-02", "prop-redirect-03", "sec-bcp-02b"],
    },
    Case {
        defect: HttpRedirectRegistered,
        profile: Vendor,
        red: &["sec-bcp-03"],
    },
    Case {
        defect: ImplicitAdvertised,
        profile: Vendor,
        red: &["sec-bcp-04a"],
    },
    Case {
        defect: PasswordGrantAdvertised,
        profile: Vendor,
        red: &["sec-bcp-04b"],
    },
    Case {
        defect: PagesFramable,
        profile: Vendor,
        red: &["sec-bcp-06a"],
    },
    Case {
        defect: PagesLeakReferrer,
        profile: Vendor,
        red: &["sec-bcp-06b"],
    },
    Case {
        defect: BackofficeFramable,
        profile: Vendor,
        red: &["sec-bcp-06a"],
    },
    Case {
        defect: BackofficeLeaksReferrer,
        profile: Vendor,
        red: &["sec-bcp-06b"],
    },
    Case {
        defect: AuthorizeCors,
        profile: Vendor,
        red: &["sec-bcp-07"],
    },
    Case {
        defect: Login307,
        profile: Vendor,
        red: &["sec-bcp-08"],
    },
    Case {
        defect: MetadataHttpUri,
        profile: Vendor,
        red: &["sec-bcp-09"],
    },
    Case {
        defect: WalletBareSubject,
        profile: Vendor,
        red: &["sec-bcp-10"],
    },
];

pub const NOT_YET_KILLED: &[&str] = &[];
