//! VREDIR-05: scheme and port are literal, never wildcards (AMB-01, AMB-03).

use super::{client_for, expect_accepted, expect_refused, expect_registered, expect_rejected};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-05a",
            ["VREDIR-05"],
            [(
                Decision,
                "AMB-01",
                "`*` is refused in the scheme, user-info, port, query and fragment, with an IP-literal host, and as the whole pattern."
            )],
            VendorOnly,
            [Admin],
            "a wildcard in the scheme or the port is refused at registration",
            vredir_05a
        ),
        check!(
            "vredir-05b",
            ["VREDIR-05"],
            [(
                Decision,
                "AMB-03",
                "Lower-case the scheme and host; convert IDN hosts to punycode; drop default ports; …"
            )],
            VendorOnly,
            [Ua, Admin],
            "scheme and port are literal: http is not https, :443 is no port, :8443 is not",
            vredir_05b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// VREDIR-05: scheme and port

async fn vredir_05a(ctx: Ctx) -> CheckResult {
    for url in [
        "*://m.example/cb",
        "http*://m.example/cb",
        "https://m.example:*/cb",
        "https://m.example:44*/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    expect_registered(&ctx, "https://m.example:8443/cb").await
}

async fn vredir_05b(ctx: Ctx) -> CheckResult {
    let plain = client_for(&ctx, &["https://m.example/cb"]).await?;
    let ported = client_for(&ctx, &["https://p.example:8443/cb"]).await?;
    let ua = UserAgent::new(&ctx);
    expect_accepted(
        &ctx,
        &ua,
        &plain,
        "https://m.example:443/cb",
        "https://m.example/cb",
    )
    .await?;
    expect_accepted(
        &ctx,
        &ua,
        &ported,
        "https://p.example:8443/cb",
        "https://p.example:8443/cb",
    )
    .await?;
    for uri in [
        "http://m.example/cb",
        "https://m.example:8443/cb",
        "http://m.example:443/cb",
    ] {
        expect_rejected(&ctx, &ua, &plain, uri).await?;
    }
    for uri in ["https://p.example/cb", "https://p.example:443/cb"] {
        expect_rejected(&ctx, &ua, &ported, uri).await?;
    }
    Ok(())
}
