//! An admin create or edit body as the defects read it: misread before the handler validates
//! it, and what the store is to build otherwise than the handler did.

use std::collections::BTreeSet;
use std::sync::Arc;

use reference_server::client::{BACKOFFICE_API, Client, ClientKind, IDENTITY_API};
use reference_server::config::parse_ip_net;
use reference_server::state::AppState;
use serde_json::{Map, Value};

use super::store::Misbuild;
use crate::Defect;

/// Whether the body names `field` with a value (`null` counts as absent, as for serde).
pub(super) fn names(object: &Map<String, Value>, field: &str) -> bool {
    object.get(field).is_some_and(|v| !v.is_null())
}

/// The kind the body is about: its own, or the edited client's.
fn kind_of(given: &Map<String, Value>, current: Option<&Client>) -> Option<String> {
    given
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| current.map(|c| c.kind.as_str().to_owned()))
}

/// The body as the defect misreads it before the handler validates it.
pub(super) fn misread(
    state: &AppState,
    defect: Defect,
    given: &mut Map<String, Value>,
    current: Option<&Client>,
) {
    let kind = kind_of(given, current);
    match defect {
        Defect::ResourceIdCaseFolded => {
            for id in strings(given.get_mut("resource_ids")) {
                *id = Value::from(id.as_str().unwrap_or_default().to_ascii_lowercase());
            }
        }
        Defect::AdminApiResourcesOpen
            if kind.as_deref() == Some(ClientKind::AdminApi.as_str())
                && open_resources(given).is_some() =>
        {
            // Checked as if absent; the store puts them back.
            given.remove("resource_ids");
        }
        Defect::WalletIdUpperCase => {
            if let Some(Value::String(id)) = given.get_mut("id") {
                *id = id.to_ascii_lowercase();
            }
        }
        Defect::AdminRoleCaseFolded if kind.as_deref() == Some(ClientKind::AdminApi.as_str()) => {
            let known = &state.catalogue.admin_api.roles;
            for role in strings(given.get_mut("roles")) {
                let text = role.as_str().unwrap_or_default();
                if let Some(known) = known.iter().find(|k| k.eq_ignore_ascii_case(text)) {
                    *role = Value::from(known.clone());
                }
            }
        }
        Defect::BadWhitelistEntriesDropped => {
            if let Some(Value::Array(entries)) = given.get_mut("ip_whitelist") {
                entries.retain(|e| e.as_str().is_none_or(|e| parse_ip_net(e).is_ok()));
            }
        }
        Defect::ExpiryEditIgnored if current.is_some() => {
            given.remove("expiry_date");
        }
        Defect::EmptyRedirectEditIgnored
            if current.is_some()
                && given
                    .get("redirect_urls")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty) =>
        {
            given.remove("redirect_urls");
        }
        Defect::RoleEditMerges => {
            if let (Some(current), Some(Value::Array(roles))) = (current, given.get_mut("roles")) {
                roles.extend(current.roles.iter().cloned().map(Value::from));
            }
        }
        _ => {}
    }
}

/// The string items of an array member.
fn strings(value: Option<&mut Value>) -> Vec<&mut Value> {
    match value {
        Some(Value::Array(items)) => items.iter_mut().filter(|v| v.is_string()).collect(),
        _ => Vec::new(),
    }
}

/// Resource ids the Admin API kind may not have, all of them open ones.
fn open_resources(given: &Map<String, Value>) -> Option<BTreeSet<String>> {
    let ids = given.get("resource_ids")?.as_array()?;
    let ids: Option<BTreeSet<String>> = ids.iter().map(|v| v.as_str().map(str::to_owned)).collect();
    let ids = ids?;
    (!ids.is_empty()
        && ids
            .iter()
            .all(|id| id == IDENTITY_API || id == BACKOFFICE_API))
    .then_some(ids)
}

/// How the store is to build the client otherwise than the handler did, from the body as given.
pub(super) fn misbuild(
    state: &AppState,
    defect: Defect,
    given: &Map<String, Value>,
    current: Option<&Client>,
) -> Option<Misbuild> {
    let creating = current.is_none();
    let kind = kind_of(given, current);
    let misbuild: Misbuild = match defect {
        Defect::WalletIdUpperCase if creating => {
            let id = given.get("id")?.as_str()?.to_owned();
            let key = state.catalogue.wallet.external_key.clone();
            Arc::new(move |client: &mut Client, inserting| {
                if inserting && client.kind == ClientKind::Wallet {
                    client.short_id = Some(id.clone());
                    client.client_id = format!("wallet-{key}-{id}");
                }
            })
        }
        Defect::WalletExpiryOptional if creating && !names(given, "expiry_date") => {
            Arc::new(|client: &mut Client, inserting| {
                if inserting && client.kind == ClientKind::Wallet {
                    client.expiry_date = None;
                    client.expires_at = None;
                }
            })
        }
        Defect::AdminApiResourcesOpen if kind.as_deref() == Some(ClientKind::AdminApi.as_str()) => {
            let ids = open_resources(given)?;
            Arc::new(move |client: &mut Client, _| {
                if client.kind == ClientKind::AdminApi {
                    client.resource_ids = ids.clone();
                }
            })
        }
        Defect::MappedEntryStaysV6 => {
            let entries = given.get("ip_whitelist")?.as_array()?;
            let entries: Vec<String> = entries
                .iter()
                .map(|e| e.as_str().map(str::to_owned))
                .collect::<Option<_>>()?;
            Arc::new(move |client: &mut Client, _| {
                client.ip_whitelist = entries
                    .iter()
                    .filter_map(|e| match e.trim().parse::<std::net::IpAddr>() {
                        Ok(addr) => Some(ipnet::IpNet::from(addr)),
                        Err(_) => parse_ip_net(e).ok(),
                    })
                    .collect();
            })
        }
        Defect::EditDropsImpliedView if !creating => {
            let roles: Vec<String> = given
                .get("roles")?
                .as_array()?
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            Arc::new(move |client: &mut Client, inserting| {
                if !inserting {
                    client
                        .roles
                        .retain(|r| roles.contains(r) || !r.ends_with(":view"));
                }
            })
        }
        _ => return None,
    };
    Some(misbuild)
}
