//! The client model: one record, three vendor presets and a resource-server kind.
//!
//! Every kind is a set of defaults and validation rules over the same [`Client`]:
//! - `one_click` (seed 000): authorization_code, redirect URLs, resource ids (AMB-25, AMB-34);
//! - `admin_api` (seed 001): client_credentials, catalogue roles, default scopes, backoffice_api;
//! - `wallet` (seed 002): client_credentials, `wallet-{external-key}-{id}`, view/change roles,
//!   a required expiry date and notes (AMB-12 to AMB-16, AMB-20, AMB-26);
//! - `resource_server`: a server that checks tokens for its resource ids (AMB-33) and obtains none.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use time::{
    Date, Month, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description,
};

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

/// The admin API's create and edit body. Every field is optional here; which ones a kind
/// takes, requires or forbids is decided in [`build_client`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub kind: Option<ClientKind>,
    /// OAuth client id, for kinds other than wallet; generated when absent.
    pub client_id: Option<String>,
    /// The wallet's short id (seed 002 › Client ID).
    pub id: Option<String>,
    /// Only with `--allow-chosen-secrets`.
    pub client_secret: Option<SpecSecret>,
    pub name: Option<String>,
    pub notes: Option<String>,
    pub grants: Option<Vec<GrantType>>,
    pub redirect_urls: Option<Vec<String>>,
    pub resource_ids: Option<Vec<String>>,
    pub ip_whitelist: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    pub expiry_date: Option<String>,
}

/// A chosen secret in a request body; `Debug` redacts it.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct SpecSecret(ClientSecret);

impl From<String> for SpecSecret {
    fn from(value: String) -> Self {
        Self(ClientSecret::new(value))
    }
}

