//! Admin API, roles, IP whitelists, expiry.

use crate::Case;
use conformance::model::Profile::Vendor;
use reference_server_defects::Defect::*;

pub const CASES: &[Case] = &[
    Case {
        defect: AdminReadsOpen,
        profile: Vendor,
        red: &["admin-01a"],
    },
    Case {
        defect: AdminReadCanChange,
        profile: Vendor,
        red: &["admin-01b"],
    },
    Case {
        defect: AdminBearerScopeOnly,
        profile: Vendor,
        red: &["admin-01c"],
    },
    Case {
        defect: SecretPadded,
        profile: Vendor,
        red: &["admin-02a"],
    },
    Case {
        defect: AdminErrorEchoesSecret,
        profile: Vendor,
        red: &["admin-02b", "admin-02c"],
    },
    Case {
        defect: OldSecretKept,
        profile: Vendor,
        red: &["admin-03", "admin-04a", "admin-03-race"],
    },
    Case {
        defect: NewSecretRevokesAll,
        profile: Vendor,
        red: &["admin-04a", "admin-03-race"],
    },
    Case {
        defect: NewSecretKeepsTokens,
        profile: Vendor,
        red: &["admin-04b", "admin-03-race"],
    },
    Case {
        defect: DeleteHidesClient,
        profile: Vendor,
        red: &["admin-05a", "admin-05b", "admin-05-race"],
    },
    Case {
        defect: WalletIdWithoutKey,
        profile: Vendor,
        red: &["admin-06a"],
    },
    Case {
        defect: DuplicateWalletOverwrites,
        profile: Vendor,
        red: &["admin-06b"],
    },
    Case {
        defect: WalletIdUpperCase,
        profile: Vendor,
        red: &["admin-06c"],
    },
    Case {
        defect: RoleEditMerges,
        profile: Vendor,
        red: &["admin-07a", "role-03"],
    },
    Case {
        defect: ExpiryEditIgnored,
        profile: Vendor,
        red: &["admin-07b"],
    },
    Case {
        defect: OneClickGrantsShowRefresh,
        profile: Vendor,
        red: &["admin-08a"],
    },
    Case {
        defect: EmptyRedirectEditIgnored,
        profile: Vendor,
        red: &["admin-08b"],
    },
    Case {
        defect: ResourceIdCaseFolded,
        profile: Vendor,
        red: &["admin-08c"],
    },
    Case {
        defect: AccessValidityIgnored,
        profile: Vendor,
        red: &["admin-09a", "prop-expiry-01", "prop-expiry-02"],
    },
    Case {
        defect: AdminApiResourcesOpen,
        profile: Vendor,
        red: &["admin-09b"],
    },
    Case {
        defect: NotesCountBytes,
        profile: Vendor,
        red: &["admin-10a"],
    },
    Case {
        defect: DisplayEditRevokesTokens,
        profile: Vendor,
        red: &["admin-10b"],
    },
    Case {
        defect: EditDropsImpliedView,
        profile: Vendor,
        red: &["role-01"],
    },
    Case {
        defect: WalletScopeUnchecked,
        profile: Vendor,
        red: &["role-02"],
    },
    Case {
        defect: RemovedRoleKept,
        profile: Vendor,
        red: &["role-03"],
    },
    Case {
        defect: AdminRoleCaseFolded,
        profile: Vendor,
        red: &["role-04"],
    },
    Case {
        defect: ScopeCaseFolded,
        profile: Vendor,
        red: &["role-05"],
    },
    Case {
        defect: EmptyWhitelistLocalOnly,
        profile: Vendor,
        red: &["ip-01", "ip-09", "prop-ip-01", "prop-ip-02"],
    },
    Case {
        defect: WhitelistSkipsClientCredentials,
        profile: Vendor,
        red: &[
            "ip-02a",
            "ip-05",
            "ip-06a",
            "ip-06b",
            "ip-07",
            "ip-08",
            "ip-09",
            "prop-ip-01",
            "prop-ip-02",
        ],
    },
    Case {
        defect: WhitelistClientCredentialsOnly,
        profile: Vendor,
        red: &["ip-02b"],
    },
    Case {
        defect: WhitelistTokenEndpointOnly,
        profile: Vendor,
        red: &["ip-03a", "ip-03b", "prop-ip-01", "prop-ip-02"],
    },
    Case {
        defect: WhitelistAtAuthorize,
        profile: Vendor,
        red: &["ip-02b", "ip-04"],
    },
    Case {
        defect: WhitelistRefusalExplained,
        profile: Vendor,
        red: &["ip-05"],
    },
    Case {
        defect: CidrNetworkOnly,
        profile: Vendor,
        red: &["ip-06a", "prop-ip-01", "prop-ip-02"],
    },
    Case {
        defect: MappedEntryStaysV6,
        profile: Vendor,
        red: &["ip-06b", "prop-ip-02"],
    },
    Case {
        defect: BadWhitelistEntriesDropped,
        profile: Vendor,
        red: &["ip-06c"],
    },
    Case {
        defect: WhitelistCached,
        profile: Vendor,
        red: &["ip-09"],
    },
    Case {
        defect: WalletExpiryOptional,
        profile: Vendor,
        red: &["exp-01a", "exp-01b"],
    },
    Case {
        defect: ExpiredBeforeSecret,
        profile: Vendor,
        red: &["exp-02", "exp-04"],
    },
    Case {
        defect: TokenOutlivesClient,
        profile: Vendor,
        red: &["exp-03", "prop-expiry-01"],
    },
    Case {
        defect: ExpiredCallerAdmitted,
        profile: Vendor,
        red: &["exp-04", "prop-expiry-01"],
    },
    Case {
        defect: ExpiredFlagStale,
        profile: Vendor,
        red: &["exp-05"],
    },
];

pub const NOT_YET_KILLED: &[&str] = &[];
