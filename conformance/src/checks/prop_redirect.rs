//! Redirect matching, generated: registrations and request URIs built part by part (scheme,
//! user-info, host labels with and without `*`, IDN, IP literals, ports, path segments with
//! dot-segments and escapes, query, fragment, backslashes, control characters), each request a
//! registration with wildcards filled in and a list of mutations toward the attack shapes of
//! RFC 9700 §4.1 and VREDIR-07. Shrinking drops mutations, so a counterexample is the
//! registration plus the fewest changes that fool the server.
//!
//! The server's decision is where a logged-in user agent lands: a redirect out is an accepted
//! URI, the server's own page a refused one. [`crate::oracle::redirect`] says what it should be.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::support::CodeRequest;
use super::vredir::{stray_redirect, unjudged};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, Outcome, Profile, deviate, fail};
use crate::oracle::redirect::{Decision, decide, location_allowed, registration_valid};
use crate::property;
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "prop-redirect-01",
            [
                "AUTHZ-REDIR-06",
                "AUTHZ-REDIR-02",
                "AUTHZ-REDIR-04",
                "SEC-BCP-01",
                "SEC-BCP-02"
            ],
            [
                (
                    Must,
                    "RFC 9700 §2.1",
                    "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in localhost redirection URIs of native apps"
                ),
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                )
            ],
            StrictOnly,
            [Ua, Admin],
            "property: over generated registrations and request URIs, the strict profile accepts \
             exactly the registered strings (any port for loopback)",
            prop_redirect_01
        ),
        check!(
            "prop-redirect-02",
            [
                "VREDIR-01",
                "VREDIR-02",
                "VREDIR-05",
                "VREDIR-06",
                "VREDIR-07",
                "VREDIR-08",
                "VREDIR-10",
                "SEC-BCP-02"
            ],
            [
                (
                    Vendor,
                    "seed 000 › 3 Redirect URLs",
                    "This is used by PaymentIQ to control that the provided url is an official one. PaymentIQ only matches on URL, not query string"
                ),
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Decision,
                    "AMB-01",
                    "Third-party servers that use prefix semantics are reported as deviating from this decision, not as breaking the vendor rule."
                ),
                (
                    Decision,
                    "AMB-03",
                    "Lower-case the scheme and host; convert IDN hosts to punycode; drop default ports; decode percent-escapes of unreserved characters; upper-case the remaining hex escapes."
                )
            ],
            VendorOnly,
            [Ua, Admin],
            "property: over generated patterns and request URIs, the vendor profile accepts \
             exactly what AMB-01 to AMB-03 allow",
            prop_redirect_02
        ),
        check!(
            "prop-redirect-03",
            ["SEC-BCP-05", "VREDIR-07"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Decision,
                    "AMB-01",
                    "Third-party servers that use prefix semantics are reported as deviating from this decision, not as breaking the vendor rule."
                )
            ],
            Both,
            [Ua, Admin],
            "property: no generated request, however hostile, gets a Location outside the \
             client's registrations",
            prop_redirect_03
        ),
    ]
}

/// Generated clients (one each) per check; each tries up to four request URIs.
const DECISION_CASES: usize = 40;
const OPEN_REDIRECT_CASES: usize = 32;

/// A URI in parts; `render` joins them without any normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Uri {
    scheme: String,
    userinfo: Option<String>,
    host: String,
    port: Option<String>,
    segments: Vec<String>,
    query: Option<String>,
    fragment: Option<String>,
}

impl Uri {
    fn render(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(userinfo) = &self.userinfo {
            out.push_str(userinfo);
            out.push('@');
        }
        out.push_str(&self.host);
        if let Some(port) = &self.port {
            out.push(':');
            out.push_str(port);
        }
        out.push('/');
        out.push_str(&self.segments.join("/"));
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = &self.fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }
}

/// One change to a request URI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Mutation {
    SchemeUpper,
    SchemeSwap,
    Userinfo(String),
    HostUpper,
    HostTrailingDot,
    HostPrefix(String),
    HostSuffix(String),
    HostReplace(String),
    HostIdnToggle,
    Port(Option<String>),
    PathAppend(String),
    PathDropLast,
    PathUpper,
    PathEscape { upper_hex: bool },
    PathDotDot,
    Inject(char),
    Query(String),
    Fragment(String),
}

