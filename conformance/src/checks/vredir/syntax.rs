//! VREDIR-09, VREDIR-10: misplaced or overreaching wildcards are refused at registration
//! (AMB-01); case, IDN hosts and escapes are normalised, and what cannot be is refused (AMB-03).

use super::{client_for, expect_accepted, expect_refused, expect_registered, expect_rejected};
use crate::check;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "vredir-09",
            ["VREDIR-09"],
            [(
                Decision,
                "AMB-01",
                "The registration must keep at least two literal labels after it. … A host may hold only one wildcard"
            )],
            VendorOnly,
            [Admin],
            "misplaced or overreaching wildcards are refused at registration with 400",
            vredir_09
        ),
        check!(
            "vredir-10a",
            ["VREDIR-10"],
            [(
                Decision,
                "AMB-03",
                "Lower-case the scheme and host; convert IDN hosts to punycode; drop default ports; decode percent-escapes of unreserved characters; upper-case the remaining hex escapes."
            )],
            VendorOnly,
            [Ua, Admin],
            "scheme and host case, IDN hosts and escapes of unreserved characters are normalised",
            vredir_10a
        ),
        check!(
            "vredir-10b",
            ["VREDIR-10"],
            [(
                Decision,
                "AMB-03",
                "Keep the path case-sensitive. Refuse requests that carry user-info, dot-segments …, an encoded `/` or `\\`, a raw `\\`, control characters, or a host that is not in canonical form."
            )],
            VendorOnly,
            [Ua, Admin],
            "path case counts, and user-info, dot-segments, encoded slashes, backslashes, \
             control characters and non-canonical hosts are refused",
            vredir_10b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// VREDIR-09, VREDIR-10: what a pattern and a URL may look like

async fn vredir_09(ctx: Ctx) -> CheckResult {
    for url in [
        "*",
        "https://*/cb",
        "https://*",
        "https://*.com/cb",
        "https://*.example/cb",
        "https://*.*.m.example/cb",
        "https://*.m.*.example/cb",
        "https://*.0.0.1/cb",
        "https://*.192.0.2.1/cb",
        "https://127.0.0.*/cb",
        "https://[*::1]/cb",
        "https://*@m.example/cb",
        "https://user*:pw@m.example/cb",
        "https://user:*@m.example/cb",
        "https://m.example:*/cb",
        "https://*.m.example:8*/cb",
        "*://m.example/cb",
        "http*://m.example/cb",
    ] {
        expect_refused(&ctx, url).await?;
    }
    for url in [
        "https://*.m.example/cb",
        "https://m.example/cb/*",
        "https://m.example/*/cb",
        "https://*.m.example/*/x*",
    ] {
        expect_registered(&ctx, url).await?;
    }
    Ok(())
}

async fn vredir_10a(ctx: Ctx) -> CheckResult {
    let client = client_for(
        &ctx,
        &[
            "https://m.example/cb",
            "https://bücher.example/cb",
            "https://m.example/a%3ab",
        ],
    )
    .await?;
    let ua = UserAgent::new(&ctx);
    for (uri, canonical) in [
        ("https://M.EXAMPLE/cb", "https://m.example/cb"),
        ("HTTPS://m.example/cb", "https://m.example/cb"),
        ("https://m.example/%63b", "https://m.example/cb"),
        ("https://m.example/%63%62", "https://m.example/cb"),
        (
            "https://bücher.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://BÜCHER.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://xn--bcher-kva.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        ("https://m.example/a%3Ab", "https://m.example/a%3Ab"),
        ("https://m.example/a%3ab", "https://m.example/a%3Ab"),
    ] {
        expect_accepted(&ctx, &ua, &client, uri, canonical).await?;
    }
    Ok(())
}

async fn vredir_10b(ctx: Ctx) -> CheckResult {
    let exact = client_for(&ctx, &["https://m.example/cb", "http://127.0.0.1/cb"]).await?;
    let pattern = client_for(&ctx, &["https://*.p.example/*"]).await?;
    let ua = UserAgent::new(&ctx);
    // Positive controls: the refusals below are not a server refusing everything.
    expect_accepted(
        &ctx,
        &ua,
        &exact,
        "https://m.example/cb",
        "https://m.example/cb",
    )
    .await?;
    expect_accepted(
        &ctx,
        &ua,
        &pattern,
        "https://x.p.example/ok",
        "https://x.p.example/ok",
    )
    .await?;
    for uri in [
        "https://m.example/CB",
        "https://m.example/%43B",
        "https://u@m.example/cb",
        "https://u:p@m.example/cb",
        "https://@m.example/cb",
        "https://m.example/cb/../cb",
        "https://m.example/x/../cb",
        "https://m.example/./cb",
        "https://m.example/%2e%2e/cb",
        "https://m.example/%2E/cb",
        "https://m.example/cb%2F",
        "https://m.example%2Fcb",
        "https://m.example/cb%5C",
        "https://m.example\\cb",
        "https://m.example/cb\\",
        "https://m.example/cb\t",
        "https://m.example/c\nb",
        "https://m.example/cb\u{7f}",
        "http://2130706433/cb",
        "http://0x7f.1/cb",
        "http://0x7f.0.0.1/cb",
        "http://127.1/cb",
        "http://0177.0.0.1/cb",
        "https://m.example./cb",
    ] {
        expect_rejected(&ctx, &ua, &exact, uri).await?;
    }
    for uri in [
        "https://u@x.p.example/ok",
        "https://x.p.example/..",
        "https://x.p.example/%2e%2e",
        "https://x.p.example/a%2Fb",
        "https://x.p.example/a%5Cb",
        "https://x.p.example/a\\b",
        "https://x.p.example/a\u{1}b",
    ] {
        expect_rejected(&ctx, &ua, &pattern, uri).await?;
    }
    Ok(())
}
