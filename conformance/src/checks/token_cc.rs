//! TOKEN-CC: the client_credentials grant (RFC 6749 §4.4).

use crate::check;
use crate::ctx::{Ctx, member};
use crate::model::{Check, CheckResult, ensure, fail};

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "token-cc-01",
        ["TOKEN-CC-01"],
        Must,
        Both,
        [],
        "client_credentials with a valid client gives 200 and a bearer access token",
        cc_01
    )]
}

async fn cc_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    ensure(reply.status == 200, "200", reply.summary())?;
    let body = reply.json()?;
    member(&body, "access_token")?;
    let token_type = member(&body, "token_type")?;
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(fail("token_type Bearer", token_type));
    }
    Ok(())
}
