//! PKCE at both ends of the flow (RFC 7636 §4; RFC 9700 §2.1.1, §4.8.2).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::authz_err::{Ended, Expect, error_response, required_error_response, signed_in};
use super::authz_redir::stopped_at_login;
use super::support::{
    CHALLENGE, CodeRequest, Pkce, StateBack, VERIFIER, code_for, grant_error, granted, join,
    redact_url, redeem, strict,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, fail, skip};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "pkce-01",
            ["PKCE-01"],
            [(
                Must,
                "RFC 7636 §4.6",
                "If the values are equal, the token endpoint MUST continue processing as normal (as defined by OAuth 2.0 [RFC6749])."
            )],
            Both,
            [Ua],
            "S256 with the RFC 7636 Appendix B pair is redeemed",
            pkce_01
        ),
        check!(
            "pkce-02",
            ["PKCE-02"],
            [(
                Must,
                "RFC 7636 §4.6",
                "If the values are not equal, an error response indicating \"invalid_grant\" … MUST be returned."
            )],
            Both,
            [Ua],
            "an S256 verifier one character off gives invalid_grant",
            pkce_02
        ),
        check!(
            "pkce-03a",
            ["PKCE-03"],
            [(
                Decision,
                "PKCE-03",
                "Vendor profile: `plain`, and a challenge sent without a method (which defaults to `plain`), succeed only when the verifier equals the challenge"
            )],
            VendorOnly,
            [Ua],
            "vendor profile: plain, and a challenge without a method, are redeemed with the verifier equal to the challenge",
            pkce_03a
        ),
        check!(
            "pkce-03b",
            ["PKCE-03"],
            [(
                Must,
                "RFC 7636 §4.6",
                "If the values are not equal, an error response indicating \"invalid_grant\" … MUST be returned."
            )],
            VendorOnly,
            [Ua],
            "vendor profile: a plain challenge (or one without a method) is never taken for S256",
            pkce_03b
        ),
        check!(
            "pkce-03c",
            ["PKCE-03"],
            [
                (
                    Must,
                    "RFC 7636 §4.4.1",
                    "If the server supporting PKCE does not support the requested transformation, the authorization endpoint MUST return the authorization error response with \"error\" value set to \"invalid_request\"."
                ),
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "Values for the \"error_description\" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
                ),
                (
                    Should,
                    "RFC 9700 §2.1.1",
                    "When using PKCE, clients SHOULD use PKCE code challenge methods that do not expose the PKCE verifier in the authorization request."
                ),
                (
                    Decision,
                    "PKCE-03",
                    "Strict profile: `plain` or a missing method → error redirect invalid_request."
                )
            ],
            StrictOnly,
            [Ua],
            "strict profile: plain or a missing method is refused, with invalid_request",
            pkce_03c
        ),
        check!(
            "pkce-04",
            ["PKCE-04"],
            [(
                Must,
                "RFC 7636 §4.4.1",
                "If the server supporting PKCE does not support the requested transformation, the authorization endpoint MUST return the authorization error response with \"error\" value set to \"invalid_request\"."
            )],
            Both,
            [Ua],
            "an unknown code_challenge_method gets no code but an invalid_request error",
            pkce_04
        ),
        check!(
            "pkce-05",
            ["PKCE-05"],
            [
                (
                    Must,
                    "RFC 9700 §2.1.1",
                    "If a client sends a valid PKCE code_challenge parameter in the authorization request, the authorization server MUST enforce the correct usage of code_verifier at the token endpoint."
                ),
                (
                    Decision,
                    "AMB-30",
                    "the reference uses `invalid_request` for missing or malformed parameters and `invalid_grant` for code-binding failures. The suite accepts the listed alternatives."
                )
            ],
            Both,
            [Ua],
            "a code bound to a challenge, redeemed without a verifier, gives 400 invalid_grant or invalid_request",
            pkce_05
        ),
        check!(
            "pkce-06",
            ["PKCE-06"],
            [(
                Must,
                "RFC 9700 §2.1.1",
                "Authorization servers MUST mitigate PKCE downgrade attacks by ensuring that a token request containing a code_verifier parameter is accepted only if a code_challenge parameter was present in the authorization request"
            )],
            Both,
            [Ua],
            "a verifier for a code issued without a challenge gets no token (no PKCE downgrade)",
            pkce_06
        ),
        check!(
            "pkce-07a",
            ["PKCE-07"],
            [(
                Decision,
                "PKCE-07",
                "A challenge shorter than 43 characters, longer than 128, or with characters outside `A-Z a-z 0-9 - . _ ~` → error redirect invalid_request."
            )],
            Both,
            [Ua],
            "a code_challenge outside 43..128 characters of the unreserved set gives an invalid_request redirect",
            pkce_07a
        ),
        check!(
            "pkce-07b",
            ["PKCE-07"],
            [
                (
                    Must,
                    "RFC 9700 §2.1.1",
                    "If a client sends a valid PKCE code_challenge parameter in the authorization request, the authorization server MUST enforce the correct usage of code_verifier at the token endpoint."
                ),
                (
                    Decision,
                    "PKCE-07",
                    "A malformed verifier at the token endpoint → 400 invalid_grant."
                )
            ],
            Both,
            [Ua],
            "a malformed code_verifier gets no token: invalid_grant on the reference",
            pkce_07b
        ),
        check!(
            "pkce-08",
            ["PKCE-08"],
            [(
                Decision,
                "AMB-34",
                "PKCE is optional in the vendor profile and required in the strict profile."
            )],
            StrictOnly,
            [Ua],
            "strict profile: a request without code_challenge gives an invalid_request redirect",
            pkce_08
        ),
    ]
}

