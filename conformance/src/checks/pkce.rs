//! PKCE at both ends of the flow (RFC 7636 §4; RFC 9700 §2.1.1, §4.8.2).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::code_flow::{
    CHALLENGE, StateBack, VERIFIER, code, code_query, error_redirect, grant_error, join, logged_in,
    ok_body, outline, redeem, s256, strict,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, ensure};
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "pkce-01",
            ["PKCE-01"],
            Must,
            Both,
            [Ua],
            "S256 with the RFC 7636 Appendix B pair is redeemed",
            pkce_01
        ),
        check!(
            "pkce-02",
            ["PKCE-02"],
            Must,
            Both,
            [Ua],
            "an S256 verifier one character off gives invalid_grant",
            pkce_02
        ),
        check!(
            "pkce-03a",
            ["PKCE-03"],
            Should,
            VendorOnly,
            [Ua],
            "vendor profile: plain, and a challenge without a method, are redeemed with the verifier equal to the challenge",
            pkce_03a
        ),
        check!(
            "pkce-03b",
            ["PKCE-03"],
            Must,
            VendorOnly,
            [Ua],
            "vendor profile: a plain challenge is never taken for S256",
            pkce_03b
        ),
        check!(
            "pkce-03c",
            ["PKCE-03"],
            Should,
            StrictOnly,
            [Ua],
            "strict profile: plain or a missing method gives an invalid_request redirect",
            pkce_03c
        ),
        check!(
            "pkce-04",
            ["PKCE-04"],
            Must,
            Both,
            [Ua],
            "an unknown code_challenge_method gives an invalid_request redirect",
            pkce_04
        ),
        check!(
            "pkce-05",
            ["PKCE-05"],
            Must,
            Both,
            [Ua],
            "a code bound to a challenge, redeemed without a verifier, gives 400",
            pkce_05
        ),
        check!(
            "pkce-06",
            ["PKCE-06"],
            Must,
            Both,
            [Ua],
            "a verifier for a code issued without a challenge gives 400 (no PKCE downgrade)",
            pkce_06
        ),
        check!(
            "pkce-07a",
            ["PKCE-07"],
            Decision,
            Both,
            [Ua],
            "a code_challenge outside 43..128 characters of the unreserved set gives an invalid_request redirect",
            pkce_07a
        ),
        check!(
            "pkce-07b",
            ["PKCE-07"],
            Decision,
            Both,
            [Ua],
            "a malformed code_verifier gives invalid_grant",
            pkce_07b
        ),
        check!(
            "pkce-08",
            ["PKCE-08"],
            Decision,
            StrictOnly,
            [Ua],
            "strict profile: a request without code_challenge gives an invalid_request redirect",
            pkce_08
        ),
    ]
}

/// A code for `client` with these PKCE parameters, redeemed with `verifier` (or none).
async fn round_trip(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
    pkce: &str,
    verifier: Option<&str>,
) -> Result<Reply, Outcome> {
    let code = code(ua, &code_query(&client.id, Some(client.redirect()), pkce)).await?;
    let verifier = verifier.map(|v| form_pair("code_verifier", v));
    let params = join(&[
        &form_pair("redirect_uri", client.redirect()),
        verifier.as_deref().unwrap_or(""),
    ]);
    redeem(ctx, client, &code, &params).await
}

/// The authorization answer for `pkce` must be an invalid_request redirect with the state.
async fn refused_at_authorization(
    ua: &UserAgent,
    client: &ClientCreds,
    pkce: &str,
    case: &str,
) -> CheckResult {
    let query = code_query(
        &client.id,
        Some(client.redirect()),
        &join(&["state=st", pkce]),
    );
    let landing: Landing = ua.authorize(&query).await?;
    error_redirect(
        &landing,
        client.redirect(),
        &["invalid_request"],
        StateBack::Exactly(Some("st")),
        case,
    )
    .map(|_| ())
}

/// A code client and a user agent whose user has logged in.
async fn flow(ctx: &Ctx) -> Result<(ClientCreds, UserAgent), Outcome> {
    let client = ctx.code_client().await?;
    let ua = logged_in(ctx, &client).await?;
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

    let reply = round_trip(&ctx, &ua, &client, &s256(), Some(VERIFIER)).await?;

    ok_body(&reply, "redeeming with the Appendix B verifier")?;
    // The whole verifier alphabet at the longest length, not just Appendix B's characters.
    let verifier = full_alphabet_verifier();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pkce = format!("code_challenge={challenge}&code_challenge_method=S256");
    let reply = round_trip(&ctx, &ua, &client, &pkce, Some(&verifier)).await?;
    ok_body(&reply, "redeeming a 128-character verifier with `-._~`").map(|_| ())
}

