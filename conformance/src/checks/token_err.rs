//! TOKEN-ERR: the shape of token-endpoint errors (RFC 6749 §5.2) and robustness against
//! malformed input.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::support::{
    CC, TOKEN_ERRORS, basic_value, cc_body, has_token, is_error_text, no_token, or_list,
    post_token, redeem, scope_param, with_scope, with_secret,
};
use crate::check;
use crate::ctx::{Ctx, basic, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, ensure, fail};

/// Generated values per request position in the TOKEN-ERR-01 property check.
const PROPERTY_CASES: usize = 24;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-err-01",
            ["TOKEN-ERR-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code from the following … Values for the \"error_description\" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
                ),
                (
                    Decision,
                    "TOKEN-ERR-01",
                    "Every error response has status 400 (401 only for invalid_client) and `application/json`."
                )
            ],
            Both,
            [],
            "token errors carry a registered `error` and printable-ASCII text, whatever characters the request carried; 400 (401 for invalid_client) JSON as on the reference",
            err_01
        ),
        check!(
            "token-err-02",
            ["TOKEN-ERR-02"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "The authorization server responds with an HTTP 400 (Bad Request) status code (unless specified otherwise) and includes the following parameters … error REQUIRED."
                ),
                (
                    Decision,
                    "TOKEN-ERR-02",
                    "Malformed input → 400 invalid_request (413 when the body is too large)."
                )
            ],
            Both,
            [],
            "malformed form input (bad UTF-8 or percent-encoding, NUL) gets a 4xx without a token; 400 invalid_request, and 413 for a 1 MiB body, as on the reference",
            err_02
        ),
    ]
}

// ---- TOKEN-ERR-01 ---------------------------------------------------------------------------

/// RFC 6749 §5.2: `error_uri` is %x21 / %x23-5B / %x5D-7E.
fn is_uri_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The §5.2 shape of one error answer; `case` names the request in messages. What §5.2
/// requires fails; its status and media type, which it states without a keyword, deviate.
fn error_shape(reply: &Reply, case: &str, deviations: &Deviations) -> CheckResult {
    no_token(reply)?;
    let body = serde_json::from_str::<Value>(&reply.body).map_err(|_| {
        fail(
            format!("{case}: a JSON body with the REQUIRED `error`"),
            reply.summary(),
        )
    })?;
    let Some(error) = body.get("error").and_then(Value::as_str) else {
        return Err(fail(
            format!("{case}: a string `error` (REQUIRED)"),
            crate::http::short(&reply.body),
        ));
    };
    ensure(
        TOKEN_ERRORS.contains(&error),
        format!("{case}: a registered token-endpoint error code"),
        error,
    )?;
    ensure(
        is_error_text(error),
        format!("{case}: `error` in printable ASCII without `\"` or `\\`"),
        format!("{error:?}"),
    )?;
    match body.get("error_description") {
        None => {}
        Some(Value::String(text)) => ensure(
            is_error_text(text),
            format!("{case}: `error_description` in printable ASCII without `\"` or `\\`"),
            format!("{text:?}"),
        )?,
        Some(other) => {
            return Err(fail(format!("{case}: `error_description` a string"), other));
        }
    }
    match body.get("error_uri") {
        None => {}
        Some(Value::String(uri)) => ensure(
            is_uri_text(uri),
            format!("{case}: `error_uri` of the characters §5.2 permits"),
            format!("{uri:?}"),
        )?,
        Some(other) => return Err(fail(format!("{case}: `error_uri` a string"), other)),
    }
    let content_type = reply.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        deviations.note(
            format!("{case}: Content-Type application/json"),
            format!("{case}: {content_type:?}"),
        );
    }
    // Repeated failures for one client id may meet a brute-force throttle (TOKEN-AUTH-08).
    let statuses: &[u16] = match error {
        "invalid_client" => &[400, 401],
        _ => &[400],
    };
    if !statuses.contains(&reply.status) && reply.status != 429 {
        deviations.note(
            format!("{case}: status {} with {error}", or_list(statuses)),
            reply.status,
        );
    }
    Ok(())
}

/// A value that carries what §5.2 forbids in error text, around generated printable noise.
fn nasty_value(rng: &mut StdRng) -> String {
    const NASTY: &[&str] = &[
        "\"",
        "\\",
        "é",
        "\u{7f}",
        "\u{2028}",
        "\u{1F600}",
        "\t",
        "<&>",
    ];
    let noise: String = (0..rng.random_range(0..12))
        .map(|_| char::from(rng.random_range(0x21u8..0x7f)))
        .collect();
    let nasty = NASTY.choose(rng).copied().unwrap_or("\"");
    format!("{noise}{nasty}{noise}")
}

