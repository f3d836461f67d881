//! Whitelist, expiry and scope decisions taken otherwise than the standard policy takes them.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use reference_server::client::{Client, DEFAULT_ACCESS_VALIDITY};
use reference_server::policy::{Policy, StandardPolicy};
use reference_server::tokens::capped_expiry;

use crate::Defect;

tokio::task_local! {
    /// Set by the OAuth layer around introspection, check_token and revocation.
    pub(super) static OUTSIDE_TOKEN_ENDPOINT: ();
}

/// The standard policy but for `defect`'s decision. Its memory is this server's alone.
#[derive(Debug)]
pub(super) struct Bent {
    defect: Defect,
    /// client row → its whitelist as first read, and when.
    whitelists: Mutex<HashMap<i64, (Vec<IpNet>, Instant)>>,
}

impl Bent {
    pub(super) fn new(defect: Defect) -> Self {
        Self {
            defect,
            whitelists: Mutex::default(),
        }
    }

    /// The whitelist as first read, re-read a minute later.
    fn cached_whitelist(&self, client: &Client) -> Vec<IpNet> {
        let mut cache = self
            .whitelists
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let entry = cache
            .entry(client.row_id)
            .or_insert_with(|| (client.ip_whitelist.clone(), now));
        if now.duration_since(entry.1) > Duration::from_secs(60) {
            *entry = (client.ip_whitelist.clone(), now);
        }
        entry.0.clone()
    }
}

impl Policy for Bent {
    fn admits(&self, client: &Client, addr: Option<IpAddr>) -> bool {
        let addr = addr.map(|a| a.to_canonical());
        let list = &client.ip_whitelist;
        match self.defect {
            Defect::EmptyWhitelistLocalOnly if list.is_empty() => {
                addr == Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
            }
            Defect::CidrNetworkOnly if !list.is_empty() => {
                addr.is_some_and(|a| list.iter().any(|n| n.addr() == a))
            }
            Defect::WhitelistCached => {
                let cached = Client {
                    ip_whitelist: self.cached_whitelist(client),
                    ..client.clone()
                };
                cached.admits(addr)
            }
            Defect::WhitelistCidrOffByOne => {
                list.is_empty()
                    || addr.is_some_and(|a| {
                        list.iter().any(|net| {
                            let block = net.prefix_len() < net.max_prefix_len();
                            let wider = if block { net.supernet() } else { None };
                            wider.unwrap_or(*net).contains(&a)
                        })
                    })
            }
            _ => StandardPolicy.admits(client, addr),
        }
    }

    fn whitelist_applies(&self, at_token_endpoint: bool, grant_type: Option<&str>) -> bool {
        let client_credentials = grant_type == Some("client_credentials");
        match self.defect {
            Defect::WhitelistTokenEndpointOnly => at_token_endpoint,
            Defect::WhitelistSkipsClientCredentials => !client_credentials,
            Defect::WhitelistClientCredentialsOnly => grant_type.is_none() || client_credentials,
            _ => StandardPolicy.whitelist_applies(at_token_endpoint, grant_type),
        }
    }

    fn client_expired(&self, client: &Client, now: i64) -> bool {
        match self.defect {
            Defect::ExpiredCallerAdmitted if OUTSIDE_TOKEN_ENDPOINT.try_with(|()| ()).is_ok() => {
                false
            }
            // A month's last day + 1 does not exist; the defect falls back to the day itself.
            Defect::MonthEndExpiry if ends_a_month(client.expiry_date.as_deref()) => {
                client.is_expired(now + 86_400)
            }
            _ => StandardPolicy.client_expired(client, now),
        }
    }

    fn client_token_expiry(&self, client: &Client, now: i64) -> i64 {
        match self.defect {
            Defect::TokenOutlivesClient => now + client.access_token_validity,
            Defect::AccessValidityIgnored => capped_expiry(client, now, DEFAULT_ACCESS_VALIDITY),
            _ => StandardPolicy.client_token_expiry(client, now),
        }
    }

    fn effective_scope(&self, issued: &BTreeSet<String>, client: &Client) -> BTreeSet<String> {
        match self.defect {
            Defect::RemovedRoleKept => issued.clone(),
            _ => StandardPolicy.effective_scope(issued, client),
        }
    }
}

/// Whether `date` (`YYYY-MM-DD`) is the last day of its month.
fn ends_a_month(date: Option<&str>) -> bool {
    date.is_some_and(|d| {
        time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .is_ok_and(|date| date.next_day().is_some_and(|next| next.day() == 1))
    })
}
