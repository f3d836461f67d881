//! What a check is and what it can conclude.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

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

/// The word that makes a cited sentence binding. Only the MUST class can fail a server; a
/// vendor rule fails in the vendor profile; the rest warn ("Verdicts on other servers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Keyword {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "REQUIRED")]
    Required,
    #[serde(rename = "SHALL")]
    Shall,
    #[serde(rename = "SHALL NOT")]
    ShallNot,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "RECOMMENDED")]
    Recommended,
    #[serde(rename = "NOT RECOMMENDED")]
    NotRecommended,
    #[serde(rename = "vendor")]
    Vendor,
    #[serde(rename = "DECISION")]
    Decision,
}

impl Keyword {
    pub const fn level(self) -> Level {
        match self {
            Self::Must | Self::MustNot | Self::Required | Self::Shall | Self::ShallNot => {
                Level::Must
            }
            Self::Should | Self::ShouldNot | Self::Recommended | Self::NotRecommended => {
                Level::Should
            }
            Self::Vendor => Level::Vendor,
            Self::Decision => Level::Decision,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::MustNot => "MUST NOT",
            Self::Required => "REQUIRED",
            Self::Shall => "SHALL",
            Self::ShallNot => "SHALL NOT",
            Self::Should => "SHOULD",
            Self::ShouldNot => "SHOULD NOT",
            Self::Recommended => "RECOMMENDED",
            Self::NotRecommended => "NOT RECOMMENDED",
            Self::Vendor => "vendor",
            Self::Decision => "DECISION",
        }
    }
}

/// A normative sentence a check enforces: where it stands, its keyword, and a short quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// `RFC 6749 §5.2`, `RFC 6749 App. B`, `seed 002 › Authenticate using a client ID`, `AMB-28`.
    pub source: &'static str,
    pub keyword: Keyword,
    pub quote: &'static str,
}

impl Citation {
    /// The section on the RFC Editor's site, for an RFC source.
    pub fn url(&self) -> Option<String> {
        let rest = self.source.strip_prefix("RFC ")?;
        let (number, place) = rest.split_once(' ').unwrap_or((rest, ""));
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let base = format!("https://www.rfc-editor.org/rfc/rfc{number}");
        let place = place.split([',', ';']).next().unwrap_or("").trim();
        let anchor = if let Some(section) = place.strip_prefix('§') {
            let section = section.trim_end_matches('.');
            (!section.is_empty()).then(|| format!("#section-{section}"))
        } else {
            place
                .strip_prefix("App. ")
                .map(|appendix| format!("#appendix-{}", appendix.trim()))
        };
        Some(base + &anchor.unwrap_or_default())
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

/// The first deviation (a warning) a check meets, kept while it goes on judging what can fail
/// and reported at its end, so that a DECISION detail never hides a broken MUST. Clones share
/// it (a property's cases).
#[derive(Debug, Clone, Default)]
pub struct Deviations(Arc<Mutex<Option<Outcome>>>);

impl Deviations {
    pub fn note(&self, expected: impl fmt::Display, actual: impl fmt::Display) {
        self.first()
            .get_or_insert_with(|| deviate(expected, actual));
    }

    /// Keeps a warning for later; a pass, a failure or a skip passes through.
    pub fn keep(&self, result: CheckResult) -> CheckResult {
        match result {
            Err(warning @ Outcome::Warn { .. }) => {
                self.first().get_or_insert(warning);
                Ok(())
            }
            other => other,
        }
    }

    /// The first deviation kept, or a pass.
    pub fn end(&self) -> CheckResult {
        self.first().take().map_or(Ok(()), Err)
    }

    fn first(&self) -> std::sync::MutexGuard<'_, Option<Outcome>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
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
    /// The sentences it enforces: the first sets its level; of the rest, a MUST-class one is a
    /// further sentence it can fail on, a SHOULD or a DECISION a part it only warns on.
    pub citations: &'static [Citation],
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

/// `check!(id, [rows], [(Keyword, "source", "quote"), …], Profiles, [needs], "title", function)`.
/// The first citation is the sentence the check fails on; its keyword sets the level. Further
/// citations are other sentences it judges: MUST-class ones it may fail on too, SHOULD and
/// DECISION ones (a "MUST / DECISION" row's second half) it can only warn on.
#[macro_export]
macro_rules! check {
    ($id:literal, [$($req:literal),+], [$(($keyword:ident, $source:literal, $quote:literal)),+], $profiles:ident, [$($need:ident),*], $title:literal, $run:path) => {{
        const CITATIONS: &[$crate::model::Citation] = &[$($crate::model::Citation {
            keyword: $crate::model::Keyword::$keyword,
            source: $source,
            quote: $quote,
        }),+];
        $crate::model::Check {
            id: $id,
            requirements: &[$($req),+],
            level: CITATIONS[0].keyword.level(),
            citations: CITATIONS,
            profiles: $crate::model::Profiles::$profiles,
            needs: &[$($crate::model::Need::$need),*],
            title: $title,
            run: |ctx| Box::pin($run(ctx)),
        }
    }};
    ($id:literal, [$($req:literal),+], $level:ident, $profiles:ident, [$($need:ident),*], $title:literal, $run:path) => {
        $crate::model::Check {
            id: $id,
            requirements: &[$($req),+],
            level: $crate::model::Level::$level,
            citations: &[],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(source: &'static str) -> Citation {
        Citation {
            source,
            keyword: Keyword::Must,
            quote: "a sentence",
        }
    }

    #[test]
    fn an_rfc_source_links_to_its_section_on_the_rfc_editors_site() {
        let url = |source| cited(source).url();
        assert_eq!(
            url("RFC 6749 §4.1.2.1").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1")
        );
        assert_eq!(
            url("RFC 6749 App. B").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc6749#appendix-B")
        );
        assert_eq!(
            url("RFC 9700 §2.1.1, §4.5").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1")
        );
        assert_eq!(
            url("RFC 8414").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc8414")
        );
        assert_eq!(url("seed 002 › API Access"), None);
        assert_eq!(url("AMB-28"), None);
    }

    #[test]
    fn deviations_keep_the_first_warning_and_let_the_rest_through() {
        let deviations = Deviations::default();
        let shared = deviations.clone();

        assert_eq!(deviations.keep(Ok(())), Ok(()));
        shared.note("first", "one");
        assert_eq!(deviations.keep(Err(deviate("second", "two"))), Ok(()));
        assert_eq!(
            deviations.keep(Err(fail("a MUST", "broken"))),
            Err(fail("a MUST", "broken"))
        );
        assert_eq!(deviations.keep(Err(skip("why"))), Err(skip("why")));
        assert_eq!(deviations.end(), Err(deviate("first", "one")));
        assert_eq!(shared.end(), Ok(()), "ending takes the deviation");
    }

    #[test]
    fn only_the_must_class_fails() {
        for (keyword, fails) in [
            (Keyword::Must, true),
            (Keyword::MustNot, true),
            (Keyword::Required, true),
            (Keyword::Shall, true),
            (Keyword::ShallNot, true),
            (Keyword::Vendor, true),
            (Keyword::Should, false),
            (Keyword::ShouldNot, false),
            (Keyword::Recommended, false),
            (Keyword::NotRecommended, false),
            (Keyword::Decision, false),
        ] {
            assert_eq!(keyword.level().fails(), fails, "{}", keyword.as_str());
        }
    }
}