async fn err_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let code_client = ctx.code_client().await?;
    let deviations = Deviations::default();
    let fixed = [
        (
            "no grant_type",
            ctx.token(&client, &with_scope(&client, "")).await?,
        ),
        (
            "an unknown grant_type",
            ctx.token(
                &client,
                &with_scope(&client, "grant_type=urn%3Aexample%3Anope"),
            )
            .await?,
        ),
        (
            "a wrong secret",
            ctx.client_credentials(&with_secret(&client, "wrong-secret"))
                .await?,
        ),
        (
            "client_credentials by a code client",
            ctx.client_credentials(&code_client).await?,
        ),
        (
            "an unknown code",
            redeem(
                &ctx,
                &code_client,
                "conformance-no-such-code",
                &form_pair("redirect_uri", code_client.redirect()),
            )
            .await?,
        ),
    ];
    for (case, reply) in &fixed {
        // A server may let a code client use client_credentials (TOKEN-REQ-05b judges that).
        if reply.status == 200 && *case == "client_credentials by a code client" {
            continue;
        }
        error_shape(reply, case, &deviations)?;
    }
    // Values the server might echo into `error_description`: generated from the run's seed, so
    // `--seed` replays them.
    let mut rng = StdRng::seed_from_u64(ctx.run.seed);
    for _ in 0..ctx.run.cases_or(PROPERTY_CASES) {
        let value = nasty_value(&mut rng);
        let as_scope = ctx
            .token(&client, &format!("{CC}&{}", form_pair("scope", &value)))
            .await?;
        // A server may drop a scope value it does not know instead of failing (TOKEN-RESP-03).
        if as_scope.status != 200 {
            error_shape(&as_scope, &format!("scope={value:?}"), &deviations)?;
        }
        let as_grant = ctx
            .token(
                &client,
                &with_scope(&client, &form_pair("grant_type", &value)),
            )
            .await?;
        error_shape(&as_grant, &format!("grant_type={value:?}"), &deviations)?;
        let as_basic_user =
            post_token(&ctx, cc_body(&client), Some(&basic_value(&value, "x"))).await?;
        error_shape(
            &as_basic_user,
            &format!("Basic user name {value:?}"),
            &deviations,
        )?;
        let as_body_id = post_token(
            &ctx,
            format!(
                "{}&{}&client_secret=x",
                cc_body(&client),
                form_pair("client_id", &value)
            ),
            None,
        )
        .await?;
        error_shape(
            &as_body_id,
            &format!("body client_id {value:?}"),
            &deviations,
        )?;
    }
    deviations.end()
}

// ---- TOKEN-ERR-02 ---------------------------------------------------------------------------

/// One TOKEN-ERR-02 input: what it is, its body, the reference's status, and whether it is
/// well-formed apart from its size (then RFC 6749 §3.2's "MUST ignore unrecognized request
/// parameters" makes a token a lawful answer).
struct Input {
    case: &'static str,
    body: Vec<u8>,
    status: u16,
    well_formed: bool,
    /// Malformed only in a parameter's value, which a lenient parser reads as some value.
    lenient_reading: bool,
}

async fn err_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let cc = cc_body(&client);
    // 10,000 distinct three-letter names: about 60 kB, far below 1 MiB.
    let letter = |n: u32| char::from(b'a' + u8::try_from(n % 26).unwrap_or(0));
    let many = std::iter::once(cc.clone())
        .chain(
            (0..10_000u32).map(|i| format!("{}{}{}=1", letter(i / 676), letter(i / 26), letter(i))),
        )
        .collect::<Vec<_>>()
        .join("&");
    let nul_scope = match scope_param(&client) {
        none if none.is_empty() => "scope=email".to_owned(),
        scope => scope,
    };
    // Malformed only in the scope's value: a lenient form parser (WHATWG's keeps `%zz` and
    // replaces bad UTF-8) reads an unknown scope value, and what it grants is TOKEN-CC-03's
    // question; so a token here is a deviation, not a failure.
    let malformed = |case, body: &[u8]| Input {
        case,
        body: body.to_vec(),
        status: 400,
        well_formed: false,
        lenient_reading: true,
    };
    let inputs = vec![
        malformed(
            "raw invalid UTF-8",
            b"grant_type=client_credentials&scope=\xff\xfe",
        ),
        malformed(
            "encoded invalid UTF-8",
            b"grant_type=client_credentials&scope=%C3%28",
        ),
        malformed(
            "bad percent-encoding",
            b"grant_type=client_credentials&scope=%zz",
        ),
        malformed(
            "truncated percent-encoding",
            b"grant_type=client_credentials&scope=%4",
        ),
        malformed(
            "encoded NUL",
            b"grant_type=client_credentials&scope=email%00",
        ),
        Input {
            case: "raw NUL",
            body: format!("grant_type=client_credentials\0&{nul_scope}").into_bytes(),
            status: 400,
            well_formed: false,
            lenient_reading: false,
        },
        Input {
            case: "10,000 parameters",
            body: many.into_bytes(),
            status: 400,
            well_formed: true,
            lenient_reading: false,
        },
        Input {
            case: "a 1 MiB body",
            body: format!("{cc}&pad={}", "a".repeat(1 << 20)).into_bytes(),
            status: 413,
            well_formed: true,
            lenient_reading: false,
        },
    ];
    let deviations = Deviations::default();
    for input in inputs {
        let Input {
            case,
            status,
            well_formed,
            lenient_reading,
            ..
        } = input;
        let request = basic(
            ctx.http()
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(input.body),
            &client,
        );
        let reply = match ctx.send_keeping_transport_error(request, None).await? {
            Ok(reply) => reply,
            // RFC 9110 §15.5.14: a server refusing a body too large may close the connection;
            // the client, still sending, can then lose the 413 to the reset.
            Err(e) if status == 413 && !e.is_connect() && !e.is_timeout() => continue,
            Err(e) => {
                return Err(fail(
                    format!("{case}: an HTTP answer"),
                    format!("transport error: {e}"),
                ));
            }
        };
        if well_formed && reply.status == 200 && has_token(&reply) {
            deviations.note(
                format!("{case}: {status} invalid_request (the reference's limit)"),
                "a token: the unrecognised parameters were ignored",
            );
            continue;
        }
        if lenient_reading && reply.status == 200 && has_token(&reply) {
            deviations.note(
                format!("{case}: {status} invalid_request"),
                "a token: the scope value was read leniently",
            );
            continue;
        }
        no_token(&reply)?;
        ensure(
            (400..500).contains(&reply.status),
            format!("{case}: a 4xx error"),
            reply.summary(),
        )?;
        if !(reply.status == status && reply.error_code().as_deref() == Some("invalid_request")) {
            deviations.note(format!("{case}: {status} invalid_request"), reply.summary());
        }
    }
    deviations.end()
}
