//! The reference server's demo protected resources, beside its admin API.

use reqwest::Method;

use crate::ctx::Ctx;
use crate::http::Reply;
use crate::model::{Outcome, skip};

/// The demo resource at `path`; a skip on a target without the admin API, which has none.
pub(crate) fn resource_url(ctx: &Ctx, path: &str) -> Result<String, Outcome> {
    if !ctx.has_admin() {
        return Err(skip(
            "needs a protected resource; the target offers no admin API, so no demo resources",
        ));
    }
    Ok(ctx.run.url(path))
}

/// A resource request with this `Authorization` value (or none); a 404 means no such resource
/// (a skip).
pub(crate) async fn at_resource(
    ctx: &Ctx,
    method: Method,
    url: &str,
    authorization: Option<&str>,
) -> Result<Reply, Outcome> {
    let mut request = ctx.http().request(method, url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let reply = ctx.send(request).await?;
    if reply.status == 404 {
        return Err(skip(
            "the target has no demo protected resource at this path",
        ));
    }
    Ok(reply)
}
