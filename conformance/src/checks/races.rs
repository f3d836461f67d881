//! Races: invariants that must hold in every trial when requests meet a revocation, a secret
//! rotation or a client deletion (REVOKE-01, INTROSPECT-04, ADMIN-03 to ADMIN-05; AMB-18,
//! AMB-19). Each trial keeps several streams of requests going while the change is made, times
//! every request against the change's answer, and keeps sending for a while after it. A request
//! sent before the change answered may see either state; one sent after it must see the change.
//! `--cases N` sets the number of trials.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{grant_error, with_secret};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair, member, url_path_segment};
use crate::http::{RecordedRequest, Reply, curl_line};
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail, skip};

/// Request streams beside the change, and how many requests each sends after its answer.
/// Refused requests count toward the target's brute-force guard (TOKEN-AUTH-08: 10 failures
/// block the client id), so the token-request races stay well below that.
const WIDE: Streams = Streams { count: 4, after: 3 };
const NARROW: Streams = Streams { count: 3, after: 1 };
/// A stream gives up after this many requests, whatever happens.
const MAX_PER_STREAM: usize = 400;

const REVOKE_TRIALS: usize = 8;
const ROTATE_TRIALS: usize = 6;
const DELETE_TRIALS: usize = 6;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "revoke-01-race",
            ["REVOKE-01", "INTROSPECT-04"],
            [
                (
                    Must,
                    "RFC 7662 §2.2",
                    "If the introspection call is properly authorized but the token is not active … the authorization server MUST return an introspection response with the \"active\" field set to \"false\"."
                ),
                (
                    Should,
                    "RFC 7009 §2",
                    "…and SHOULD support the revocation of access tokens (see Implementation Note)."
                )
            ],
            Both,
            [],
            "introspection racing a revocation: once the revocation has answered, and once any \
             introspection has said inactive, no introspection says active (every trial)",
            revoke_race
        ),
        check!(
            "admin-03-race",
            ["ADMIN-03", "ADMIN-04"],
            [
                (
                    Vendor,
                    "seed 001 › Client secret",
                    "the client secret can be regenerated with `New Secret`, which will replace the old secret upon action."
                ),
                (
                    Decision,
                    "AMB-18",
                    "Issued tokens stay valid, and refresh tokens then require the new secret. An optional `revoke_tokens=true` also kills all tokens and codes."
                )
            ],
            VendorOnly,
            [Admin],
            "token requests racing New Secret: once it has answered the old secret gets no token, \
             and the tokens it got live or die as revoke_tokens says (every trial)",
            rotate_race
        ),
        check!(
            "admin-05-race",
            ["ADMIN-05"],
            [
                (
                    Vendor,
                    "seed 002 › Delete a client ID",
                    "Click Yes to permanently revoke access for this client ID."
                ),
                (
                    Decision,
                    "AMB-19",
                    "yes, immediately: access tokens, refresh tokens and pending codes."
                )
            ],
            VendorOnly,
            [Admin],
            "token requests racing the client's deletion: once it has answered no token is \
             issued, and every token the client ever got is dead (every trial)",
            delete_race
        ),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Streams {
    count: usize,
    after: usize,
}

/// One request of a stream, timed.
struct Timed {
    sent: Instant,
    answered: Instant,
    reply: Reply,
}

/// What a trial saw: every stream request, and when the change was sent and answered.
struct Trial {
    requests: Vec<Timed>,
    change_sent: Instant,
    change_answered: Instant,
    change: Reply,
}

impl Trial {
    fn after_change(&self) -> impl Iterator<Item = &Timed> {
        self.requests
            .iter()
            .filter(|r| r.sent > self.change_answered)
    }

    /// How long after the change's answer a request was sent, for messages.
    fn delay(&self, request: &Timed) -> String {
        let ms = request
            .sent
            .saturating_duration_since(self.change_answered)
            .as_secs_f64()
            * 1000.0;
        format!("{ms:.1} ms")
    }
}

