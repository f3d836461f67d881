//! VREDIR-06, VREDIR-07: a host wildcard is a whole left-most label and stands for exactly one
//! DNS label (AMB-01); the RFC 9700 §4.1.1 attacks on it fail.

use super::{
    client_for, client_query, expect_accepted, expect_refused, expect_registered, expect_rejected,
    stray_redirect, unjudged,
};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, Profile};
use crate::oracle::redirect::{VREDIR_07_ATTACKS, VREDIR_07_REGISTRATION};
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-06a",
            ["VREDIR-06"],
            [(
                Decision,
                "AMB-01",
                "In the host, as the whole left-most label, where it stands for exactly one DNS label"
            )],
            VendorOnly,
            [Admin],
            "a host wildcard must be the whole left-most label at registration",
            vredir_06a
        ),
        check!(
            "vredir-06b",
            ["VREDIR-06"],
            [(
                Decision,
                "AMB-01",
                "where it stands for exactly one DNS label: 1–63 characters of `a-z 0-9 -`, not beginning or ending with `-`."
            )],
            VendorOnly,
            [Ua, Admin],
            "a host wildcard stands for exactly one DNS label",
            vredir_06b
        ),
        check!(
            "vredir-07",
            ["VREDIR-07"],
            [
                (
                    MustNot,
                    "RFC 6749 §4.1.2.1",
                    "If the request fails due to a missing, invalid, or mismatching redirection URI … MUST NOT automatically redirect the user-agent to the invalid redirection URI."
                ),
                (
                    Vendor,
                    "seed 000 › 3 Redirect URLs",
                    "Multiple redirect_uri can be added, you can also use * as wildcard."
                ),
                (
                    Decision,
                    "AMB-01",
                    "In the host, as the whole left-most label, where it stands for exactly one DNS label"
                )
            ],
            VendorOnly,
            [Ua, Admin],
            "the RFC 9700 §4.1.1 attacks on https://*.m.example/* all end on the server's page",
            vredir_07
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// VREDIR-06, VREDIR-07: host wildcards

async fn vredir_06a(ctx: Ctx) -> CheckResult {
    for url in [
        "https://a*.m.example/cb",
        "https://*a.m.example/cb",
        "https://m.*.example/cb",
        "https://m.example.*/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://*.m.example/cb").await
}

async fn vredir_06b(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &["https://*.m.example/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://shop.m.example/cb", "https://x-1.m.example/cb"] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    for uri in [
        "https://m.example/cb",
        "https://a.b.m.example/cb",
        "https://-x.m.example/cb",
        "https://x-.m.example/cb",
        "https://.m.example/cb",
        "https://shopm.example/cb",
        "https://shop.m.example/cb2",
    ] {
        expect_rejected(&ctx, &ua, &client, uri).await?;
    }
    Ok(())
}

async fn vredir_07(ctx: Ctx) -> CheckResult {
    let client = client_for(&ctx, &[VREDIR_07_REGISTRATION]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://x.m.example/", "https://x.m.example/cb"] {
        expect_accepted(&ctx, &ua, &client, uri, uri).await?;
    }
    // Every attack that leaves *.m.example sends the response to another site and fails;
    // one that stays (a trailing dot) is refused only by AMB-01's reading of `*`.
    let registrations = [VREDIR_07_REGISTRATION.to_owned()];
    let deviations = Deviations::default();
    for uri in VREDIR_07_ATTACKS {
        let landing = ua.authorize(&client_query(&client, uri)).await?;
        unjudged(&landing)?;
        if let Landing::Redirect(location) = &landing {
            let expected = format!("{uri} refused: the server's own error page");
            let shown = format!("a redirect to {}", ctx.run.redactor.url(location));
            let stray =
                stray_redirect(Profile::Vendor, &registrations, location, &expected, &shown);
            deviations.keep(Err(stray))?;
        }
    }
    deviations.end()
}
