//! Expiry, generated: with the test clock, expiry dates (month and year ends, 28 and 29
//! February in leap and common years), token validities and instants around each cut-off to
//! the second; the token endpoint, introspection, check_token and a protected resource must
//! answer on each side of every boundary as [`crate::oracle::expiry`] says.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime};

use super::support::{at_resource, resource_server, resource_url, unique};
use crate::check;
use crate::ctx::{ClientCreds, Ctx};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Profile, fail};
use crate::oracle::expiry::{alive, cut_off, token_alive};
use crate::property;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "prop-expiry-01",
            ["EXP-02", "EXP-03", "EXP-04"],
            [
                (
                    Decision,
                    "AMB-12",
                    "the client is valid through 23:59:59.999 UTC on the expiry date and rejected from 00:00 UTC the next day."
                ),
                (
                    Decision,
                    "AMB-14",
                    "a token's `exp` is capped at the client's cut-off, and tokens of an expired client introspect as inactive."
                ),
                (
                    Vendor,
                    "seed 002 › Add a client ID",
                    "After the expiry date, the client can no longer obtain tokens."
                )
            ],
            VendorOnly,
            [Admin, Clock],
            "property: over generated expiry dates, validities and instants around the cut-off, \
             token, introspection, check_token and resource answers change exactly at 00:00 UTC \
             after the expiry date",
            prop_expiry_01
        ),
        check!(
            "prop-expiry-02",
            ["INTROSPECT-04", "BEARER-03", "CHECK-03"],
            [
                (
                    Must,
                    "RFC 7662 §2.2",
                    "If the introspection call is properly authorized but the token is not active … the authorization server MUST return an introspection response with the \"active\" field set to \"false\"."
                ),
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request … does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    Vendor,
                    "Spring CheckTokenEndpoint",
                    "An expired token → 400 invalid_token."
                ),
                (
                    ShouldNot,
                    "RFC 7662 §2.2",
                    "the authorization server SHOULD NOT include any additional information about an inactive token"
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token … The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                )
            ],
            Both,
            [Admin, Clock],
            "property: over generated validities and issue instants (midnight, leap days), an \
             access token works until the second before its exp and not from exp on",
            prop_expiry_02
        ),
    ]
}

/// Clock checks run one at a time: few cases, each a handful of requests.
const CASES: usize = 12;

const WALLET_RESOURCE: &str = "/resources/wallet/accounts";
const BACKOFFICE_RESOURCE: &str = "/resources/backoffice/orders";

fn rfc3339(instant: OffsetDateTime) -> String {
    instant.format(&Rfc3339).unwrap_or_default()
}

fn date_of(year: i32, month: u8, day: u8) -> Date {
    let month = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, month, day)
        .or_else(|_| Date::from_calendar_date(year, month, 28))
        .unwrap_or(Date::MIN)
}

/// A wallet's expiry date, the validity of its tokens, when one is issued (seconds before the
/// cut-off) and the instants probed (seconds from the cut-off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WalletCase {
    expiry_date: (i32, u8, u8),
    validity: i64,
    issued_before: i64,
    probes: Vec<i64>,
}

/// An access token's validity, its issue instant and the probes (seconds from its exp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TokenCase {
    issued: String,
    validity: i64,
    probes: Vec<i64>,
}

fn wallet_case() -> impl Strategy<Value = WalletCase, Tree: Send> {
    (
        select(&[2030, 2028, 2029, 2031][..]),
        select(
            &[
                (6, 15),
                (2, 28),
                (2, 29),
                (12, 31),
                (1, 31),
                (3, 1),
                (4, 30),
            ][..],
        ),
        select(&[3600i64, 60, 1800, 7200, 86_400][..]),
        select(&[1800i64, 1, 2, 59, 61, 3600, 86_400, 90_000][..]),
        vec(
            select(&[-1i64, 0, 1, -2, 2, -3601, -86_400, -86_401, 86_400][..]),
            1..=3,
        ),
    )
        .prop_map(
            |(year, (month, day), validity, issued_before, probes)| WalletCase {
                expiry_date: (year, month, day),
                validity,
                issued_before,
                probes,
            },
        )
}

