//! VREDIR-08: a path wildcard stays within one path segment (AMB-01).

use super::{client_for, expect_accepted, expect_rejected};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "vredir-08",
        ["VREDIR-08"],
        [(
            Decision,
            "AMB-01",
            "Inside a path segment, where it stands for any run of characters other than `/`, possibly empty."
        )],
        VendorOnly,
        [Ua, Admin],
        "a path wildcard stays within one path segment",
        vredir_08
    )]
}

// ---------------------------------------------------------------------------------------------
// VREDIR-08: path wildcards

async fn vredir_08(ctx: Ctx) -> CheckResult {
    let trailing = client_for(&ctx, &["https://m.example/cb/*"]).await?;
    let middle = client_for(&ctx, &["https://m.example/*/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    for uri in ["https://m.example/cb/", "https://m.example/cb/a"] {
        expect_accepted(&ctx, &ua, &trailing, uri, uri).await?;
    }
    for uri in [
        "https://m.example/cb",
        "https://m.example/cbx",
        "https://m.example/cb/a/b",
    ] {
        expect_rejected(&ctx, &ua, &trailing, uri).await?;
    }
    expect_accepted(
        &ctx,
        &ua,
        &middle,
        "https://m.example/x/cb",
        "https://m.example/x/cb",
    )
    .await?;
    for uri in [
        "https://m.example/x/y/cb",
        "https://m.example/cb",
        "https://m.example/x/cbx",
    ] {
        expect_rejected(&ctx, &ua, &middle, uri).await?;
    }
    Ok(())
}