impl Mutation {
    fn apply(&self, uri: &mut Uri) {
        match self {
            Self::SchemeUpper => uri.scheme = uri.scheme.to_uppercase(),
            Self::SchemeSwap => {
                uri.scheme = if uri.scheme.eq_ignore_ascii_case("https") {
                    "http".into()
                } else {
                    "https".into()
                };
            }
            Self::Userinfo(info) => uri.userinfo = Some(info.clone()),
            Self::HostUpper => uri.host = uri.host.to_uppercase(),
            Self::HostTrailingDot => uri.host.push('.'),
            Self::HostPrefix(label) => uri.host = format!("{label}.{}", uri.host),
            Self::HostSuffix(suffix) => uri.host.push_str(suffix),
            Self::HostReplace(host) => uri.host.clone_from(host),
            Self::HostIdnToggle => {
                for (unicode, ascii) in IDN {
                    if uri.host.contains(unicode) {
                        uri.host = uri.host.replace(unicode, ascii);
                        return;
                    }
                    if uri.host.contains(ascii) {
                        uri.host = uri.host.replace(ascii, unicode);
                        return;
                    }
                }
            }
            Self::Port(port) => uri.port.clone_from(port),
            Self::PathAppend(segment) => uri.segments.push(segment.clone()),
            Self::PathDropLast => {
                uri.segments.pop();
            }
            Self::PathUpper => {
                if let Some(last) = uri.segments.last_mut() {
                    *last = last.to_uppercase();
                }
            }
            Self::PathEscape { upper_hex } => {
                if let Some(last) = uri.segments.last_mut()
                    && let Some(i) = last.find(|c: char| c.is_ascii_alphabetic())
                {
                    let byte = last.as_bytes()[i];
                    let escape = if *upper_hex {
                        format!("%{byte:02X}")
                    } else {
                        format!("%{byte:02x}")
                    };
                    last.replace_range(i..=i, &escape);
                }
            }
            Self::PathDotDot => {
                let last = uri.segments.pop().unwrap_or_default();
                uri.segments.extend(["x".to_owned(), "..".to_owned(), last]);
            }
            Self::Inject(c) => match uri.segments.last_mut() {
                Some(last) => last.push(*c),
                None => uri.segments.push(c.to_string()),
            },
            Self::Query(query) => uri.query = Some(query.clone()),
            Self::Fragment(fragment) => uri.fragment = Some(fragment.clone()),
        }
    }
}

/// IDN hosts and their punycode (AMB-03).
const IDN: [(&str, &str); 2] = [("bücher", "xn--bcher-kva"), ("münchen", "xn--mnchen-3ya")];

/// One request: a registration (by index), its wildcards filled, then mutated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Request {
    base: usize,
    fills: Vec<String>,
    mutations: Vec<Mutation>,
}

/// One generated client and the requests sent for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RedirectCase {
    registrations: Vec<Uri>,
    requests: Vec<Request>,
}

impl RedirectCase {
    fn registrations(&self) -> Vec<String> {
        self.registrations.iter().map(Uri::render).collect()
    }

    fn request_uri(&self, request: &Request) -> String {
        let Some(base) = self
            .registrations
            .get(request.base % self.registrations.len().max(1))
        else {
            return String::new();
        };
        let mut fills = request.fills.iter().cycle();
        let mut fill = |text: &str| -> String {
            let mut out = String::new();
            let mut parts = text.split('*').peekable();
            while let Some(part) = parts.next() {
                out.push_str(part);
                if parts.peek().is_some() {
                    out.push_str(fills.next().map_or("a", String::as_str));
                }
            }
            out
        };
        let mut uri = base.clone();
        uri.host = fill(&base.host);
        uri.segments = base.segments.iter().map(|s| fill(s)).collect();
        for mutation in &request.mutations {
            mutation.apply(&mut uri);
        }
        uri.render()
    }

    fn describe(&self) -> String {
        let uris: Vec<String> = self.requests.iter().map(|r| self.request_uri(r)).collect();
        format!(
            "a client registered with {:?}, redirect_uri {:?}",
            self.registrations(),
            uris
        )
    }
}

fn strings(values: &'static [&'static str]) -> impl Strategy<Value = String, Tree: Send> + Clone {
    select(values).prop_map(str::to_owned)
}

