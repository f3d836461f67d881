//! VREDIR-01 to VREDIR-04: matching ignores the request's query and keeps it in the redirect, but
//! not a fragment (seed 000 › 3; RFC 6749 §3.1.2); a client's own URLs only; no query or fragment
//! in a registered URL (AMB-02).

use super::{client_for, expect_accepted, expect_refused, expect_registered, expect_rejected};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-01",
            ["VREDIR-01"],
            [
                (
                    Vendor,
                    "seed 000 › 3 Redirect URLs",
                    "PaymentIQ only matches on URL, not query string so the merchant can add their own information with query string."
                ),
                (
                    Must,
                    "RFC 6749 §3.1.2",
                    "The endpoint URI MAY include an \"application/x-www-form-urlencoded\" formatted … query component …, which MUST be retained when adding additional query parameters."
                )
            ],
            VendorOnly,
            [Ua],
            "the request's query is ignored when matching and kept intact in the redirect",
            vredir_01
        ),
        check!(
            "vredir-02",
            ["VREDIR-02"],
            [
                (
                    MustNot,
                    "RFC 6749 §3.1.2",
                    "The endpoint URI MUST NOT include a fragment component."
                ),
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                )
            ],
            VendorOnly,
            [Ua],
            "ignoring the query does not extend to fragments: a redirect URI with one is refused",
            vredir_02
        ),
        check!(
            "vredir-03",
            ["VREDIR-03"],
            [(
                Vendor,
                "seed 000 › 3 Redirect URLs",
                "This is used by PaymentIQ to control that the provided url is an official one. … Multiple redirect_uri can be added"
            )],
            VendorOnly,
            [Ua, Admin],
            "each of a client's URLs is accepted, and another client's URL is not",
            vredir_03
        ),
        check!(
            "vredir-04a",
            ["VREDIR-04"],
            [(
                Decision,
                "AMB-02",
                "A registered entry may not contain a query; otherwise an administrator could think it is enforced."
            )],
            VendorOnly,
            [Admin],
            "a registered redirect URL with a query or a fragment is refused with 400",
            vredir_04a
        ),
        check!(
            "vredir-04b",
            ["VREDIR-04"],
            [(
                Decision,
                "AMB-02",
                "The request's query is ignored for matching but kept in the redirect."
            )],
            VendorOnly,
            [Ua, Admin],
            "matching never looks at the query, whatever it holds",
            vredir_04b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// VREDIR-01 to VREDIR-04: the query and the fragment

async fn vredir_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    for query in ["order=42&lang=sv", "order=42&lang=sv&note=a%20b%2Bc"] {
        let uri = format!("{registered}?{query}");
        expect_accepted(&ctx, &ua, &client, &uri, &uri).await?;
    }
    Ok(())
}

async fn vredir_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    expect_accepted(&ctx, &ua, &client, &registered, &registered).await?;
    let deviations = Deviations::default();
    for suffix in ["#x", "?order=1#x", "#", "?order=1#"] {
        let uri = format!("{registered}{suffix}");
        deviations.keep(expect_rejected(&ctx, &ua, &client, &uri).await)?;
    }
    deviations.end()
}

async fn vredir_03(ctx: Ctx) -> CheckResult {
    let mine = [
        "https://m.example/cb",
        "https://m.example/other",
        "https://checkout.example/return",
    ];
    let client_a = client_for(&ctx, &mine).await?;
    let client_b = client_for(&ctx, &["https://b-shop.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in mine {
        expect_accepted(&ctx, &ua, &client_a, uri, uri).await?;
    }
    let deviations = Deviations::default();
    deviations.keep(expect_rejected(&ctx, &ua, &client_a, "https://b-shop.example/cb").await)?;
    expect_accepted(
        &ctx,
        &ua,
        &client_b,
        "https://b-shop.example/cb",
        "https://b-shop.example/cb",
    )
    .await?;
    deviations.end()
}

async fn vredir_04a(ctx: Ctx) -> CheckResult {
    for url in [
        "https://m.example/cb?order=42",
        "https://m.example/cb?",
        "https://m.example/cb?order=*",
        "https://m.example/cb#x",
        "https://m.example/cb#",
        "https://m.example/cb?a=1#x",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://m.example/cb").await
}

async fn vredir_04b(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in [
        "https://m.example/cb?x=1",
        "https://m.example/cb?x=2&x=3",
        "https://m.example/cb?redirect=https%3A%2F%2Felsewhere.example%2F",
        "https://m.example/cb?cb=..%2F..%2Fother",
    ] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    Ok(())
}
