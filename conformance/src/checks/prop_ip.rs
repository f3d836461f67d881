//! IP whitelists, generated: whitelists of addresses and CIDR blocks inside 127.0.0.0/8 (plus
//! `::1`, IPv4-mapped entries and a block that is never local), a client provisioned with each,
//! and token, introspection, check_token and revocation calls from generated source addresses
//! bound on the client socket, with and without forged `X-Forwarded-For`, `Forwarded` and
//! `X-Real-IP`. [`crate::oracle::ip`] says who gets in: the TCP peer alone decides.

use std::net::{IpAddr, Ipv4Addr};

use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::CC;
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic};
use crate::model::{Check, CheckResult, Outcome, fail, skip};
use crate::oracle::ip::{admits, valid};
use crate::property;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "prop-ip-01",
            ["IP-06", "IP-01", "IP-02", "IP-03"],
            [
                (
                    Decision,
                    "AMB-07",
                    "Entries may be IPv4, IPv6 and CIDR blocks of either family; a single address is /32 or /128. … An IPv4-mapped IPv6 peer is compared as IPv4."
                ),
                (
                    Decision,
                    "AMB-08",
                    "every request in which the client authenticates with its secret: all grants at the token endpoint, check_token, introspection and revocation."
                ),
                (
                    Vendor,
                    "seed 000 › 5",
                    "IPs will be checked during server calls e.g token retrieval and check token. If you leave this empty, everyone is able to use this."
                )
            ],
            VendorOnly,
            [Ip2, Admin],
            "property: over generated whitelists (addresses, CIDR blocks, mapped and IPv6 entries) \
             and source addresses, token, introspection, check_token and revocation admit exactly \
             the listed peers",
            prop_ip_01
        ),
        check!(
            "prop-ip-02",
            ["IP-07", "IP-08"],
            [
                (
                    Must,
                    "RFC 9700 §4.13",
                    "the attacker could simply add an allowed IP address to the header and render the protection useless. A reverse proxy MUST therefore sanitize any inbound requests"
                ),
                (
                    Decision,
                    "AMB-09",
                    "the TCP peer address. `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are honoured only when the peer is in an operator-configured list of trusted proxies."
                )
            ],
            VendorOnly,
            [Ip2, Admin],
            "property: forged X-Forwarded-For, Forwarded and X-Real-IP from an untrusted peer \
             change nothing: the TCP peer alone decides",
            prop_ip_02
        ),
    ]
}

/// Generated whitelists (one client each); each tries up to four calls.
const CASES: usize = 32;

/// Local source addresses on a loopback target: 127.0.0.1 to 127.0.0.8.
const LOOPBACK_POOL: u8 = 8;

/// A whitelist entry, by index into the source pool so that it stays meaningful when the
/// target only lends a few addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Entry {
    Address(usize),
    /// The pool address's block of this prefix length (aligned).
    Block(usize, u8),
    /// `::ffff:a.b.c.d` for the pool address.
    Mapped(usize),
    Ipv6Loopback,
    /// TEST-NET-1: never a local peer.
    Elsewhere,
}

