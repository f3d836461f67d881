//! What a check is and what it can conclude.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::ctx::Ctx;

/// How binding the requirement is; a failed SHOULD or DECISION row is a warning, never a
/// failure (requirements.md, "How to read the tables").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Must,
    Should,
    #[serde(rename = "vendor")]
    Vendor,
    Decision,
}

impl Level {
    /// Does a broken rule fail the run? A SHOULD or a DECISION is a warning, never a failure;
    /// the reference server's own decisions are held by its tests, which want every check to pass.
    pub fn fails(self) -> bool {
        matches!(self, Self::Must | Self::Vendor)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::Vendor => "vendor",
            Self::Decision => "DECISION",
        }
    }
}

/// The server profile a target is checked in (AMB-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Vendor,
    Strict,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Strict => "strict",
        }
    }
}

/// Which profiles a row applies to: the catalog's B, V and S.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profiles {
    Both,
    VendorOnly,
    StrictOnly,
}

impl Profiles {
    pub fn includes(self, profile: Profile) -> bool {
        matches!(
            (self, profile),
            (Self::Both, _)
                | (Self::VendorOnly, Profile::Vendor)
                | (Self::StrictOnly, Profile::Strict)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::VendorOnly => "vendor",
            Self::StrictOnly => "strict",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail { expected: String, actual: String },
    Warn { expected: String, actual: String },
    Skip { reason: String },
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail { .. } => "fail",
            Self::Warn { .. } => "warn",
            Self::Skip { .. } => "skip",
        }
    }

    /// One line: why it did not pass.
    pub fn reason(&self) -> Option<String> {
        match self {
            Self::Pass => None,
            Self::Fail { expected, actual } | Self::Warn { expected, actual } => {
                Some(format!("expected {expected}; got {actual}"))
            }
            Self::Skip { reason } => Some(reason.clone()),
        }
    }
}

/// `Err` ends a check early: a failure, a deviation (warning) or a skip. `Ok` is a pass.
pub type CheckResult = Result<(), Outcome>;

/// A failure: what the rule wants and what the server did.
pub fn fail(expected: impl fmt::Display, actual: impl fmt::Display) -> Outcome {
    Outcome::Fail {
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// A deviation from the reference's decision, reported as a warning whatever the level.
pub fn deviate(expected: impl fmt::Display, actual: impl fmt::Display) -> Outcome {
    Outcome::Warn {
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

pub fn skip(reason: impl fmt::Display) -> Outcome {
    Outcome::Skip {
        reason: reason.to_string(),
    }
}

/// Fails unless `condition`.
pub fn ensure(
    condition: bool,
    expected: impl fmt::Display,
    actual: impl fmt::Display,
) -> CheckResult {
    if condition {
        Ok(())
    } else {
        Err(fail(expected, actual))
    }
}

pub type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;
pub type RunFn = fn(Ctx) -> CheckFuture;

/// What a check needs from the harness beyond plain HTTP (requirements.md, "Needs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Need {
    /// The target's test clock: such checks run one at a time, after the others.
    Clock,
    /// The admin API, to create the clients the check needs.
    Admin,
    /// The scripted user agent and a login.
    Ua,
    /// A second local source address.
    Ip2,
}

/// One check of the catalog.
#[derive(Clone)]
pub struct Check {
    /// Stable, lower-case, e.g. `token-auth-05a`.
    pub id: &'static str,
    /// The catalog rows it enforces.
    pub requirements: &'static [&'static str],
    pub level: Level,
    pub profiles: Profiles,
    pub needs: &'static [Need],
    /// The requirement in our own words.
    pub title: &'static str,
    pub run: RunFn,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// The group folder it lives in: the first requirement's prefix (`TOKEN-AUTH`).
    pub fn group(&self) -> String {
        let first = self.requirements.first().copied().unwrap_or(self.id);
        match first.rfind('-') {
            Some(i) if first[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => {
                first[..i].to_owned()
            }
            _ => first.to_owned(),
        }
    }
}

/// `check!(id, [rows], Level, Profiles, [needs], "title", function)`.
#[macro_export]
macro_rules! check {
    ($id:literal, [$($req:literal),+], $level:ident, $profiles:ident, [$($need:ident),*], $title:literal, $run:path) => {
        $crate::model::Check {
            id: $id,
            requirements: &[$($req),+],
            level: $crate::model::Level::$level,
            profiles: $crate::model::Profiles::$profiles,
            needs: &[$($crate::model::Need::$need),*],
            title: $title,
            run: |ctx| Box::pin($run(ctx)),
        }
    };
}

/// A catalog row no black-box check can observe, and where it is checked instead.
#[derive(Debug, Clone, Copy)]
pub struct CheckedElsewhere {
    pub requirement: &'static str,
    pub why: &'static str,
}
