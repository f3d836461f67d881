//! SEC-BCP-05: the authorization endpoint is no open redirector (RFC 6749 §4.1.2.1; AMB-01).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use url::Url;

use super::loopback_host;
use crate::check;
use crate::checks::vredir::{client_query, stray_redirect, unjudged};
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, Outcome, fail, skip};
use crate::ua::{Landing, UserAgent};

/// Hostile redirect URIs tried per run, drawn from the generated set with the run's seed.
const HOSTILE_SAMPLE: usize = 120;

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "sec-bcp-05",
        ["SEC-BCP-05"],
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
        [Ua],
        "not an open redirector: over hostile redirect URIs, every redirect to a client goes to \
             a registered URI",
        bcp_05
    )]
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-05: not an open redirector

/// Does a `Location` point at the registration (any port for a loopback one)? The query may
/// vary; it carries the response.
fn admitted(location: &str, registered: &Url) -> bool {
    let Ok(url) = Url::parse(location) else {
        return false;
    };
    url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && url.scheme() == registered.scheme()
        && url.host_str() == registered.host_str()
        && (loopback_host(registered)
            || url.port_or_known_default() == registered.port_or_known_default())
        && url.path() == registered.path()
}

/// Hostile redirect URIs around the registration `host` (with `path`): fixed attack shapes
/// plus a seeded sample of hostile scheme × authority × path combinations.
fn hostile_uris(host: &str, path: &str, other: &str, seed: u64, sample: usize) -> Vec<String> {
    let fixed = [
        "https://attacker.example/cb".to_owned(),
        "//attacker.example/cb".to_owned(),
        "/\\attacker.example/cb".to_owned(),
        "https:attacker.example/cb".to_owned(),
        "https:/attacker.example/cb".to_owned(),
        format!("javascript:alert(1)//https://{host}{path}"),
        "data:text/html,<script>alert(1)</script>".to_owned(),
        format!("https://{host}{path}?x=%0d%0aLocation:%20https://attacker.example/"),
        format!("https://{host}{path}\r\nLocation: https://attacker.example/"),
        format!("https://{host}{path}#@attacker.example/"),
        format!("https://{host}{path}?#@attacker.example/"),
        format!("https://{host}@attacker.example{path}"),
        format!("https://{host}:443@attacker.example{path}"),
        format!("https://{host}.attacker.example{path}"),
        format!("https://{host}%00.attacker.example{path}"),
        format!("https://{host}%2F@attacker.example{path}"),
        format!("https://attacker.example#{host}{path}"),
        format!("https://attacker.example?{host}{path}"),
        format!("https://{host}\u{3002}attacker.example{path}"),
        "http://[::ffff:7f00:1]/cb".to_owned(),
        "http://0.0.0.0/cb".to_owned(),
        "https://ⓐttacker.example/cb".to_owned(),
        other.to_owned(),
    ];
    let upper = host.to_ascii_uppercase();
    let schemes = ["https://", "http://", "HTTPS://", "https:\\\\", "https:///"];
    let authorities = [
        host.to_owned(),
        upper,
        format!("{host}."),
        format!("{host}:8443"),
        format!("{host}:443"),
        "attacker.example".to_owned(),
        format!("{host}.attacker.example"),
        format!("attacker.example\\{host}"),
        format!("attacker.example%2f{host}"),
        format!("x.{host}"),
        "2130706433".to_owned(),
        format!("user@{host}"),
        format!("{host}@attacker.example"),
    ];
    let paths = [
        path.to_owned(),
        format!("{path}/"),
        format!("{path}/y"),
        format!("{path}/../{}", path.trim_start_matches('/')),
        format!("{path}/%2e%2e/x"),
        format!("{path}%2F..%2F..%2Fattacker"),
        "//attacker.example/cb".to_owned(),
        format!("{path}?next=https://attacker.example/"),
        format!("{path}#x"),
        String::new(),
    ];
    let mut combos = Vec::new();
    for scheme in schemes {
        for authority in &authorities {
            for p in &paths {
                combos.push(format!("{scheme}{authority}{p}"));
            }
        }
    }
    combos.shuffle(&mut StdRng::seed_from_u64(seed));
    combos.truncate(sample);
    fixed.into_iter().chain(combos).collect()
}

async fn bcp_05(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    // Another client's registration is never a way out either; without a second client, a
    // stand-in URL plays its part.
    let other = match ctx.code_client2().await {
        Ok(other) => other.redirect().to_owned(),
        Err(Outcome::Skip { .. }) => "https://other-client.example/cb".to_owned(),
        Err(other) => return Err(other),
    };
    let registered_text = client.redirect().to_owned();
    let registered = Url::parse(&registered_text)
        .map_err(|e| fail("a registered redirect URI that parses", e))?;
    let host = registered.host_str().unwrap_or_default().to_owned();
    let ua = UserAgent::new(&ctx);

    // The positive control: the registration itself reaches a code, so the property is not
    // vacuous. A server that gives none is no open redirector, and nothing can be compared.
    let control = ua
        .authorize(&client_query(&client, &registered_text))
        .await?;
    unjudged(&control)?;
    if control.param("code").is_none() {
        return Err(skip(format!(
            "the registered {registered_text} itself reaches no code (authz-req-01 judges \
             that), so hostile redirect URIs have nothing to be compared with"
        )));
    }
    let registrations = [registered_text.clone()];
    let deviations = Deviations::default();
    let sample = ctx.run.cases_or(HOSTILE_SAMPLE);
    for uri in hostile_uris(&host, registered.path(), &other, ctx.run.seed, sample) {
        if let Landing::Redirect(location) = ua.authorize(&client_query(&client, &uri)).await?
            && !admitted(&location, &registered)
        {
            let stray = stray_redirect(
                ctx.profile(),
                &registrations,
                &location,
                &format!("for {uri:?}: the server's own page or a redirect to {registered_text}"),
                &format!("a redirect to {}", ctx.run.redactor.url(&location)),
            );
            deviations.keep(Err(stray))?;
        }
    }
    deviations.end()
}
