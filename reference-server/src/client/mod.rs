//! The client model: one record, three vendor presets and a resource-server kind.
//!
//! Every kind is a set of defaults and validation rules over the same [`Client`]:
//! - `one_click` (seed 000): authorization_code, redirect URLs, resource ids (AMB-25, AMB-34);
//! - `admin_api` (seed 001): client_credentials, catalogue roles, default scopes, backoffice_api;
//! - `wallet` (seed 002): client_credentials, `wallet-{external-key}-{id}`, view/change roles,
//!   a required expiry date and notes (AMB-12 to AMB-16, AMB-20, AMB-26);
//! - `resource_server`: a server that checks tokens for its resource ids (AMB-33) and obtains none.
//!
//! [`spec`] is the admin API's input and its create and edit rules; [`validation`] checks each
//! field.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use time::{
    Date, Month, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description,
};

mod spec;
mod validation;

pub use spec::{ClientSpec, FieldError, NewClient, Rules, SpecSecret, validate_edit, validate_new};
pub use validation::{is_scope_token, one_year_after};

use crate::catalogue::Catalogue;
use crate::config::{Profile, parse_ip_net};
use crate::secret::{ClientSecret, random_value};

pub const IDENTITY_API: &str = "identity_api";
pub const BACKOFFICE_API: &str = "backoffice_api";
pub const WALLET_API: &str = "wallet_api";

pub const DEFAULT_ACCESS_VALIDITY: i64 = 3_600;
pub const DEFAULT_REFRESH_VALIDITY: i64 = 2_592_000;
const ACCESS_VALIDITY_RANGE: std::ops::RangeInclusive<i64> = 60..=86_400;
const REFRESH_VALIDITY_RANGE: std::ops::RangeInclusive<i64> = 3_600..=31_536_000;
const MAX_NOTES_CHARS: usize = 1_000;
const MAX_NAME_CHARS: usize = 200;
const MAX_LIST_ENTRIES: usize = 100;
const DATE_FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    OneClick,
    AdminApi,
    Wallet,
    ResourceServer,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::OneClick => "one_click",
            ClientKind::AdminApi => "admin_api",
            ClientKind::Wallet => "wallet",
            ClientKind::ResourceServer => "resource_server",
        }
    }
}

/// RFC 6749 grant types this server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

/// What a client may do with the admin API (AMB-35): change implies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdminAccess {
    Read,
    Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// Internal record id: tokens bind to it, not to the id string, so a client deleted and
    /// registered again under the same id never revives old tokens (AMB-19).
    #[serde(skip)]
    pub row_id: i64,
    /// The digest of the secret this request authenticated with; never stored. Tokens issued
    /// for the request are stored only while the client still has it (AMB-18, AMB-19).
    #[serde(skip)]
    pub authenticated_with: Option<crate::secret::Digest>,
    pub client_id: String,
    pub kind: ClientKind,
    /// The wallet's chosen id, the `{your-client-id}` of `wallet-{external-key}-{id}`.
    #[serde(default)]
    pub short_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    pub grants: BTreeSet<GrantType>,
    #[serde(default)]
    pub redirect_urls: Vec<String>,
    pub resource_ids: BTreeSet<String>,
    #[serde(default)]
    pub ip_whitelist: Vec<IpNet>,
    #[serde(default)]
    pub roles: BTreeSet<String>,
    #[serde(default)]
    pub scopes: BTreeSet<String>,
    pub access_token_validity: i64,
    pub refresh_token_validity: i64,
    /// `YYYY-MM-DD`, inclusive, UTC (AMB-12).
    #[serde(default)]
    pub expiry_date: Option<String>,
    /// The first instant (Unix seconds) at which the client is rejected.
    #[serde(default)]
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Client {
    /// Scope values the client may ask for, and gets when it asks for none.
    /// Wallet roles travel as scope values (AMB-20).
    pub fn allowed_scopes(&self) -> &BTreeSet<String> {
        match self.kind {
            ClientKind::Wallet => &self.roles,
            _ => &self.scopes,
        }
    }

    /// Roles that travel as Spring's `authorities` (AMB-21).
    pub fn authorities(&self) -> &BTreeSet<String> {
        &self.roles
    }

    pub fn has_grant(&self, grant: GrantType) -> bool {
        match grant {
            // Refresh tokens go to code clients only, so the refresh grant follows the code grant.
            GrantType::RefreshToken => self.grants.contains(&GrantType::AuthorizationCode),
            other => self.grants.contains(&other),
        }
    }

    pub fn is_expired(&self, now_unix: i64) -> bool {
        self.expires_at.is_some_and(|cutoff| now_unix >= cutoff)
    }

    /// An empty whitelist admits everyone (seed 000 › 5); otherwise the address must be known
    /// and inside one entry. IPv4-mapped IPv6 addresses compare as IPv4 (AMB-07).
    pub fn admits(&self, addr: Option<IpAddr>) -> bool {
        if self.ip_whitelist.is_empty() {
            return true;
        }
        addr.map(|a| a.to_canonical())
            .is_some_and(|a| self.ip_whitelist.iter().any(|net| net.contains(&a)))
    }

    pub fn admin_access(&self, catalogue: &Catalogue) -> Option<AdminAccess> {
        match self.kind {
            ClientKind::AdminApi => {
                let roles = &catalogue.admin_api;
                if self
                    .roles
                    .iter()
                    .any(|r| roles.admin_change_roles.contains(r))
                {
                    Some(AdminAccess::Change)
                } else if self
                    .roles
                    .iter()
                    .any(|r| roles.admin_read_roles.contains(r))
                {
                    Some(AdminAccess::Read)
                } else {
                    None
                }
            }
            ClientKind::Wallet => {
                let resource = &catalogue.wallet.admin_resource;
                if self.roles.contains(&format!("{resource}:change")) {
                    Some(AdminAccess::Change)
                } else if self.roles.contains(&format!("{resource}:view")) {
                    Some(AdminAccess::Read)
                } else {
                    None
                }
            }
            ClientKind::OneClick | ClientKind::ResourceServer => None,
        }
    }
}
