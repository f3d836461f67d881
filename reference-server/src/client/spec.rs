//! The admin API's create and edit body, and the rules that turn it into a client.

use super::validation::build_client;
use super::*;

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

    pub(super) fn misplaced(field: &str, kind: ClientKind) -> Self {
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

pub(super) fn permitted_fields(kind: ClientKind) -> &'static [&'static str] {
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

pub(super) fn given_fields(spec: &ClientSpec) -> Vec<&'static str> {
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