/// Runs `request` in `streams.count` streams; once each has an answer, makes the change; stops
/// when every stream has sent `streams.after` requests after the change answered.
async fn trial<R, RF, C, CF>(streams: Streams, request: R, change: C) -> Result<Trial, Outcome>
where
    R: Fn() -> RF,
    RF: std::future::Future<Output = Result<Reply, Outcome>>,
    C: FnOnce() -> CF,
    CF: std::future::Future<Output = Result<Reply, Outcome>>,
{
    let answered_once = AtomicUsize::new(0);
    let changed: Mutex<Option<Instant>> = Mutex::new(None);
    let changed_at = || *changed.lock().unwrap_or_else(PoisonError::into_inner);
    let stream = || async {
        let mut seen = Vec::new();
        let mut after = 0;
        while after < streams.after && seen.len() < MAX_PER_STREAM {
            // A refusal says the change is under way: wait for its answer rather than pile up
            // refusals the brute-force guard would count.
            let refused_before = seen.last().is_some_and(|r: &Timed| r.reply.status != 200);
            while refused_before && changed_at().is_none() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let sent = Instant::now();
            let reply = request().await?;
            let answered = Instant::now();
            if seen.is_empty() {
                answered_once.fetch_add(1, Ordering::SeqCst);
            }
            if changed_at().is_some_and(|at| sent > at) {
                after += 1;
            }
            seen.push(Timed {
                sent,
                answered,
                reply,
            });
        }
        Ok::<_, Outcome>(seen)
    };
    let make_change = async {
        // Every stream is under way before the change goes out.
        let deadline = Instant::now() + Duration::from_secs(10);
        while answered_once.load(Ordering::SeqCst) < streams.count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let sent = Instant::now();
        let reply = change().await;
        let answered = Instant::now();
        *changed.lock().unwrap_or_else(PoisonError::into_inner) = Some(answered);
        reply.map(|reply| (sent, answered, reply))
    };
    let (seen, made) =
        futures_util::future::join(join_all((0..streams.count).map(|_| stream())), make_change)
            .await;
    let (change_sent, change_answered, change) = made?;
    let mut requests = Vec::new();
    for stream in seen {
        requests.extend(stream?);
    }
    Ok(Trial {
        requests,
        change_sent,
        change_answered,
        change,
    })
}

/// The first rule a run broke, and how many times it was broken: a rule the check fails on,
/// or a decision (or SHOULD) it can only warn on.
#[derive(Default)]
struct Violations {
    count: usize,
    first: Option<(String, String)>,
    deviations: usize,
    first_deviation: Option<(String, String)>,
}

impl Violations {
    fn add(&mut self, what: String, replay: String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((what, replay));
        }
    }

    fn deviate(&mut self, what: String, replay: String) {
        self.deviations += 1;
        if self.first_deviation.is_none() {
            self.first_deviation = Some((what, replay));
        }
    }

    /// Records the trial count and the first violation; fails if there was one, else warns
    /// on the first deviation.
    fn verdict(self, ctx: &Ctx, trials: usize, invariant: &str, decision: &str) -> CheckResult {
        ctx.cases_run(trials as u64);
        let (rule, count, (what, replay), fails) = match (self.first, self.first_deviation) {
            (Some(first), _) => (invariant, self.count, first, true),
            (None, Some(first)) => (decision, self.deviations, first, false),
            (None, None) => return Ok(()),
        };
        ctx.counterexample(what.clone(), replay);
        let expected = format!("{rule} in each of {trials} trials");
        let actual = format!("{count} violations; the first: {what}");
        Err(if fails {
            fail(expected, actual)
        } else {
            deviate(expected, actual)
        })
    }
}

/// A `curl` line for a form POST as `client`, redacted like the transcript.
pub(super) fn replay(ctx: &Ctx, url: &str, client: &ClientCreds, body: &str) -> String {
    let form = "application/x-www-form-urlencoded";
    let redactor = &ctx.run.redactor;
    let recorded = RecordedRequest {
        method: "POST".to_owned(),
        url: redactor.url(url),
        headers: vec![
            ("content-type".to_owned(), form.to_owned()),
            ("authorization".to_owned(), "Basic [redacted]".to_owned()),
        ],
        body: redactor.body(Some(form), body),
        source: None,
    };
    curl_line(&recorded, Some(&client.id))
}

fn active(reply: &Reply) -> bool {
    reply
        .json()
        .ok()
        .is_some_and(|v| v.get("active") == Some(&Value::Bool(true)))
}

