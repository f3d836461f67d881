//! Defects of redirect URIs: registrations a lax server accepts, and matches a lax (or too
//! strict) server makes. Each is a [`Policy`] that deviates from the server's on one point and
//! otherwise defers to it.

use reference_server::config::{Config, Profile};
use reference_server::policy::{Policy, StandardPolicy};
use reference_server::redirect::{is_loopback_host, validate_registration};
use reference_server::redirect_policy::{UNNAMED, UNREGISTERED, resolve};
use reference_server::wiring::Wiring;

use crate::Defect::{self, *};

const MINE: &[Defect] = &[
    RedirectExtraSegment,
    OmittedRedirectUsesFirst,
    OmittedRedirectRefused,
    RedirectFragmentStripped,
    StrictRedirectCaseless,
    RedirectQueryWithUrlRefused,
    OnlyFirstRedirectMatched,
    RegisteredQueryAccepted,
    PortWildcardRegistered,
    DefaultPortKept,
    PartialLabelWildcardRegistered,
    WildcardCrossesDot,
    TrailingDotHostAccepted,
    PathWildcardCrossesSlash,
    HostCaseSensitive,
    PathCaseless,
    StrictWildcardRegistered,
    StrictRedirectQueryIgnored,
    LoopbackPortFixed,
    LoopbackAnyPath,
    HttpRedirectRegistered,
    RedirectParentPath,
    WildcardSpansLabels,
    StrictCaseInsensitive,
];

/// The wiring for `defect` if it is a redirect defect, else `None`.
pub(crate) fn wire(defect: Defect, _config: &mut Config) -> Option<Wiring> {
    MINE.contains(&defect)
        .then(|| Wiring::default().with_policy(RedirectDeviation(defect)))
}

#[derive(Debug)]
struct RedirectDeviation(Defect);

impl Policy for RedirectDeviation {
    fn redirect_registration(&self, raw: &str, profile: Profile) -> Result<String, &'static str> {
        validate_registration(raw, profile).or_else(|refusal| {
            if self.overlooks(raw, profile) {
                Ok(raw.to_owned())
            } else {
                Err(refusal)
            }
        })
    }

    fn redirect_target(
        &self,
        profile: Profile,
        requested: Option<&str>,
        registrations: &[String],
    ) -> Result<String, &'static str> {
        match (self.0, requested) {
            (OmittedRedirectRefused, None) => Err(UNNAMED),
            (OmittedRedirectUsesFirst, None) => registrations.first().cloned().ok_or(UNREGISTERED),
            (_, Some(uri)) => match self.target(profile, uri, registrations) {
                Some(answer) => answer,
                None => resolve(profile, uri, registrations)
                    .or_else(|| self.widened(profile, uri, registrations))
                    .ok_or(UNREGISTERED),
            },
            (_, None) => StandardPolicy.redirect_target(profile, None, registrations),
        }
    }
}

impl RedirectDeviation {
    /// A registration refused only for what this defect overlooks.
    fn overlooks(&self, raw: &str, profile: Profile) -> bool {
        let valid = |uri: &str| validate_registration(uri, profile).is_ok();
        match self.0 {
            RegisteredQueryAccepted => {
                raw.contains(['?', '#']) && valid(&raw[..raw.find(['?', '#']).unwrap_or(raw.len())])
            }
            PortWildcardRegistered => {
                raw.contains(":*/") && valid(&raw.replacen(":*/", ":8443/", 1))
            }
            PartialLabelWildcardRegistered => {
                raw.split_once("://").is_some_and(|(scheme, rest)| {
                    rest.split_once('.').is_some_and(|(label, tail)| {
                        label.contains('*')
                            && label != "*"
                            && valid(&format!("{scheme}://*.{tail}"))
                    })
                })
            }
            StrictWildcardRegistered => {
                profile == Profile::Strict && validate_registration(raw, Profile::Vendor).is_ok()
            }
            HttpRedirectRegistered => {
                raw.to_ascii_lowercase().starts_with("http://")
                    && valid(&format!("https://{}", &raw["http://".len()..]))
            }
            _ => false,
        }
    }