/// A registration the catalog says the admin API must accept in `profile`.
fn registration(profile: Profile) -> impl Strategy<Value = Uri, Tree: Send> {
    let (hosts, segments): (&'static [&'static str], &'static [&'static str]) = match profile {
        Profile::Vendor => (
            &[
                "m.example",
                "*.m.example",
                "shop.example.com",
                "*.pay.example",
                "bücher.example",
                "xn--mnchen-3ya.example",
            ],
            &["cb", "*", "return", "cb-*", "a%3Ab", "x.y", "*x*", "order"],
        ),
        Profile::Strict => (
            &["client.example", "m.example", "shop.example.com"],
            &["cb", "return", "a%3Ab", "x.y", "order", "cb2"],
        ),
    };
    let https = (
        strings(hosts),
        prop::option::weighted(0.25, strings(&["8443", "444"])),
    )
        .prop_map(|(host, port)| ("https".to_owned(), host, port));
    let loopback = strings(&["127.0.0.1", "[::1]", "localhost"])
        .prop_map(|host| ("http".to_owned(), host, None));
    (
        prop_oneof![4 => https, 1 => loopback],
        vec(strings(segments), 1..=3),
    )
        .prop_map(|((scheme, host, port), segments)| Uri {
            scheme,
            userinfo: None,
            host,
            port,
            segments,
            query: None,
            fragment: None,
        })
}

/// Wildcard fills: ordinary values first, so shrinking heads for them.
fn fill() -> impl Strategy<Value = String, Tree: Send> + Clone {
    strings(&[
        "shop", "a", "x-1", "order-42", "bücher", "UP", "-x", "x-", "a.b", "", "a_b", "a/b", "..",
        "%2F",
    ])
}

/// Every kind of change, toward the attacks of RFC 9700 §4.1 and VREDIR-07 and the
/// normalisations of AMB-03.
fn mutation() -> impl Strategy<Value = Mutation, Tree: Send> {
    let scheme_and_user = prop_oneof![
        Just(Mutation::SchemeUpper),
        Just(Mutation::SchemeSwap),
        strings(&["u", "u:p", "", "m.example", "x.m.example"]).prop_map(Mutation::Userinfo),
    ];
    let host = prop_oneof![
        Just(Mutation::HostUpper),
        Just(Mutation::HostTrailingDot),
        Just(Mutation::HostIdnToggle),
        strings(&["x", "a.b", "-x", "attacker.example"]).prop_map(Mutation::HostPrefix),
        strings(&[
            ".attacker.example",
            "%2F.attacker.example",
            "\\.attacker.example",
            "\u{3002}attacker.example",
            "@attacker.example",
        ])
        .prop_map(Mutation::HostSuffix),
        strings(&[
            "attacker.example",
            "2130706433",
            "127.1",
            "0x7f.0.0.1",
            "127.0.0.2",
            "[::ffff:7f00:1]",
            "localhost.attacker.example",
        ])
        .prop_map(Mutation::HostReplace),
        prop::option::of(strings(&[
            "443", "80", "8443", "444", "1", "65535", "99999"
        ]))
        .prop_map(Mutation::Port),
    ];
    let path = prop_oneof![
        strings(&["x", "", "..", ".", "%2e%2e", "a%2Fb", "a%5Cb", "cb"])
            .prop_map(Mutation::PathAppend),
        Just(Mutation::PathDropLast),
        Just(Mutation::PathUpper),
        any::<bool>().prop_map(|upper_hex| Mutation::PathEscape { upper_hex }),
        Just(Mutation::PathDotDot),
        select(&['\t', '\n', '\u{7f}', '\u{1}', '\\'][..]).prop_map(Mutation::Inject),
    ];
    let tail = prop_oneof![
        strings(&[
            "x=1",
            "order=42&lang=sv",
            "",
            "next=https%3A%2F%2Fattacker.example%2F",
            "a=%0d%0a",
        ])
        .prop_map(Mutation::Query),
        strings(&["", "x", "@attacker.example"]).prop_map(Mutation::Fragment),
    ];
    prop_oneof![1 => scheme_and_user, 3 => host, 3 => path, 1 => tail]
}

fn case(profile: Profile, attack: bool) -> impl Strategy<Value = RedirectCase, Tree: Send> {
    let mutations = if attack { 1..=3 } else { 0..=2 };
    let request = (0usize..3, vec(fill(), 0..=3), vec(mutation(), mutations)).prop_map(
        |(base, fills, mutations)| Request {
            base,
            fills,
            mutations,
        },
    );
    (vec(registration(profile), 1..=3), vec(request, 1..=4)).prop_map(
        |(registrations, requests)| RedirectCase {
            registrations,
            requests,
        },
    )
}

// ---------------------------------------------------------------------------------------------

/// What one check shares across its cases: a logged-in user agent and a client per
/// registration set.
#[derive(Debug, Clone)]
struct Session {
    ctx: Ctx,
    ua: UserAgent,
    clients: Arc<Mutex<HashMap<Vec<String>, String>>>,
    issuer_origin: String,
}