/// Does the target offer PKCE? RFC 9700 §2.1.1 has a server make that detectable: in its
/// metadata, or (the strict profile) by the deployment. Without it, the checks that need the
/// server to enforce a challenge have no premise.
fn offers_pkce(ctx: &Ctx) -> CheckResult {
    let listed = ctx
        .endpoints()
        .metadata
        .get("code_challenge_methods_supported")
        .and_then(|v| v.as_array())
        .is_some_and(|methods| !methods.is_empty());
    if listed || strict(ctx) {
        return Ok(());
    }
    Err(skip(
        "the target advertises no code_challenge_methods_supported and is not run in the strict \
         profile: nothing says it enforces PKCE",
    ))
}

/// Does the metadata list this `code_challenge_method`?
fn lists_method(ctx: &Ctx, method: &str) -> bool {
    ctx.endpoints()
        .metadata
        .get("code_challenge_methods_supported")
        .and_then(|v| v.as_array())
        .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some(method)))
}

/// `pkce` with the client's scope and a state, for the client's own redirect URI.
fn pkce_query(client: &ClientCreds, pkce: Pkce<'_>) -> String {
    CodeRequest::of(client)
        .scope(client.scope.as_deref())
        .state("st")
        .pkce(pkce)
        .query()
}

/// The token request's half: the client's redirect URI and `verifier` (or none).
fn verifier_params(client: &ClientCreds, verifier: Option<&str>) -> String {
    let verifier = verifier.map(|v| form_pair("code_verifier", v));
    join(&[
        &form_pair("redirect_uri", client.redirect()),
        verifier.as_deref().unwrap_or(""),
    ])
}

/// A code for `client` with these PKCE parameters, redeemed with `verifier` (or none).
async fn round_trip(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    pkce: Pkce<'_>,
    verifier: Option<&str>,
) -> Result<Reply, Outcome> {
    let code = code_for(ua, &pkce_query(client, pkce)).await?;
    redeem(ctx, client, &code, &verifier_params(client, verifier)).await
}

/// Like [`round_trip`] for a `plain` challenge, which a server need not support: `None` where
/// the authorization request was refused.
async fn plain_round_trip(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    pkce: Pkce<'_>,
    verifier: &str,
) -> Result<Option<Reply>, Outcome> {
    let landing = ua.authorize(&pkce_query(client, pkce)).await?;
    let Some(code) = landing.param("code") else {
        if let Some(premise) = stopped_at_login(&landing) {
            return Err(premise);
        }
        return Ok(None);
    };
    let reply = redeem(ctx, client, &code, &verifier_params(client, Some(verifier))).await?;
    Ok(Some(reply))
}

/// Why RFC 7636 §4.4.1 requires the authorization error response itself (not a page) when
/// a server refuses a transformation it does not support.
const UNSUPPORTED_METHOD: &str =
    "RFC 7636 §4.4.1, for a transformation the server does not support";