async fn pkce_02(ctx: Ctx) -> CheckResult {
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

        let reply = round_trip(&ctx, &ua, &client, &s256(), Some(&off)).await?;

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
    let (client, ua) = flow(&ctx).await?;
    for method in ["&code_challenge_method=plain", ""] {
        let pkce = format!("code_challenge={PLAIN_VALUE}{method}");

        let reply = round_trip(&ctx, &ua, &client, &pkce, Some(PLAIN_VALUE)).await?;

        ok_body(&reply, &format!("{pkce} redeemed with the same value"))?;
    }
    Ok(())
}

async fn pkce_03b(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    for method in ["&code_challenge_method=plain", ""] {
        let pkce = format!("code_challenge={CHALLENGE}{method}");
        let query = code_query(&client.id, Some(client.redirect()), &pkce);
        let landing = ua.authorize(&query).await?;
        // Refusing plain at authorization is also fine; a code must not accept the S256
        // verifier of a challenge sent as plain.
        let Some(code) = landing.param("code") else {
            continue;
        };
        let params = join(&[
            &form_pair("redirect_uri", client.redirect()),
            &form_pair("code_verifier", VERIFIER),
        ]);
        let reply = redeem(&ctx, &client, &code, &params).await?;
        ensure(
            reply.status == 400,
            format!("{pkce:?} with the S256 verifier: 400, plain compares the verifier as is"),
            outline(&reply),
        )?;
    }
    Ok(())
}

async fn pkce_03c(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    for pkce in [
        format!("code_challenge={CHALLENGE}&code_challenge_method=plain"),
        format!("code_challenge={CHALLENGE}"),
    ] {
        refused_at_authorization(&ua, &client, &pkce, &pkce).await?;
    }
    Ok(())
}

async fn pkce_04(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    for method in ["S512", "SHA256"] {
        let pkce = format!("code_challenge={CHALLENGE}&code_challenge_method={method}");
        refused_at_authorization(&ua, &client, &pkce, &format!("method {method}")).await?;
    }
    Ok(())
}

async fn pkce_05(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;

    let reply = round_trip(&ctx, &ua, &client, &s256(), None).await?;

    // AMB-30: invalid_request is accepted beside invalid_grant.
    grant_error(
        &reply,
        &["invalid_grant", "invalid_request"],
        "no code_verifier",
    )
}

async fn pkce_06(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    let query = code_query(&client.id, Some(client.redirect()), "state=st");

    let landing = ua.authorize(&query).await?;

    // A server that requires PKCE (the strict profile) stops the downgrade here already.
    let Some(code) = landing.param("code") else {
        return error_redirect(
            &landing,
            client.redirect(),
            &["invalid_request"],
            StateBack::Exactly(Some("st")),
            "a request without a challenge",
        )
        .map(|_| ());
    };
    let params = join(&[
        &form_pair("redirect_uri", client.redirect()),
        &form_pair("code_verifier", VERIFIER),
    ]);
    let reply = redeem(&ctx, &client, &code, &params).await?;
    // AMB-30: the reference says invalid_grant; any 400 guards the downgrade.
    ensure(
        reply.status == 400,
        "a verifier for a code without a challenge: 400",
        outline(&reply),
    )
}

async fn pkce_07a(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    let cases = [
        ("42 characters", "a".repeat(42)),
        ("129 characters", "a".repeat(129)),
        ("a `+`", format!("{}+", &CHALLENGE[..42])),
        ("a space", format!("{} x", &CHALLENGE[..41])),
    ];
    for (case, challenge) in &cases {
        let pkce = join(&[
            &form_pair("code_challenge", challenge),
            "code_challenge_method=S256",
        ]);
        refused_at_authorization(&ua, &client, &pkce, &format!("a challenge with {case}")).await?;
    }
    // The boundaries themselves are fine (plain only in the vendor profile).
    if !strict(&ctx) {
        for length in [43, 128] {
            let value = "b".repeat(length);
            let pkce = format!("code_challenge={value}&code_challenge_method=plain");
            let reply = round_trip(&ctx, &ua, &client, &pkce, Some(&value)).await?;
            ok_body(&reply, &format!("a plain challenge of {length} characters"))?;
        }
    }
    Ok(())
}

async fn pkce_07b(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    let mut cases = vec![
        ("S256, a 42-character verifier", s256(), "c".repeat(42)),
        (
            "S256, a `!` in the verifier",
            s256(),
            format!("{VERIFIER}!"),
        ),
    ];
    if !strict(&ctx) {
        let challenge = "c".repeat(128);
        cases.push((
            "plain, a 129-character verifier",
            format!("code_challenge={challenge}&code_challenge_method=plain"),
            "c".repeat(129),
        ));
    }
    for (case, pkce, verifier) in &cases {
        let reply = round_trip(&ctx, &ua, &client, pkce, Some(verifier)).await?;
        grant_error(&reply, &["invalid_grant"], case)?;
    }
    Ok(())
}

async fn pkce_08(ctx: Ctx) -> CheckResult {
    let (client, ua) = flow(&ctx).await?;
    refused_at_authorization(&ua, &client, "", "no code_challenge").await
}
