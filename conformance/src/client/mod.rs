//! `conformance client`: the other way round. The embedded reference server, misbehaving as one
//! test wants, judges a client under test from every request it sends, its exit status and what
//! it prints (docs/client.md).
//!
//! - [`observe`]: what a run leaves behind for the judges; [`record`]: the layer that records it;
//! - [`behaviour`]: the server's deliberate misbehaviours, as layers around its router;
//! - [`harness`]: one test end to end (server, client registration, command, browser);
//! - [`cli`]: the subcommand; [`cc`] and [`code`]: the two plans, one module per test.

pub mod behaviour;
mod browser;
pub mod cc;
pub mod cli;
pub mod code;
pub mod harness;
pub mod observe;
mod record;
mod serve;

use std::fmt;

use crate::model::{CheckResult, Citation, Level};
pub use behaviour::Behaviour;
pub use observe::Observation;

/// The two plans: the kinds of client an integrator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Plan {
    /// A backend calling an API with its own token (RFC 6749 §4.4).
    ClientCredentials,
    /// A web client acting for a user (RFC 6749 §4.1), the harness playing the browser.
    AuthorizationCode,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client-credentials",
            Self::AuthorizationCode => "authorization-code",
        }
    }
}

/// The client secret a test registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// Random URL-safe characters: form-encoding leaves it as it is.
    Plain,
    /// With `+ / : % =` and a space, which Basic credentials must form-encode (RFC 6749 §2.3.1).
    NeedsEncoding,
}

/// What the harness, as the browser, delivers to the client's redirect URI (code plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The authorization response as the server sent it.
    AsIssued,
    /// Another `state` value.
    WrongState,
    /// No `state` at all.
    MissingState,
    /// The user clicked Deny: `error=access_denied`.
    Denied,
    /// An `iss` that is not the issuer (RFC 9207), the server advertising support.
    WrongIssuer,
    /// A code from another session (the attacker's), with this session's `state`.
    InjectedCode,
    /// The same response twice, one after the other.
    Twice,
}

/// How the server and the harness behave in one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub behaviour: Behaviour,
    pub secret: SecretKind,
    pub delivery: Delivery,
    /// `RESOURCE_CALLS`.
    pub calls: u32,
}

impl Setup {
    /// A well-behaved server, a plain secret, a faithful browser, three calls.
    pub const STANDARD: Self = Self {
        behaviour: Behaviour::Standard,
        secret: SecretKind::Plain,
        delivery: Delivery::AsIssued,
        calls: 3,
    };
}

/// One client test: its citation (the first sets its level), the setup, and the judge.
#[derive(Clone, Copy)]
pub struct ClientTest {
    /// Stable, lower-case, prefixed by its plan: `cc-basic-encoding`.
    pub id: &'static str,
    pub plan: Plan,
    pub citations: &'static [Citation],
    pub title: &'static str,
    pub setup: Setup,
    pub judge: fn(&Observation) -> CheckResult,
}

impl fmt::Debug for ClientTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTest")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ClientTest {
    /// Only a MUST-class first citation fails; the rest warn ("Verdicts on other servers").
    pub fn level(&self) -> Level {
        self.citations
            .first()
            .map_or(Level::Decision, |c| c.keyword.level())
    }
}

/// Every test of both plans, in plan order.
pub fn tests() -> Vec<ClientTest> {
    cc::TESTS.iter().chain(code::TESTS).copied().collect()
}

/// The tests of `plan` that `--only` selects (globs on the id, case-insensitive).
pub fn select(plan: Plan, only: &[String]) -> Result<Vec<ClientTest>, String> {
    let patterns = only
        .iter()
        .flat_map(|g| g.split(','))
        .filter(|g| !g.trim().is_empty())
        .map(|g| {
            glob::Pattern::new(&g.trim().to_ascii_lowercase())
                .map_err(|e| format!("--only {g}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tests()
        .into_iter()
        .filter(|t| t.plan == plan)
        .filter(|t| patterns.is_empty() || patterns.iter().any(|p| p.matches(t.id)))
        .collect())
}