/// The authorization answer for `pkce` must be refused with invalid_request and the state;
/// a code is handed back for the caller to weigh. With `required_by`, a page instead of the
/// error redirect fails (see [`required_error_response`]); without, it deviates.
async fn refused_at_authorization(
    ua: &UserAgent,
    client: &ClientCreds,
    pkce: Pkce<'_>,
    case: &str,
    required_by: Option<&str>,
    deviations: &Deviations,
) -> Result<Option<String>, Outcome> {
    let landing = ua.authorize(&pkce_query(client, pkce)).await?;
    let expect = Expect {
        target: client.redirect(),
        accepted: &["invalid_request"],
        state: StateBack::Exactly(Some("st")),
        fragment_ok: false,
    };
    let ended = match required_by {
        Some(why) => required_error_response(&landing, expect, case, why, deviations)?,
        None => error_response(&landing, expect, case, deviations)?,
    };
    match ended {
        Ended::Granted(location) => Ok(Some(location)),
        Ended::Page | Ended::Refused => Ok(None),
    }
}

/// A code client and a user agent whose user has logged in.
async fn flow(ctx: &Ctx) -> Result<(ClientCreds, UserAgent), Outcome> {
    let client = ctx.code_client().await?;
    let ua = signed_in(ctx, &client).await?;
    Ok((client, ua))
}

/// A 128-character verifier using every character RFC 7636 §4.1 allows, `.` and `~` too.
fn full_alphabet_verifier() -> String {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    alphabet.chars().cycle().take(128).collect()
}

async fn pkce_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);

    let reply = round_trip(&ctx, &ua, &client, Pkce::S256, Some(VERIFIER)).await?;

    granted(&reply, "redeeming with the Appendix B verifier")?;
    // The whole verifier alphabet at the longest length, not just Appendix B's characters.
    let verifier = full_alphabet_verifier();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pkce = Pkce::Challenge(&challenge, Some("S256"));
    let reply = round_trip(&ctx, &ua, &client, pkce, Some(&verifier)).await?;
    granted(&reply, "redeeming a 128-character verifier with `-._~`").map(|_| ())
}

async fn pkce_02(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    for position in [0, 21, VERIFIER.len() - 1] {
        let off: String = VERIFIER
            .char_indices()
            .map(|(i, c)| match (i == position, c) {
                (true, 'A') => 'B',
                (true, _) => 'A',
                (false, c) => c,
            })
            .collect();

        let reply = round_trip(&ctx, &ua, &client, Pkce::S256, Some(&off)).await?;

        grant_error(
            &reply,
            &["invalid_grant"],
            &format!("a verifier off at character {position}"),
        )?;
    }
    Ok(())
}

const PLAIN_VALUE: &str = "plain-verifier-0123456789-0123456789-0123456789";

async fn pkce_03a(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    for method in [Some("plain"), None] {
        let pkce = Pkce::Challenge(PLAIN_VALUE, method);

        let reply = plain_round_trip(&ctx, &ua, &client, pkce, PLAIN_VALUE).await?;

        let Some(reply) = reply else {
            return Err(fail(format!("a code for {pkce}"), "a refusal"));
        };
        granted(&reply, &format!("{pkce} redeemed with the same value"))?;
    }
    Ok(())
}

async fn pkce_03b(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    for method in [Some("plain"), None] {
        let pkce = Pkce::Challenge(CHALLENGE, method);
        // Refusing plain at authorization is also fine; a code must not accept the S256
        // verifier of a challenge sent as plain.
        let reply = plain_round_trip(&ctx, &ua, &client, pkce, VERIFIER).await?;
        if let Some(reply) = reply
            && reply.status == 200
        {
            return Err(fail(
                format!("`{pkce}` with the S256 verifier: 400, plain compares the verifier as is"),
                reply.summary(),
            ));
        }
    }
    Ok(())
}

async fn pkce_03c(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    // §4.4.1 binds a server that does not support plain; one that lists it and still refuses
    // (a challenge without a method, say) does so for reasons of its own.
    let required_by = (!lists_method(&ctx, "plain")).then_some(UNSUPPORTED_METHOD);
    let deviations = Deviations::default();
    for pkce in [
        Pkce::Challenge(CHALLENGE, Some("plain")),
        Pkce::Challenge(CHALLENGE, None),
    ] {
        let case = pkce.to_string();
        // A server that supports plain may issue the code; the strict profile expects it not to.
        if let Some(location) =
            refused_at_authorization(&ua, &client, pkce, &case, required_by, &deviations).await?
        {
            deviations.note(
                format!("{case}: refused with invalid_request (plain exposes the verifier)"),
                format!("a code: {}", redact_url(&location)),
            );
        }
    }
    deviations.end()
}