fn token_of(reply: &Reply) -> Option<String> {
    (reply.status == 200)
        .then(|| reply.json().ok())
        .flatten()
        .and_then(|v| {
            v.get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
}

/// 401 invalid_client, or 429 once the refusals trip the brute-force guard (TOKEN-AUTH-08).
fn refused(reply: &Reply) -> bool {
    let code = reply.error_code();
    (reply.status == 401 && code.as_deref() == Some("invalid_client"))
        || (reply.status == 429 && code.is_some())
}

// ---------------------------------------------------------------------------------------------
// REVOKE-01, INTROSPECT-04: revocation racing introspection

async fn revoke_race(ctx: Ctx) -> CheckResult {
    let trials = ctx.run.cases_or(REVOKE_TRIALS);
    let client = ctx.cc_client().await?;
    let introspection = ctx.endpoint("introspection")?;
    ctx.endpoint("revocation")?;
    let mut violations = Violations::default();
    for n in 1..=trials {
        let token = ctx.access_token(&client).await?;
        // Introspection tells only where it shows this client its own live token.
        if n == 1 && !active(&ctx.token_call("introspection", &client, &token).await?) {
            return Err(skip(
                "introspection does not show the client its own live access token",
            ));
        }
        let seen = trial(
            WIDE,
            || ctx.token_call("introspection", &client, &token),
            || ctx.token_call("revocation", &client, &token),
        )
        .await?;
        // RFC 7009 §2.2.1: a server that cannot revoke access tokens says so.
        if seen.change.error_code().as_deref() == Some("unsupported_token_type") {
            return Err(skip(
                "the server does not revoke access tokens (unsupported_token_type); RFC 7009 \
                 §2 makes that a SHOULD",
            ));
        }
        ensure(
            seen.change.status == 200,
            "200 to the revocation",
            seen.change.summary(),
        )?;
        // Whether the revocation took effect at all: a token still active now was never
        // revoked, which only the SHOULD of RFC 7009 §2 asks for.
        let revoked = !active(&ctx.token_call("introspection", &client, &token).await?);
        let replay = || replay(&ctx, &introspection, &client, &form_pair("token", &token));
        for request in seen.after_change() {
            // A refusal (a rate limit, say) tells nothing about the token.
            if request.reply.status == 429 {
                continue;
            }
            if request.reply.status == 200 && !active(&request.reply) {
                continue;
            }
            let what = format!(
                "trial {n} of {trials}: introspection sent {} after the revocation answered 200 \
                 got {} {}",
                seen.delay(request),
                request.reply.status,
                crate::http::short(&request.reply.body)
            );
            if request.reply.status != 200 || revoked {
                violations.add(what, replay());
            } else {
                violations.deviate(format!("{what}, and the token is still active"), replay());
            }
        }
        // Revoked is for good: nothing says active once anything has said inactive.
        let first_inactive = seen
            .requests
            .iter()
            .filter(|r| r.reply.status == 200 && !active(&r.reply))
            .map(|r| r.answered)
            .min();
        if let Some(dead_at) = first_inactive {
            for request in seen.requests.iter().filter(|r| r.sent > dead_at) {
                if active(&request.reply) {
                    violations.add(
                        format!(
                            "trial {n} of {trials}: introspection said active after an earlier \
                             one had said inactive"
                        ),
                        replay(),
                    );
                }
            }
        }
    }
    violations.verdict(
        &ctx,
        trials,
        "no active:true once the revocation has answered or once inactive was seen",
        "a revoked access token inactive once the revocation has answered",
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-03, ADMIN-04: New Secret racing token requests (AMB-18)

fn client_path(client: &ClientCreds) -> String {
    format!("/admin/clients/{}", url_path_segment(&client.id))
}

async fn rotate_race(ctx: Ctx) -> CheckResult {
    let trials = ctx.run.cases_or(ROTATE_TRIALS);
    let token_url = ctx.endpoint("token")?;
    let introspection = ctx.endpoint("introspection")?;
    let mut violations = Violations::default();
    for n in 1..=trials {
        // Both readings of AMB-18, turn about.
        let revoke_tokens = n % 2 == 0;
        let old = ctx.cc_client().await?;
        let before = ctx.access_token(&old).await?;
        let path = format!("{}/secret", client_path(&old));
        let rotation = ctx
            .admin(Method::POST, &path)?
            .json(&json!({ "revoke_tokens": revoke_tokens }));
        let seen = trial(
            NARROW,
            || ctx.client_credentials(&old),
            || ctx.send(rotation),
        )
        .await?;
        ensure(
            seen.change.status == 200,
            "200 to New Secret",
            seen.change.summary(),
        )?;
        let new = with_secret(&old, &member(&seen.change.json()?, "client_secret")?);
        let case = format!("trial {n} of {trials} (revoke_tokens={revoke_tokens})");
        let old_replay = || replay(&ctx, &token_url, &old, "grant_type=client_credentials");
        for request in seen.after_change() {
            if !refused(&request.reply) || token_of(&request.reply).is_some() {
                violations.add(
                    format!(
                        "{case}: the old secret sent {} after New Secret answered got {}",
                        seen.delay(request),
                        request.reply.summary()
                    ),
                    old_replay(),
                );
            }
        }
        let works = ctx.client_credentials(&new).await?;
        if works.status != 200 {
            violations.add(
                format!("{case}: the new secret refused: {}", works.summary()),
                replay(&ctx, &token_url, &new, "grant_type=client_credentials"),
            );
        }
        // With revoke_tokens, every token the old secret got, even one whose request met the
        // rotation half-way, must be dead (AMB-18): a request authenticated just before the new
        // secret committed must not store its token just after. Without it, the tokens got
        // before the rotation answered must live.
        let settled_before = |r: &&Timed| {
            revoke_tokens || r.answered < seen.change_sent || r.sent < seen.change_answered
        };
        let got = std::iter::once(before).chain(
            seen.requests
                .iter()
                .filter(settled_before)
                .filter_map(|r| token_of(&r.reply)),
        );
        for token in got {
            let view = ctx.introspect(&new, &token).await?;
            let alive = view.get("active") == Some(&Value::Bool(true));
            if alive == revoke_tokens {
                violations.deviate(
                    format!(
                        "{case}: a token got with the old secret is {} after New Secret answered",
                        if alive { "active" } else { "inactive" }
                    ),
                    replay(&ctx, &introspection, &new, &form_pair("token", &token)),
                );
                break;
            }
        }
    }
    violations.verdict(
        &ctx,
        trials,
        "the old secret refused once New Secret has answered, and the new one working",
        "earlier tokens alive without revoke_tokens and dead with it (AMB-18)",
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-05: deletion racing token requests (AMB-19)

async fn delete_race(ctx: Ctx) -> CheckResult {
    let trials = ctx.run.cases_or(DELETE_TRIALS);
    let token_url = ctx.endpoint("token")?;
    let introspection = ctx.endpoint("introspection")?;
    // Admin API tokens are meant for backoffice_api (AMB-25), so this server may inspect them
    // after their client is gone (AMB-33).
    let rs = ctx
        .client_with(json!({"kind": "resource_server", "resource_ids": ["backoffice_api"]}))
        .await?;
    let mut violations = Violations::default();
    for n in 1..=trials {
        let doomed = ctx.cc_client().await?;
        let before = ctx.access_token(&doomed).await?;
        let deletion = ctx.admin(Method::DELETE, &client_path(&doomed))?;
        let seen = trial(
            NARROW,
            || ctx.client_credentials(&doomed),
            || ctx.send(deletion),
        )
        .await?;
        ensure(
            seen.change.status == 204,
            "204 to the deletion",
            seen.change.summary(),
        )?;
        let case = format!("trial {n} of {trials}");
        for request in seen.after_change() {
            if !refused(&request.reply) || token_of(&request.reply).is_some() {
                violations.add(
                    format!(
                        "{case}: a token request sent {} after the deletion answered got {}",
                        seen.delay(request),
                        request.reply.summary()
                    ),
                    replay(&ctx, &token_url, &doomed, "grant_type=client_credentials"),
                );
            }
        }
        let got =
            std::iter::once(before).chain(seen.requests.iter().filter_map(|r| token_of(&r.reply)));
        for token in got {
            if active(&ctx.token_call("introspection", &rs, &token).await?) {
                violations.add(
                    format!("{case}: a token of the deleted client is still active"),
                    replay(&ctx, &introspection, &rs, &form_pair("token", &token)),
                );
                break;
            }
        }
    }
    violations.verdict(
        &ctx,
        trials,
        "401 invalid_client and no token once the deletion has answered, and every token of the \
         client dead",
        "",
    )
}

// ---------------------------------------------------------------------------------------------
// TOKEN-CODE-02, TOKEN-RT-05: one grant, many concurrent uses (token_code.rs, token_rt.rs)

/// Concurrent redemptions of one code or one refresh token.
pub(super) const RACERS: usize = 16;

/// Sends `RACERS` copies of one token request at once; the 200 bodies, after checking that
/// every other answer is 400 invalid_grant.
async fn race(ctx: &Ctx, client: &ClientCreds, body: &str) -> Result<Vec<Value>, Outcome> {
    let answers = join_all((0..RACERS).map(|_| ctx.token(client, body))).await;
    let mut winners = Vec::new();
    for answer in answers {
        let reply = answer?;
        if reply.status == 200 {
            winners.push(reply.json()?);
        } else {
            grant_error(&reply, &["invalid_grant"], "a losing request")?;
        }
    }
    Ok(winners)
}

/// One trial of [`race`] (`what`: "16 concurrent redemptions"): exactly one 200, every loser
/// invalid_grant. A violation is recorded as the counterexample, with the trial count so far.
pub(super) async fn one_winner(
    ctx: &Ctx,
    client: &ClientCreds,
    body: &str,
    trial: usize,
    trials: usize,
    what: &str,
) -> CheckResult {
    let broken = match race(ctx, client, body).await {
        Ok(winners) if winners.len() == 1 => return Ok(()),
        Ok(winners) => fail(
            format!("exactly one of {what} answered 200, in every trial"),
            format!("{} did in trial {trial} of {trials}", winners.len()),
        ),
        Err(Outcome::Fail { expected, actual }) => fail(
            format!("{expected}, in every trial"),
            format!("{actual} in trial {trial} of {trials}"),
        ),
        Err(other) => return Err(other),
    };
    ctx.cases_run(trial as u64);
    if let Outcome::Fail { actual, .. } = &broken {
        let url = ctx.endpoint("token")?;
        ctx.counterexample(format!("{what}: {actual}"), replay(ctx, &url, client, body));
    }
    Err(broken)
}