    /// `Some` is this defect's own answer for a requested URI; `None` leaves it to the
    /// profile's policy (and then to [`Self::widened`]).
    fn target(
        &self,
        profile: Profile,
        uri: &str,
        registered: &[String],
    ) -> Option<Result<String, &'static str>> {
        let resolve = |uri: &str, regs: &[String]| resolve(profile, uri, regs);
        let (scheme, rest) = uri.split_once("://").unwrap_or(("", uri));
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let refused = Some(Err(UNREGISTERED));
        match self.0 {
            RedirectFragmentStripped => {
                if let Some((head, _)) = uri.split_once('#') {
                    return Some(resolve(head, registered).ok_or(UNREGISTERED));
                }
            }
            OnlyFirstRedirectMatched => {
                return Some(
                    resolve(uri, registered.get(..1).unwrap_or_default()).ok_or(UNREGISTERED),
                );
            }
            RedirectQueryWithUrlRefused
                if uri
                    .split_once('?')
                    .is_some_and(|(_, q)| q.to_ascii_lowercase().contains("%3a%2f%2f")) =>
            {
                return refused;
            }
            DefaultPortKept
                if scheme.eq_ignore_ascii_case("https") && authority.ends_with(":443") =>
            {
                return refused;
            }
            HostCaseSensitive if host.bytes().any(|b| b.is_ascii_uppercase()) => return refused,
            LoopbackPortFixed
                if is_loopback_host(host)
                    && authority.contains(":")
                    && !registered.iter().any(|r| r == uri) =>
            {
                return refused;
            }
            _ => {}
        }
        // The lenient defects only widen what the policy refuses.
        if resolve(uri, registered).is_some() {
            return None;
        }
        let accepted = Some(Ok(uri.to_owned()));
        if self.0 == TrailingDotHostAccepted && host.ends_with('.') {
            let trimmed = uri.replacen(
                authority,
                authority
                    .replacen(host, host.trim_end_matches('.'), 1)
                    .as_str(),
                1,
            );
            return Some(resolve(&trimmed, registered).ok_or(UNREGISTERED));
        }
        registered
            .iter()
            .any(|reg| self.lenient_match(profile, uri, reg))
            .then_some(accepted)
            .flatten()
    }

    /// Whether this defect matches `uri` to `reg` where the policy does not.
    fn lenient_match(&self, profile: Profile, uri: &str, reg: &str) -> bool {
        match self.0 {
            RedirectExtraSegment => uri
                .strip_prefix(reg)
                .and_then(|tail| tail.strip_prefix('/'))
                .is_some_and(|segment| {
                    !segment.is_empty()
                        && segment
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                }),
            WildcardCrossesDot => reg
                .split_once("://*.")
                .is_some_and(|(reg_scheme, reg_rest)| {
                    uri.strip_prefix(reg_scheme)
                        .and_then(|u| u.strip_prefix("://"))
                        .and_then(|u| u.strip_suffix(reg_rest))
                        .and_then(|head| head.strip_suffix('.'))
                        .is_some_and(|head| {
                            head.split('.').all(|label| {
                                !label.is_empty()
                                    && label
                                        .bytes()
                                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            })
                        })
                }),
            PathWildcardCrossesSlash => {
                let path_at = reg
                    .split_once("://")
                    .map_or(0, |(s, r)| s.len() + 3 + r.find('/').unwrap_or(r.len()));
                reg[path_at..].find('*').is_some_and(|at| {
                    let star = path_at + at;
                    let (prefix, suffix) = (&reg[..star], &reg[star + 1..]);
                    let middle = uri
                        .strip_prefix(prefix)
                        .and_then(|tail| tail.strip_suffix(suffix));
                    !suffix.contains('*')
                        && middle.is_some_and(|m| {
                            m.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
                                && !m.contains("//")
                        })
                })
            }
            PathCaseless => reg.eq_ignore_ascii_case(uri),
            StrictRedirectCaseless => profile == Profile::Strict && reg.eq_ignore_ascii_case(uri),
            StrictRedirectQueryIgnored => uri.split('?').next() == Some(reg),
            LoopbackAnyPath => match (url::Url::parse(uri), url::Url::parse(reg)) {
                (Ok(req), Ok(reg)) => {
                    let written =
                        format!("{}://{}", reg.scheme(), reg.host_str().unwrap_or_default());
                    uri.starts_with(&written)
                        && req.scheme() == reg.scheme()
                        && req.host_str() == reg.host_str()
                        && reg.host_str().is_some_and(is_loopback_host)
                        && req.username().is_empty()
                        && req.fragment().is_none()
                        && !uri.contains('#')
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// The matches the property checks found lax servers making, once the policy refused.
    fn widened(&self, profile: Profile, uri: &str, registrations: &[String]) -> Option<String> {
        let retry =
            |candidate: String| resolve(profile, &candidate, registrations).map(|_| uri.to_owned());
        let (base, query) = uri.split_once('?').map_or((uri, ""), |(b, q)| (b, q));
        match self.0 {
            RedirectParentPath => {
                let parent = base.rsplit_once('/').map(|(p, _)| p)?;
                retry(if query.is_empty() {
                    parent.to_owned()
                } else {
                    format!("{parent}?{query}")
                })
            }
            WildcardSpansLabels => {
                let (scheme, rest) = base.split_once("://")?;
                let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                let labels: Vec<&str> = host.split('.').collect();
                if labels.len() < 4 {
                    return None;
                }
                retry(format!(
                    "{scheme}://{}.{}/{path}",
                    labels[0],
                    labels[2..].join(".")
                ))
            }
            StrictCaseInsensitive if profile == Profile::Strict => registrations
                .iter()
                .any(|r| r.eq_ignore_ascii_case(uri))
                .then(|| uri.to_owned()),
            _ => None,
        }
    }
}