impl Entry {
    fn render(&self, pool: &[IpAddr]) -> String {
        let at = |i: &usize| pool[i % pool.len()];
        match self {
            Self::Address(i) => at(i).to_string(),
            Self::Block(i, prefix) => match at(i) {
                IpAddr::V4(v4) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                    format!("{}/{prefix}", Ipv4Addr::from(u32::from(v4) & mask))
                }
                v6 => format!("{v6}/128"),
            },
            Self::Mapped(i) => match at(i) {
                IpAddr::V4(v4) => v4.to_ipv6_mapped().to_string(),
                v6 => v6.to_string(),
            },
            Self::Ipv6Loopback => "::1".into(),
            Self::Elsewhere => "192.0.2.0/24".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Endpoint {
    Token,
    Introspection,
    CheckToken,
    Revocation,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Introspection => "introspection",
            Self::CheckToken => "check_token",
            Self::Revocation => "revocation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Forged {
    XForwardedFor,
    /// `X-Forwarded-For: <named>, <peer>`: a chain whose left end is the listed address.
    XForwardedForChain,
    Forwarded,
    XRealIp,
}

impl Forged {
    fn header(self, named: IpAddr, peer: IpAddr) -> (&'static str, String) {
        match self {
            Self::XForwardedFor => ("x-forwarded-for", named.to_string()),
            Self::XForwardedForChain => ("x-forwarded-for", format!("{named}, {peer}")),
            Self::Forwarded => ("forwarded", format!("for=\"{named}\"")),
            Self::XRealIp => ("x-real-ip", named.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Call {
    endpoint: Endpoint,
    source: usize,
    /// A forged header naming the pool address at this index.
    forged: Option<(Forged, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IpCase {
    whitelist: Vec<Entry>,
    calls: Vec<Call>,
}

fn entry() -> impl Strategy<Value = Entry, Tree: Send> {
    prop_oneof![
        4 => (0usize..16).prop_map(Entry::Address),
        4 => (0usize..16, 29u8..=32).prop_map(|(i, p)| Entry::Block(i, p)),
        1 => (0usize..16, 24u8..=28).prop_map(|(i, p)| Entry::Block(i, p)),
        1 => (0usize..16).prop_map(Entry::Mapped),
        1 => Just(Entry::Ipv6Loopback),
        1 => Just(Entry::Elsewhere),
    ]
}

fn case(forged: bool) -> impl Strategy<Value = IpCase, Tree: Send> {
    let endpoint = prop_oneof![
        Just(Endpoint::Token),
        Just(Endpoint::Introspection),
        Just(Endpoint::CheckToken),
        Just(Endpoint::Revocation),
    ];
    let header = prop_oneof![
        Just(Forged::XForwardedFor),
        Just(Forged::XForwardedForChain),
        Just(Forged::Forwarded),
        Just(Forged::XRealIp),
    ];
    let call = (endpoint, 0usize..16, header, 0usize..16).prop_map(
        move |(endpoint, source, header, named)| Call {
            endpoint,
            source,
            forged: forged.then_some((header, named)),
        },
    );
    (vec(entry(), 0..=3), vec(call, 1..=4))
        .prop_map(|(whitelist, calls)| IpCase { whitelist, calls })
}

/// Source addresses the harness can bind: any of 127.0.0.0/8 on a loopback target, else the
/// target file's `source_ips`.
fn source_pool(ctx: &Ctx) -> Result<Vec<IpAddr>, Outcome> {
    let loopback = url::Url::parse(&ctx.run.target.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    let pool: Vec<IpAddr> = if loopback {
        (1..=LOOPBACK_POOL)
            .map(|n| IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
            .collect()
    } else {
        ctx.run.target.source_ips.clone()
    };
    if pool.len() < 2 {
        return Err(skip(
            "needs a loopback target or two source_ips to send from generated addresses",
        ));
    }
    Ok(pool)
}

#[derive(Debug, Clone)]
struct Session {
    ctx: Ctx,
    pool: Vec<IpAddr>,
}

impl Session {
    fn whitelist(&self, case: &IpCase) -> Vec<String> {
        case.whitelist
            .iter()
            .map(|e| e.render(&self.pool))
            .collect()
    }

    fn describe(&self, case: &IpCase) -> String {
        let calls: Vec<String> = case
            .calls
            .iter()
            .map(|call| {
                let source = self.pool[call.source % self.pool.len()];
                let forged = call.forged.map_or(String::new(), |(kind, i)| {
                    let (name, value) = kind.header(self.pool[i % self.pool.len()], source);
                    format!(" with {name}: {value}")
                });
                format!("{} from {source}{forged}", call.endpoint.name())
            })
            .collect();
        format!(
            "a client with ip_whitelist {:?}; calls: {}",
            self.whitelist(case),
            calls.join("; ")
        )
    }

    /// A fresh client per evaluation: refusals count toward the client's brute-force
    /// throttle (TOKEN-AUTH-08), and a reused client would end up throttled.
    async fn client(&self, whitelist: &[String]) -> Result<ClientCreds, Outcome> {
        if !valid(whitelist) {
            return Err(fail(
                "generated whitelist entries the catalog allows",
                format!("{whitelist:?}"),
            ));
        }
        self.ctx
            .client_with(
                json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "ip_whitelist": whitelist}),
            )
            .await
    }
}

/// Each call is refused (401) exactly when the oracle says the peer is not listed.
async fn admits_as_oracle(session: Session, case: IpCase) -> CheckResult {
    let whitelist = session.whitelist(&case);
    let client = session.client(&whitelist).await?;
    let ctx = &session.ctx;
    for call in &case.calls {
        let source = session.pool[call.source % session.pool.len()];
        let url = ctx.endpoint(call.endpoint.name())?;
        let body = match call.endpoint {
            Endpoint::Token => match &client.scope {
                Some(scope) => format!("{CC}&{}", crate::ctx::form_pair("scope", scope)),
                None => CC.to_owned(),
            },
            // Admission shows before any token is looked at: 401 or not.
            _ => "token=prop-ip-not-a-token".to_owned(),
        };
        let mut request = ctx
            .http_from(source)
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let mut forged_text = String::new();
        if let Some((kind, i)) = call.forged {
            let (name, value) = kind.header(session.pool[i % session.pool.len()], source);
            forged_text = format!(" with {name}: {value}");
            request = request.header(name, value);
        }
        let reply = ctx.send_via(basic(request, &client), Some(source)).await?;
        // A refusal is 401 on the reference (AMB-10); a 403 refuses as well.
        let admitted = !matches!(reply.status, 401 | 403);
        let wanted = admits(&whitelist, source);
        if reply.status >= 500 || admitted != wanted {
            return Err(fail(
                format!(
                    "{} from {source}{forged_text}: {}",
                    call.endpoint.name(),
                    if wanted {
                        "not refused (no 401)"
                    } else {
                        "401 invalid_client"
                    }
                ),
                reply.summary(),
            ));
        }
    }
    Ok(())
}

async fn ip_property(ctx: Ctx, id: &str, forged: bool) -> CheckResult {
    let session = Session {
        pool: source_pool(&ctx)?,
        ctx: ctx.clone(),
    };
    let describer = session.clone();
    property::check(
        &ctx,
        id,
        CASES,
        case(forged),
        move |case| describer.describe(case),
        |case| admits_as_oracle(session.clone(), case),
    )
    .await
}

async fn prop_ip_01(ctx: Ctx) -> CheckResult {
    ip_property(ctx, "prop-ip-01", false).await
}

async fn prop_ip_02(ctx: Ctx) -> CheckResult {
    ip_property(ctx, "prop-ip-02", true).await
}