impl Session {
    fn new(ctx: &Ctx) -> Self {
        let issuer_origin = Url::parse(&ctx.run.target.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Self {
            ctx: ctx.clone(),
            ua: UserAgent::new(ctx),
            clients: Arc::new(Mutex::new(HashMap::new())),
            issuer_origin,
        }
    }

    /// A client registered with exactly `registrations`, made once per set.
    async fn client(&self, registrations: &[String]) -> Result<String, Outcome> {
        let known = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(registrations)
            .cloned();
        if let Some(id) = known {
            return Ok(id);
        }
        for registration in registrations {
            if let Err(why) = registration_valid(self.ctx.profile(), registration) {
                return Err(fail(
                    "generated registrations the catalog allows",
                    format!("{registration} ({why})"),
                ));
            }
        }
        let client = self
            .ctx
            .client_with(
                json!({"kind": "one_click", "name": "Property shop", "redirect_urls": registrations}),
            )
            .await?;
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(registrations.to_vec(), client.id.clone());
        Ok(client.id)
    }

    /// A URI the agent would take for the server itself: its landing says nothing.
    fn is_own_origin(&self, uri: &str) -> bool {
        Url::parse(uri).is_ok_and(|u| u.origin().ascii_serialization() == self.issuer_origin)
    }

    /// Sends the request once more with a fresh agent, so that the check's last exchange, and
    /// with it the counterexample's replay line, is the authorization request itself.
    async fn replay_last(&self, client_id: &str, uri: &str) {
        let fresh = UserAgent::new(&self.ctx);
        let _ = fresh
            .authorize_once(&CodeRequest::to(client_id, Some(uri)).query())
            .await;
    }
}

/// Was `uri` exactly one of the registrations, the thing any reading of the rules accepts: in
/// the strict profile the very string, in the vendor profile a registration without `*` with
/// at most a query added (seed 000 › 3)?
fn exactly_registered(profile: Profile, registrations: &[String], uri: &str) -> bool {
    let base = match profile {
        Profile::Strict => uri,
        Profile::Vendor => uri.split_once('?').map_or(uri, |(base, _)| base),
    };
    registrations
        .iter()
        .any(|r| r == base && !r.contains('*') && !uri.contains('#'))
}

/// How the server's answer to `uri` measures against the oracle: `Ok` where it agrees, a
/// failure where it breaks what RFC 6749 / RFC 9700 (or, in the vendor profile, seed 000)
/// say, a deviation where it departs only from the catalog's reading (AMB-01 to AMB-03, and
/// the 4xx page of AUTHZ-REDIR-02).
fn judge(session: &Session, registrations: &[String], uri: &str, landing: &Landing) -> CheckResult {
    let profile = session.ctx.profile();
    let shown_redirect =
        |location: &str| format!("a redirect to {}", session.ctx.run.redactor.url(location));
    unjudged(landing)?;
    match (decide(profile, registrations, uri), landing) {
        (Decision::Accept, Landing::Redirect(_)) => Ok(()),
        (Decision::Reject(_), Landing::Page { status, .. }) if (400..500).contains(status) => {
            Ok(())
        }
        (Decision::Accept, Landing::Page { status, .. }) => {
            let expected = format!("{uri:?} accepted: a redirect to it");
            let actual = format!("the server's own page ({status})");
            if exactly_registered(profile, registrations, uri) {
                Err(fail(expected, actual))
            } else {
                Err(deviate(expected, actual))
            }
        }
        (Decision::Reject(why), Landing::Page { status, .. }) => Err(deviate(
            format!("{uri:?} refused ({why}): a 4xx error page"),
            format!("the server's own page ({status})"),
        )),
        (Decision::Reject(why), Landing::Redirect(location)) => {
            let expected = format!("{uri:?} refused ({why}): the server's own error page");
            let code = landing.param("code").is_some();
            if !location_allowed(registrations, location) {
                return Err(stray_redirect(
                    profile,
                    registrations,
                    location,
                    &expected,
                    &shown_redirect(location),
                ));
            }
            // Into a registration: a code for a URI exact matching refuses, or for one with a
            // fragment, breaks RFC 9700 §2.1 / RFC 6749 §3.1.2; an error redirect, or a
            // vendor-profile variant the catalog's normalisation refuses, only deviates.
            let actual = shown_redirect(location);
            if code && (profile == Profile::Strict || uri.contains('#')) {
                Err(fail(expected, actual))
            } else {
                Err(deviate(expected, actual))
            }
        }
    }
}

/// The server decides as the oracle does, for every request of the case. Deviations are kept
/// aside, so that the search goes on looking for a failure.
async fn decides_as_oracle(
    session: Session,
    deviations: Deviations,
    case: RedirectCase,
) -> CheckResult {
    let registrations = case.registrations();
    let client = session.client(&registrations).await?;
    for request in &case.requests {
        let uri = case.request_uri(request);
        if session.is_own_origin(&uri) {
            continue;
        }
        let landing = session
            .ua
            .authorize(&CodeRequest::to(&client, Some(&uri)).query())
            .await?;
        let verdict = deviations.keep(judge(&session, &registrations, &uri, &landing));
        if let Err(Outcome::Fail { .. }) = verdict {
            session.replay_last(&client, &uri).await;
        }
        verdict?;
    }
    Ok(())
}

/// SEC-BCP-05: whatever was asked, a redirect goes only into the registrations; one that
/// stays on a registered origin and misses only the catalog's reading of `*` deviates.
async fn no_open_redirect(
    session: Session,
    deviations: Deviations,
    case: RedirectCase,
) -> CheckResult {
    let registrations = case.registrations();
    let client = session.client(&registrations).await?;
    for request in &case.requests {
        let uri = case.request_uri(request);
        if session.is_own_origin(&uri) {
            continue;
        }
        let landing = session
            .ua
            .authorize(&CodeRequest::to(&client, Some(&uri)).query())
            .await?;
        unjudged(&landing)?;
        if let Landing::Redirect(location) = landing
            && !location_allowed(&registrations, &location)
        {
            let stray = stray_redirect(
                session.ctx.profile(),
                &registrations,
                &location,
                &format!("for {uri:?}: the server's page or a redirect into {registrations:?}"),
                &format!("a redirect to {}", session.ctx.run.redactor.url(&location)),
            );
            let verdict = deviations.keep(Err(stray));
            if let Err(Outcome::Fail { .. }) = verdict {
                session.replay_last(&client, &uri).await;
            }
            verdict?;
        }
    }
    Ok(())
}

async fn decision_property(ctx: Ctx, id: &str) -> CheckResult {
    let session = Session::new(&ctx);
    let deviations = Deviations::default();
    property::check(
        &ctx,
        id,
        DECISION_CASES,
        case(ctx.profile(), false),
        RedirectCase::describe,
        |case| decides_as_oracle(session.clone(), deviations.clone(), case),
    )
    .await?;
    deviations.end()
}

async fn prop_redirect_01(ctx: Ctx) -> CheckResult {
    decision_property(ctx, "prop-redirect-01").await
}

async fn prop_redirect_02(ctx: Ctx) -> CheckResult {
    decision_property(ctx, "prop-redirect-02").await
}

async fn prop_redirect_03(ctx: Ctx) -> CheckResult {
    let session = Session::new(&ctx);
    let deviations = Deviations::default();
    property::check(
        &ctx,
        "prop-redirect-03",
        OPEN_REDIRECT_CASES,
        case(ctx.profile(), true),
        RedirectCase::describe,
        |case| no_open_redirect(session.clone(), deviations.clone(), case),
    )
    .await?;
    deviations.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_registrations_are_ones_the_catalog_allows() {
        for profile in [Profile::Vendor, Profile::Strict] {
            for case in property::generate(&case(profile, true), 1, "t", 200) {
                for registration in case.registrations() {
                    assert_eq!(
                        registration_valid(profile, &registration),
                        Ok(()),
                        "{registration}"
                    );
                }
            }
        }
    }

    #[test]
    fn requests_fill_wildcards_then_mutate() {
        let case = RedirectCase {
            registrations: vec![Uri {
                scheme: "https".into(),
                userinfo: None,
                host: "*.m.example".into(),
                port: None,
                segments: vec!["cb-*".into()],
                query: None,
                fragment: None,
            }],
            requests: vec![Request {
                base: 0,
                fills: vec!["shop".into(), "42".into()],
                mutations: vec![
                    Mutation::Userinfo("x.m.example".into()),
                    Mutation::HostReplace("attacker.example".into()),
                    Mutation::Query("a=1".into()),
                ],
            }],
        };
        assert_eq!(
            case.request_uri(&case.requests[0]),
            "https://x.m.example@attacker.example/cb-42?a=1"
        );
        // Both outcomes occur, so the property is not vacuous either way.
        let generated = property::generate(&super::case(Profile::Vendor, false), 3, "t", 100);
        let decisions: Vec<bool> = generated
            .iter()
            .flat_map(|c| {
                c.requests
                    .iter()
                    .map(|r| {
                        decide(Profile::Vendor, &c.registrations(), &c.request_uri(r)).accepted()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(decisions.iter().any(|d| *d) && decisions.iter().any(|d| !*d));
    }
}