fn token_case() -> impl Strategy<Value = TokenCase, Tree: Send> {
    (
        select(
            &[
                "2030-06-15T12:00:00Z",
                "2028-02-28T23:59:30Z",
                "2028-02-29T23:00:00Z",
                "2029-02-28T23:59:59Z",
                "2030-12-31T23:59:00Z",
            ][..],
        ),
        select(&[3600i64, 60, 61, 3599, 86_400][..]),
        vec(select(&[-1i64, 0, 1, -2, 2][..]), 1..=3),
    )
        .prop_map(|(issued, validity, probes)| TokenCase {
            issued: issued.to_owned(),
            validity,
            probes,
        })
}

/// Fails unless `reply` is what was `wanted`, naming the instant.
fn expect(at: &str, what: &str, ok: bool, wanted: &str, reply: &Reply) -> CheckResult {
    if ok {
        Ok(())
    } else {
        Err(fail(format!("at {at}, {what}: {wanted}"), reply.summary()))
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// check_token by `caller` at `at`: 200 for a live token, 400 invalid_token otherwise.
async fn probe_check_token(
    ctx: &Ctx,
    at: &str,
    caller: &ClientCreds,
    token: &str,
    live: bool,
) -> CheckResult {
    let checked = ctx.token_call("check_token", caller, token).await?;
    let ok = if live {
        checked.status == 200
    } else {
        checked.status == 400 && checked.error_code().as_deref() == Some("invalid_token")
    };
    let wanted = if live { "200" } else { "400 invalid_token" };
    expect(at, "check_token", ok, wanted, &checked)
}

/// A bearer call to the protected resource at `at`: a live token served, a dead one refused
/// (MUST); the reference's 401 for a dead one and service until exp are noted when missing.
async fn probe_resource(
    ctx: &Ctx,
    warnings: &Deviations,
    at: &str,
    resource: &str,
    token: &str,
    live: bool,
) -> CheckResult {
    let used = at_resource(ctx, Method::GET, resource, Some(&bearer(token))).await?;
    let served = (200..300).contains(&used.status);
    if live {
        if !served {
            warnings.note(
                format!("at {at}, the protected resource: 200"),
                used.summary(),
            );
        }
        return Ok(());
    }
    expect(at, "the protected resource", !served, "refused", &used)?;
    if used.status != 401 {
        warnings.note(
            format!("at {at}, the protected resource: 401"),
            used.summary(),
        );
    }
    Ok(())
}

/// One wallet created with the case's expiry date and validity; answers at each probe.
async fn wallet_boundaries(ctx: Ctx, rs: ClientCreds, case: WalletCase) -> CheckResult {
    let (year, month, day) = case.expiry_date;
    let date = date_of(year, month, day);
    let cut = cut_off(date);
    ctx.set_clock(&rfc3339(cut - Duration::days(20))).await?;
    let wallet = ctx
        .client_with(json!({
            "kind": "wallet",
            "id": unique("pe"),
            "roles": ["accounts:view"],
            "expiry_date": date.to_string(),
            "access_token_validity_seconds": case.validity,
        }))
        .await?;

    let issued = cut - Duration::seconds(case.issued_before);
    let at = rfc3339(issued);
    ctx.set_clock(&at).await?;
    let reply = ctx.client_credentials(&wallet).await?;
    expect(
        &at,
        "client_credentials",
        reply.status == 200,
        "200",
        &reply,
    )?;
    let body = reply.json()?;
    let token = crate::ctx::member(&body, "access_token")?;
    let expires_in = body.get("expires_in").and_then(Value::as_i64);
    let capped = case.validity.min(case.issued_before);
    if expires_in != Some(capped) {
        return Err(fail(
            format!(
                "at {at}: expires_in {capped} (validity {}, capped at the cut-off)",
                case.validity
            ),
            format!("{expires_in:?}"),
        ));
    }

    let resource = resource_url(&ctx, WALLET_RESOURCE)?;
    for offset in &case.probes {
        let now = cut + Duration::seconds(*offset);
        if now < issued {
            continue;
        }
        let at = rfc3339(now);
        ctx.set_clock(&at).await?;
        let client_alive = alive(cut, now);
        let token_alive = token_alive(issued, case.validity, Some(cut), now);

        let reply = ctx.client_credentials(&wallet).await?;
        let ok = if client_alive {
            reply.status == 200
        } else {
            reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client")
        };
        expect(
            &at,
            "client_credentials",
            ok,
            if client_alive {
                "200"
            } else {
                "401 invalid_client"
            },
            &reply,
        )?;

        let view = ctx.token_call("introspection", &rs, &token).await?;
        let active = view
            .json()
            .ok()
            .and_then(|v| v.get("active").and_then(Value::as_bool));
        expect(
            &at,
            "introspection by the resource server",
            view.status == 200 && active == Some(token_alive),
            &format!("200 active:{token_alive}"),
            &view,
        )?;

        probe_check_token(&ctx, &at, &rs, &token, token_alive).await?;
        let warnings = Deviations::default();
        probe_resource(&ctx, &warnings, &at, &resource, &token, token_alive).await?;
        warnings.end()?;

        let own = ctx.token_call("introspection", &wallet, &token).await?;
        let ok = if client_alive {
            own.status == 200
        } else {
            own.status == 401
        };
        expect(
            &at,
            "introspection by the wallet itself",
            ok,
            if client_alive {
                "200"
            } else {
                "401 invalid_client"
            },
            &own,
        )?;
    }
    Ok(())
}

/// One access token of the case's validity; answers at each probe around its exp.
async fn token_boundaries(ctx: Ctx, case: TokenCase) -> CheckResult {
    let issued = OffsetDateTime::parse(&case.issued, &Rfc3339)
        .map_err(|e| fail("a generated RFC 3339 instant", e))?;
    ctx.set_clock(&case.issued).await?;
    let client = ctx
        .client_with(json!({
            "kind": "admin_api",
            "roles": ["PAYMENTS_VIEW"],
            "access_token_validity_seconds": case.validity,
        }))
        .await?;
    let reply = ctx.client_credentials(&client).await?;
    expect(
        &case.issued,
        "client_credentials",
        reply.status == 200,
        "200",
        &reply,
    )?;
    let body = reply.json()?;
    let token = crate::ctx::member(&body, "access_token")?;
    let expires_in = body.get("expires_in").and_then(Value::as_i64);
    if expires_in != Some(case.validity) {
        return Err(fail(
            format!("expires_in {} as the client's validity", case.validity),
            format!("{expires_in:?}"),
        ));
    }
    let resource = resource_url(&ctx, BACKOFFICE_RESOURCE)?;
    let warnings = Deviations::default();
    for offset in &case.probes {
        let now = issued + Duration::seconds(case.validity + offset);
        let at = rfc3339(now);
        ctx.set_clock(&at).await?;
        let live = token_alive(issued, case.validity, None, now);

        let reply = ctx.token_call("introspection", &client, &token).await?;
        let view = reply.json().ok().filter(|_| reply.status == 200);
        let active = view.as_ref().and_then(|v| v.get("active").cloned());
        if live {
            // A token that ends early breaks no MUST of RFC 7662: the reference's choice.
            if active != Some(json!(true)) {
                warnings.note(
                    format!("at {at}, introspection: 200 active:true"),
                    reply.summary(),
                );
            }
        } else {
            expect(
                &at,
                "introspection",
                active == Some(json!(false)),
                "200 active:false",
                &reply,
            )?;
            if view != Some(json!({"active": false})) {
                warnings.note(
                    format!("at {at}, introspection: exactly {{\"active\":false}}"),
                    &reply.body,
                );
            }
        }

        probe_resource(&ctx, &warnings, &at, &resource, &token, live).await?;
        if ctx.profile() == Profile::Vendor {
            probe_check_token(&ctx, &at, &client, &token, live).await?;
        }
    }
    warnings.end()
}

async fn prop_expiry_01(ctx: Ctx) -> CheckResult {
    let rs = resource_server(&ctx, &["wallet_api"]).await?;
    property::check(
        &ctx,
        "prop-expiry-01",
        CASES,
        wallet_case(),
        |case: &WalletCase| {
            let (y, m, d) = case.expiry_date;
            format!(
                "a wallet expiring on {} (access validity {} s), its token issued {} s before the \
                 cut-off, probed at cut-off {:+?} s",
                date_of(y, m, d),
                case.validity,
                case.issued_before,
                case.probes
            )
        },
        |case| wallet_boundaries(ctx.clone(), rs.clone(), case),
    )
    .await
}

async fn prop_expiry_02(ctx: Ctx) -> CheckResult {
    property::check(
        &ctx,
        "prop-expiry-02",
        CASES,
        token_case(),
        |case: &TokenCase| {
            format!(
                "an access token issued at {} with validity {} s, probed at exp {:+?} s",
                case.issued, case.validity, case.probes
            )
        },
        |case| token_boundaries(ctx.clone(), case),
    )
    .await
}