impl std::fmt::Debug for SpecSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A refused field: `field` names it the way the caller wrote it (`redirect_urls[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The field is fine in itself but does not belong to this kind of client.
    pub misplaced: bool,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            misplaced: false,
        }
    }

    fn misplaced(field: &str, kind: ClientKind) -> Self {
        Self {
            misplaced: true,
            ..Self::new(
                field,
                format!("does not apply to {} clients", kind.as_str()),
            )
        }
    }
}

/// What validation needs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub catalogue: &'a Catalogue,
    pub profile: Profile,
    pub now_unix: i64,
    pub allow_chosen_secrets: bool,
    pub config: &'a crate::config::Config,
    pub policy: &'a dyn crate::policy::Policy,
}

/// A validated new client, with the secret to store (hashed) and show once.
#[derive(Debug)]
pub struct NewClient {
    pub client: Client,
    pub secret: ClientSecret,
}

/// Validates a create request (ADMIN-06, ADMIN-08, ADMIN-09, ROLE-01, ROLE-04, EXP-01, IP-06,
/// VREDIR-04, VREDIR-09, SEC-BCP-01, SEC-BCP-03).
pub fn validate_new(spec: ClientSpec, rules: Rules<'_>) -> Result<NewClient, FieldError> {
    let kind = spec.kind.ok_or_else(|| {
        FieldError::new(
            "kind",
            "required: one_click, admin_api, wallet or resource_server",
        )
    })?;
    let secret = match &spec.client_secret {
        None => ClientSecret::generate(),
        Some(_) if !rules.allow_chosen_secrets => {
            return Err(FieldError::new(
                "client_secret",
                "this server generates every secret (start it with --allow-chosen-secrets for fixtures)",
            ));
        }
        Some(SpecSecret(chosen)) => {
            let text = chosen.secret();
            if !(8..=512).contains(&text.len()) || !text.bytes().all(|b| (0x20..=0x7e).contains(&b))
            {
                return Err(FieldError::new(
                    "client_secret",
                    "a chosen secret must be 8 to 512 printable ASCII characters",
                ));
            }
            chosen.clone()
        }
    };
    let client = build_client(kind, &spec, None, rules)?;
    Ok(NewClient { client, secret })
}

/// Applies an edit. The client id, the wallet id, the kind, the grants and the expiry date
/// cannot change (ADMIN-07, AMB-15); resending their current values is accepted.
pub fn validate_edit(
    current: &Client,
    patch: ClientSpec,
    rules: Rules<'_>,
) -> Result<Client, FieldError> {
    let unchanged = |field: &str, same: bool| {
        if same {
            Ok(())
        } else {
            Err(FieldError::new(field, "cannot be changed after creation"))
        }
    };
    if let Some(kind) = patch.kind {
        unchanged("kind", kind == current.kind)?;
    }
    if let Some(client_id) = &patch.client_id {
        unchanged("client_id", *client_id == current.client_id)?;
    }
    if let Some(id) = &patch.id {
        unchanged("id", Some(id) == current.short_id.as_ref())?;
    }
    if let Some(date) = &patch.expiry_date {
        unchanged("expiry_date", Some(date) == current.expiry_date.as_ref())?;
    }
    if let Some(grants) = &patch.grants {
        unchanged(
            "grants",
            grants.iter().copied().collect::<BTreeSet<_>>() == current.grants,
        )?;
    }
    if patch.client_secret.is_some() {
        return Err(FieldError::new(
            "client_secret",
            "a secret is replaced with POST /admin/clients/{client_id}/secret",
        ));
    }
    let mut merged = spec_of(current);
    macro_rules! overlay {
        ($($field:ident),*) => { $( if patch.$field.is_some() { merged.$field = patch.$field; } )* };
    }
    overlay!(
        name,
        notes,
        redirect_urls,
        resource_ids,
        ip_whitelist,
        roles,
        scopes,
        access_token_validity_seconds,
        refresh_token_validity_seconds
    );
    let mut client = build_client(current.kind, &merged, Some(current), rules)?;
    client.row_id = current.row_id;
    client.created_at = current.created_at;
    Ok(client)
}

/// The fields of a stored client, as an edit body would give them.
fn spec_of(client: &Client) -> ClientSpec {
    let permitted = permitted_fields(client.kind);
    let keep = |field: &str| permitted.contains(&field);
    ClientSpec {
        kind: Some(client.kind),
        client_id: None,
        id: client.short_id.clone(),
        client_secret: None,
        name: client.name.clone(),
        notes: client.notes.clone(),
        grants: keep("grants").then(|| client.grants.iter().copied().collect()),
        redirect_urls: keep("redirect_urls").then(|| client.redirect_urls.clone()),
        resource_ids: keep("resource_ids").then(|| client.resource_ids.iter().cloned().collect()),
        ip_whitelist: Some(
            client
                .ip_whitelist
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        roles: keep("roles").then(|| client.roles.iter().cloned().collect()),
        scopes: keep("scopes").then(|| client.scopes.iter().cloned().collect()),
        access_token_validity_seconds: keep("access_token_validity_seconds")
            .then_some(client.access_token_validity),
        refresh_token_validity_seconds: keep("refresh_token_validity_seconds")
            .then_some(client.refresh_token_validity),
        expiry_date: client.expiry_date.clone(),
    }
}

fn permitted_fields(kind: ClientKind) -> &'static [&'static str] {
    match kind {
        ClientKind::OneClick => &[
            "kind",
            "name",
            "notes",
            "ip_whitelist",
            "client_id",
            "client_secret",
            "grants",
            "redirect_urls",
            "resource_ids",
            "scopes",
            "access_token_validity_seconds",
            "refresh_token_validity_seconds",
        ],
        ClientKind::AdminApi => &[
            "kind",
            "name",
            "notes",
            "ip_whitelist",
            "client_id",
            "client_secret",
            "grants",
            "resource_ids",
            "roles",
            "scopes",
            "access_token_validity_seconds",
            "refresh_token_validity_seconds",
        ],
        ClientKind::Wallet => &[
            "kind",
            "name",
            "notes",
            "ip_whitelist",
            "id",
            "client_secret",
            "roles",
            "expiry_date",
            "access_token_validity_seconds",
        ],
        ClientKind::ResourceServer => &[
            "kind",
            "name",
            "notes",
            "ip_whitelist",
            "client_id",
            "client_secret",
            "resource_ids",
        ],
    }
}

fn given_fields(spec: &ClientSpec) -> Vec<&'static str> {
    let mut given = Vec::new();
    macro_rules! check {
        ($($field:ident),*) => { $( if spec.$field.is_some() { given.push(stringify!($field)); } )* };
    }
    check!(
        client_id,
        id,
        client_secret,
        name,
        notes,
        grants,
        redirect_urls,
        resource_ids,
        ip_whitelist,
        roles,
        scopes,
        access_token_validity_seconds,
        refresh_token_validity_seconds,
        expiry_date
    );
    given
}

fn build_client(
    kind: ClientKind,
    spec: &ClientSpec,
    existing: Option<&Client>,
    rules: Rules<'_>,
) -> Result<Client, FieldError> {
    let permitted = permitted_fields(kind);
    if let Some(field) = given_fields(spec)
        .into_iter()
        .find(|f| !permitted.contains(f))
    {
        return Err(FieldError::misplaced(field, kind));
    }
    let catalogue = rules.catalogue;
    let (client_id, short_id) = match (kind, existing) {
        (_, Some(existing)) => (existing.client_id.clone(), existing.short_id.clone()),
        (ClientKind::Wallet, None) => {
            let short = spec
                .id
                .as_deref()
                .ok_or_else(|| FieldError::new("id", "required for a wallet client"))?;
            check_wallet_id(short)?;
            (
                format!("wallet-{}-{short}", catalogue.wallet.external_key),
                Some(short.to_owned()),
            )
        }
        (_, None) => match &spec.client_id {
            Some(id) => {
                check_chosen_client_id(id)?;
                (id.clone(), None)
            }
            None => (generated_client_id(kind), None),
        },
    };
    let name = optional_text(spec.name.as_deref(), "name", MAX_NAME_CHARS, false)?;
    let notes = optional_text(spec.notes.as_deref(), "notes", MAX_NOTES_CHARS, true)?;
    let ip_whitelist = ip_whitelist(spec.ip_whitelist.as_deref().unwrap_or_default())?;
    let grants = grants(kind, spec.grants.as_deref())?;
    let redirect_urls = redirect_urls(kind, spec.redirect_urls.as_deref(), rules)?;
    let resource_ids = resource_ids(kind, spec.resource_ids.as_deref())?;
    let roles = roles(kind, spec.roles.as_deref(), catalogue)?;
    let scopes = match kind {
        ClientKind::OneClick => {
            scopes(spec.scopes.as_deref(), &catalogue.one_click.default_scopes)?
        }
        ClientKind::AdminApi => {
            scopes(spec.scopes.as_deref(), &catalogue.admin_api.default_scopes)?
        }
        ClientKind::Wallet | ClientKind::ResourceServer => BTreeSet::new(),
    };
    let access_token_validity = validity(
        spec.access_token_validity_seconds,
        "access_token_validity_seconds",
        DEFAULT_ACCESS_VALIDITY,
        ACCESS_VALIDITY_RANGE,
    )?;
    let refresh_token_validity = validity(
        spec.refresh_token_validity_seconds,
        "refresh_token_validity_seconds",
        DEFAULT_REFRESH_VALIDITY,
        REFRESH_VALIDITY_RANGE,
    )?;
    let (expiry_date, expires_at) = match (kind, existing) {
        (_, Some(existing)) => (existing.expiry_date.clone(), existing.expires_at),
        (ClientKind::Wallet, None) => {
            let (date, cutoff) = expiry(spec.expiry_date.as_deref(), rules.now_unix)?;
            (Some(date), Some(cutoff))
        }
        (_, None) => (None, None),
    };
    Ok(Client {
        row_id: 0,
        authenticated_with: None,
        client_id,
        kind,
        short_id,
        name,
        notes,
        grants,
        redirect_urls,
        resource_ids,
        ip_whitelist,
        roles,
        scopes,
        access_token_validity,
        refresh_token_validity,
        expiry_date,
        expires_at,
        created_at: rules.now_unix,
        updated_at: rules.now_unix,
    })
}

/// AMB-26: `a-z 0-9 . _ -`, 1–64 characters, starting with a letter or digit.
fn check_wallet_id(id: &str) -> Result<(), FieldError> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "id",
            "1 to 64 characters from a-z 0-9 . _ -, starting with a letter or a digit",
        ))
    }
}

fn check_chosen_client_id(id: &str) -> Result<(), FieldError> {
    if !(1..=128).contains(&id.len()) || !id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(FieldError::new(
            "client_id",
            "1 to 128 printable ASCII characters",
        ));
    }
    if id.starts_with("wallet-") {
        // Wallet ids are built by the server (AMB-26); a chosen one must not pose as one.
        return Err(FieldError::new(
            "client_id",
            "ids starting with wallet- are reserved for wallet clients",
        ));
    }
    Ok(())
}

fn generated_client_id(kind: ClientKind) -> String {
    let prefix = match kind {
        ClientKind::OneClick => "one-click",
        ClientKind::AdminApi => "admin-api",
        ClientKind::ResourceServer => "resource-server",
        ClientKind::Wallet => "wallet",
    };
    let suffix: String = random_value()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{prefix}-{suffix}")
}

fn optional_text(
    value: Option<&str>,
    field: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    let Some(value) = value else { return Ok(None) };
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("at most {max_chars} characters"),
        ));
    }
    let allowed_control = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Parses every entry of a list field, naming the first bad one (`field[i]`), dropping repeats.
fn parse_list<T: PartialEq>(
    entries: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Vec<T>, FieldError> {
    if entries.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let value = parse(entry).map_err(|why| FieldError::new(format!("{field}[{i}]"), why))?;
        if !parsed.contains(&value) {
            parsed.push(value);
        }
    }
    Ok(parsed)
}

fn ip_whitelist(entries: &[String]) -> Result<Vec<IpNet>, FieldError> {
    parse_list(entries, "ip_whitelist", |entry| {
        parse_ip_net(entry)
            .map_err(|_| "an IPv4 or IPv6 address or CIDR block (no host names, no zone ids)")
    })
}

fn grants(
    kind: ClientKind,
    given: Option<&[GrantType]>,
) -> Result<BTreeSet<GrantType>, FieldError> {
    let set = |g: &[GrantType]| g.iter().copied().collect::<BTreeSet<_>>();
    match kind {
        ClientKind::OneClick => {
            let grants = given.map_or_else(|| BTreeSet::from([GrantType::AuthorizationCode]), set);
            if !grants.contains(&GrantType::AuthorizationCode)
                && !grants.contains(&GrantType::ClientCredentials)
            {
                return Err(FieldError::new(
                    "grants",
                    "needs authorization_code (or client_credentials)",
                ));
            }
            Ok(grants)
        }
        ClientKind::AdminApi => {
            let grants = given.map_or_else(|| BTreeSet::from([GrantType::ClientCredentials]), set);
            if grants != BTreeSet::from([GrantType::ClientCredentials]) {
                return Err(FieldError::new(
                    "grants",
                    "an admin_api client has exactly the client_credentials grant",
                ));
            }
            Ok(grants)
        }
        ClientKind::Wallet => Ok(BTreeSet::from([GrantType::ClientCredentials])),
        ClientKind::ResourceServer => Ok(BTreeSet::new()),
    }
}

fn redirect_urls(
    kind: ClientKind,
    given: Option<&[String]>,
    rules: Rules<'_>,
) -> Result<Vec<String>, FieldError> {
    let profile = rules.profile;
    if kind != ClientKind::OneClick {
        return Ok(Vec::new());
    }
    let given = given.unwrap_or_default();
    if given.is_empty() {
        return Err(FieldError::new(
            "redirect_urls",
            "a one_click client needs at least one redirect URL",
        ));
    }
    parse_list(given, "redirect_urls", |raw| {
        rules.policy.redirect_registration(raw, profile)
    })
}

fn resource_ids(
    kind: ClientKind,
    given: Option<&[String]>,
) -> Result<BTreeSet<String>, FieldError> {
    let (allowed, default): (&[&str], &[&str]) = match kind {
        ClientKind::OneClick => (&[BACKOFFICE_API, IDENTITY_API], &[IDENTITY_API]),
        ClientKind::AdminApi => (&[BACKOFFICE_API], &[BACKOFFICE_API]),
        ClientKind::Wallet => (&[WALLET_API], &[WALLET_API]),
        ClientKind::ResourceServer => (&[BACKOFFICE_API, IDENTITY_API, WALLET_API], &[]),
    };
    let ids: BTreeSet<String> = match given {
        Some(given) => given.iter().cloned().collect(),
        None => default.iter().map(|s| (*s).to_owned()).collect(),
    };
    if ids.is_empty() {
        return Err(FieldError::new(
            "resource_ids",
            format!("at least one of: {}", allowed.join(", ")),
        ));
    }
    if ids.iter().any(|id| !allowed.contains(&id.as_str())) {
        return Err(FieldError::new(
            "resource_ids",
            format!(
                "a {} client may hold only: {}",
                kind.as_str(),
                allowed.join(", ")
            ),
        ));
    }
    Ok(ids)
}

/// Wallet roles are `<resource>:view` / `<resource>:change`; change adds view (ROLE-01, AMB-20).
/// Admin API roles come from the catalogue (ROLE-04, AMB-21).
fn roles(
    kind: ClientKind,
    given: Option<&[String]>,
    catalogue: &Catalogue,
) -> Result<BTreeSet<String>, FieldError> {
    let given = given.unwrap_or_default();
    if given.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            "roles",
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut roles = BTreeSet::new();
    for (i, role) in given.iter().enumerate() {
        let field = || format!("roles[{i}]");
        match kind {
            ClientKind::AdminApi => {
                if !catalogue.admin_api.roles.contains(role) {
                    return Err(FieldError::new(field(), "not a role of the catalogue"));
                }
                roles.insert(role.clone());
            }
            ClientKind::Wallet => {
                let (resource, level) = role.split_once(':').ok_or_else(|| {
                    FieldError::new(
                        field(),
                        "a wallet role is <resource>:view or <resource>:change",
                    )
                })?;
                if !catalogue.wallet.resources.contains(resource) {
                    return Err(FieldError::new(
                        field(),
                        "not a resource of the wallet catalogue",
                    ));
                }
                match level {
                    "view" => {}
                    "change" => {
                        roles.insert(format!("{resource}:change"));
                    }
                    _ => return Err(FieldError::new(field(), "the level is view or change")),
                }
                roles.insert(format!("{resource}:view"));
            }
            ClientKind::OneClick | ClientKind::ResourceServer => {}
        }
    }
    Ok(roles)
}

/// RFC 6749 §3.3 scope-token characters: %x21 / %x23-5B / %x5D-7E.
pub fn is_scope_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn scopes(
    given: Option<&[String]>,
    default: &BTreeSet<String>,
) -> Result<BTreeSet<String>, FieldError> {
    let Some(given) = given else {
        return Ok(default.clone());
    };
    if given.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            "scopes",
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut scopes = BTreeSet::new();
    for (i, scope) in given.iter().enumerate() {
        if !is_scope_token(scope) {
            return Err(FieldError::new(
                format!("scopes[{i}]"),
                "a scope is one RFC 6749 scope-token: printable ASCII without space, \" or \\",
            ));
        }
        scopes.insert(scope.clone());
    }
    Ok(scopes)
}

fn validity(
    given: Option<i64>,
    field: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, FieldError> {
    let value = given.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!("from {} to {} seconds", range.start(), range.end()),
        ))
    }
}

/// EXP-01: default today (UTC) + one calendar year, 29 February → 28 February (AMB-13);
/// a date before today is refused, today is accepted (AMB-15). Returns the date and the
/// cut-off: 00:00 UTC of the next day (AMB-12).
fn expiry(given: Option<&str>, now_unix: i64) -> Result<(String, i64), FieldError> {
    let today = OffsetDateTime::from_unix_timestamp(now_unix)
        .map_err(|_| FieldError::new("expiry_date", "the server clock is out of range"))?
        .date();
    let date = match given {
        None => one_year_after(today),
        Some(text) => {
            let date = Date::parse(text, DATE_FORMAT).map_err(|_| {
                FieldError::new("expiry_date", "a calendar date written YYYY-MM-DD")
            })?;
            if date < today {
                return Err(FieldError::new(
                    "expiry_date",
                    "must be today (UTC) or later",
                ));
            }
            date
        }
    };
    let next_day = date
        .next_day()
        .ok_or_else(|| FieldError::new("expiry_date", "too far in the future"))?;
    let cutoff = next_day.midnight().assume_utc().unix_timestamp();
    let text = date
        .format(DATE_FORMAT)
        .map_err(|_| FieldError::new("expiry_date", "cannot be written as YYYY-MM-DD"))?;
    Ok((text, cutoff))
}

fn one_year_after(today: Date) -> Date {
    let year = today.year() + 1;
    Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rules(catalogue: &Catalogue, now: OffsetDateTime) -> Rules<'_> {
        Rules {
            catalogue,
            profile: Profile::Vendor,
            now_unix: now.unix_timestamp(),
            allow_chosen_secrets: false,
            config: Box::leak(Box::new(crate::config::Config::for_tests())),
            policy: &crate::policy::StandardPolicy,
        }
    }

    fn spec(json: serde_json::Value) -> ClientSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn exp_01_default_expiry_is_one_calendar_year_and_leap_day_falls_back() {
        let cat = Catalogue::embedded().unwrap();
        let new = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "acme"})),
            rules(&cat, datetime!(2028-02-29 13:00 UTC)),
        )
        .unwrap();
        assert_eq!(new.client.expiry_date.as_deref(), Some("2029-02-28"));
        assert_eq!(
            new.client.expires_at,
            Some(datetime!(2029-03-01 00:00 UTC).unix_timestamp())
        );
    }

    #[test]
    fn exp_01_today_is_accepted_yesterday_is_not() {
        let cat = Catalogue::embedded().unwrap();
        let now = datetime!(2030-06-15 23:59:59 UTC);
        let today = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2030-06-15"})),
            rules(&cat, now),
        );
        assert!(today.is_ok());
        let yesterday = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2030-06-14"})),
            rules(&cat, now),
        );
        assert_eq!(yesterday.unwrap_err().field, "expiry_date");
    }

    #[test]
    fn role_01_change_implies_view_and_view_survives_its_removal() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let new = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "roles": ["accounts:change", "reports:view"]})),
            r,
        )
        .unwrap();
        let expected: BTreeSet<String> = ["accounts:change", "accounts:view", "reports:view"]
            .map(String::from)
            .into();
        assert_eq!(new.client.roles, expected);
        let edited = validate_edit(
            &new.client,
            spec(serde_json::json!({"roles": ["accounts:change"]})),
            r,
        )
        .unwrap();
        assert!(edited.roles.contains("accounts:view"));
    }

    #[test]
    fn admin_07_immutable_fields_refuse_change_but_accept_the_same_value() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let client = validate_new(spec(serde_json::json!({"kind": "wallet", "id": "a"})), r)
            .unwrap()
            .client;
        let same = serde_json::json!({"client_id": client.client_id, "expiry_date": client.expiry_date, "notes": "n"});
        assert_eq!(
            validate_edit(&client, spec(same), r)
                .unwrap()
                .notes
                .as_deref(),
            Some("n")
        );
        for (field, value) in [
            ("client_id", "wallet-demo-b"),
            ("id", "b"),
            ("expiry_date", "2099-01-01"),
        ] {
            let err =
                validate_edit(&client, spec(serde_json::json!({ field: value })), r).unwrap_err();
            assert_eq!(err.field, field);
        }
    }

    #[test]
    fn fields_of_another_kind_are_refused() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let err = validate_new(
            spec(
                serde_json::json!({"kind": "admin_api", "redirect_urls": ["https://m.example/cb"]}),
            ),
            r,
        )
        .unwrap_err();
        assert_eq!(err.field, "redirect_urls");
        let err = validate_new(spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2099-01-01", "scopes": ["x"]})), r)
            .unwrap_err();
        assert_eq!(err.field, "scopes");
    }

    #[test]
    fn ip_06_whitelist_entries() {
        let good = ["127.0.0.2", "127.0.0.0/30", "::1", "::1/128"].map(String::from);
        let nets = ip_whitelist(&good).unwrap();
        assert_eq!(nets.len(), 3, "::1 and ::1/128 are one entry");
        let mapped = ip_whitelist(&["::ffff:127.0.0.2".to_owned()]).unwrap();
        assert_eq!(
            mapped[0].to_string(),
            "127.0.0.2/32",
            "mapped addresses are stored as IPv4"
        );
        for bad in ["300.1.1.1", "10.0.0.0/33", "fe80::1%eth0", "localhost", ""] {
            assert!(ip_whitelist(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn admin_api_roles_must_come_from_the_catalogue() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let err = validate_new(
            spec(serde_json::json!({"kind": "admin_api", "roles": ["ROOT"]})),
            r,
        )
        .unwrap_err();
        assert_eq!(err.field, "roles[0]");
        let ok = validate_new(
            spec(serde_json::json!({"kind": "admin_api", "roles": ["MERCHANT_ADMIN"]})),
            r,
        )
        .unwrap();
        assert_eq!(ok.client.admin_access(&cat), Some(AdminAccess::Change));
        assert_eq!(ok.client.scopes.len(), 7);
        assert_eq!(
            ok.client.resource_ids,
            BTreeSet::from([BACKOFFICE_API.to_owned()])
        );
    }
}