async fn pkce_04(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    let deviations = Deviations::default();
    for method in ["S512", "SHA256"] {
        let pkce = Pkce::Challenge(CHALLENGE, Some(method));
        let case = format!("method {method}");
        if let Some(location) = refused_at_authorization(
            &ua,
            &client,
            pkce,
            &case,
            Some(UNSUPPORTED_METHOD),
            &deviations,
        )
        .await?
        {
            return Err(fail(
                format!("{case}: an invalid_request error, no code"),
                format!("a code: {}", redact_url(&location)),
            ));
        }
    }
    deviations.end()
}

async fn pkce_05(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;

    let reply = round_trip(&ctx, &ua, &client, Pkce::S256, None).await?;

    // AMB-30: invalid_request is accepted beside invalid_grant.
    grant_error(
        &reply,
        &["invalid_grant", "invalid_request"],
        "no code_verifier",
    )
}

async fn pkce_06(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;

    let landing = ua.authorize(&pkce_query(&client, Pkce::Off)).await?;

    // A server that requires PKCE (the strict profile) stops the downgrade here already.
    let Some(code) = landing.param("code") else {
        return stopped_at_login(&landing).map_or(Ok(()), Err);
    };
    let params = verifier_params(&client, Some(VERIFIER));
    let reply = redeem(&ctx, &client, &code, &params).await?;
    if reply.status == 200 {
        return Err(fail(
            "a verifier for a code without a challenge: no token",
            reply.summary(),
        ));
    }
    // AMB-30: the reference says invalid_grant; any refusal guards the downgrade.
    if reply.status != 400 {
        return Err(deviate(
            "a verifier for a code without a challenge: 400",
            reply.summary(),
        ));
    }
    Ok(())
}

async fn pkce_07a(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    let deviations = Deviations::default();
    let cases = [
        ("42 characters", "a".repeat(42)),
        ("129 characters", "a".repeat(129)),
        ("a `+`", format!("{}+", &CHALLENGE[..42])),
        ("a space", format!("{} x", &CHALLENGE[..41])),
    ];
    for (case, challenge) in &cases {
        let pkce = Pkce::Challenge(challenge, Some("S256"));
        let case = format!("a challenge with {case}");
        if let Some(location) =
            refused_at_authorization(&ua, &client, pkce, &case, None, &deviations).await?
        {
            deviations.note(
                format!("{case}: refused with invalid_request"),
                format!("a code: {}", redact_url(&location)),
            );
        }
    }
    // The boundaries themselves are fine (plain only in the vendor profile).
    if !strict(&ctx) {
        for length in [43, 128] {
            let value = "b".repeat(length);
            let pkce = Pkce::Challenge(&value, Some("plain"));
            let case = format!("a plain challenge of {length} characters");
            match plain_round_trip(&ctx, &ua, &client, pkce, &value).await? {
                Some(reply) => {
                    granted(&reply, &case)?;
                }
                None => deviations.note(format!("{case}: a code"), "a refusal"),
            }
        }
    }
    deviations.end()
}

async fn pkce_07b(ctx: Ctx) -> CheckResult {
    offers_pkce(&ctx)?;
    let (client, ua) = flow(&ctx).await?;
    let deviations = Deviations::default();
    let challenge = "c".repeat(128);
    let mut cases = vec![
        ("S256, a 42-character verifier", Pkce::S256, "c".repeat(42)),
        (
            "S256, a `!` in the verifier",
            Pkce::S256,
            format!("{VERIFIER}!"),
        ),
    ];
    if !strict(&ctx) {
        cases.push((
            "plain, a 129-character verifier",
            Pkce::Challenge(&challenge, Some("plain")),
            "c".repeat(129),
        ));
    }
    for (case, pkce, verifier) in &cases {
        // Each verifier also differs from its challenge: a token for it breaks §2.1.1.
        let Some(reply) = plain_round_trip(&ctx, &ua, &client, *pkce, verifier).await? else {
            continue;
        };
        if reply.status == 200 {
            return Err(fail(format!("{case}: no token"), reply.summary()));
        }
        if let Err(Outcome::Fail { expected, actual }) =
            grant_error(&reply, &["invalid_grant"], case)
        {
            deviations.note(expected, actual);
        }
    }
    deviations.end()
}

async fn pkce_08(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    let deviations = Deviations::default();
    if let Some(location) = refused_at_authorization(
        &ua,
        &client,
        Pkce::Off,
        "no code_challenge",
        None,
        &deviations,
    )
    .await?
    {
        return Err(fail(
            "no code_challenge: refused with invalid_request",
            format!("a code: {}", redact_url(&location)),
        ));
    }
    deviations.end()
}
