//! The protected resource a check presents its tokens to: the target file's `[resource]`, or
//! one of the reference server's demo resources.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use crate::ctx::{ClientCreds, Ctx, form_pair, member};
use crate::http::Reply;
use crate::model::{Outcome, fail, skip};

/// Why a check that needs a protected resource cannot run.
pub(super) const NO_RESOURCE: &str = "needs a protected resource: give a [resource] table in the \
     target file (url, method, scope); the reference server's demo resources come with its admin \
     API";

/// Where a check presents its tokens: the target file's `[resource]`, or one of the reference
/// server's demo resources.
#[derive(Debug, Clone)]
pub(in crate::checks) struct Protected {
    pub(in crate::checks) url: String,
    pub(super) method: Method,
    /// `[resource] scope`: what `clients.cc` asks for to be served here.
    scope: Option<String>,
    /// Named by the target file rather than a demo resource.
    declared: bool,
}

impl Protected {
    /// The target file's `[resource]`, else the demo resource at `demo_path` (the reference
    /// server's, beside its admin API), else a skip that says what to add.
    pub(in crate::checks) fn find(ctx: &Ctx, demo_path: &str) -> Result<Self, Outcome> {
        if let Some(resource) = &ctx.run.target.resource {
            let method = Method::from_bytes(resource.method.to_ascii_uppercase().as_bytes())
                .map_err(|_| {
                    skip(format!(
                        "[resource] method {:?} is not an HTTP method",
                        resource.method
                    ))
                })?;
            return Ok(Self {
                url: resource.url.clone(),
                method,
                scope: resource.scope.clone(),
                declared: true,
            });
        }
        Ok(Self {
            url: demo_resource(ctx, demo_path, NO_RESOURCE)?,
            method: Method::GET,
            scope: None,
            declared: false,
        })
    }

    pub(super) fn is_declared(&self) -> bool {
        self.declared
    }

    /// The client whose tokens this resource takes: for `[resource]`, `clients.cc` asking for
    /// the resource's scope (its own configured scope when none is given); for a demo resource,
    /// a fresh client_credentials client.
    pub(in crate::checks) async fn client(&self, ctx: &Ctx) -> Result<ClientCreds, Outcome> {
        if !self.declared {
            return ctx.cc_client().await;
        }
        let mut client = if ctx.run.target.client("cc").is_some() {
            ctx.file_client("cc")?
        } else {
            ctx.cc_client().await?
        };
        if let Some(scope) = &self.scope {
            client.scope = Some(scope.clone());
        }
        Ok(client)
    }

    /// The token response to client_credentials for `client`. Without one there is nothing to
    /// present to a declared resource: a skip (the token endpoint's checks judge the grant).
    pub(super) async fn issue(&self, ctx: &Ctx, client: &ClientCreds) -> Result<Value, Outcome> {
        let reply = ctx.client_credentials(client).await?;
        if reply.status != 200 {
            let expected = "200 from client_credentials";
            return Err(if self.declared {
                skip(format!(
                    "clients.cc got no token for the [resource] (scope {}): {}",
                    client.scope.as_deref().unwrap_or("none"),
                    reply.summary()
                ))
            } else {
                fail(expected, reply.summary())
            });
        }
        reply.json()
    }

    /// A fresh access token of `client` for this resource.
    pub(in crate::checks) async fn token_of(
        &self,
        ctx: &Ctx,
        client: &ClientCreds,
    ) -> Result<String, Outcome> {
        member(&self.issue(ctx, client).await?, "access_token")
    }

    /// This resource's client and a fresh access token of it.
    pub(in crate::checks) async fn token(
        &self,
        ctx: &Ctx,
    ) -> Result<(ClientCreds, String), Outcome> {
        let client = self.client(ctx).await?;
        let token = self.token_of(ctx, &client).await?;
        Ok((client, token))
    }

    /// `METHOD url`, for messages.
    pub(in crate::checks) fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// The resource's method to `url`, with this `Authorization` value (or none).
    pub(super) fn request(
        &self,
        ctx: &Ctx,
        url: &str,
        authorization: Option<&str>,
    ) -> RequestBuilder {
        let mut request = ctx.http().request(self.method.clone(), url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request
    }

    /// The resource's answer to this `Authorization` value (or none).
    pub(in crate::checks) async fn call(
        &self,
        ctx: &Ctx,
        authorization: Option<&str>,
    ) -> Result<Reply, Outcome> {
        self.send(ctx, self.request(ctx, &self.url, authorization))
            .await
    }

    /// Sends a request to this resource; a 404 means there is nothing here to judge.
    pub(super) async fn send(&self, ctx: &Ctx, request: RequestBuilder) -> Result<Reply, Outcome> {
        let reply = ctx.send(request).await?;
        if reply.status == 404 {
            return Err(skip(if self.declared {
                format!("the [resource] answers 404 at {}", self.label())
            } else {
                "the target has no demo protected resource at this path".to_owned()
            }));
        }
        Ok(reply)
    }

    /// Is `token` served here (2xx)?
    pub(in crate::checks) async fn serves(&self, ctx: &Ctx, token: &str) -> Result<bool, Outcome> {
        let reply = self.call(ctx, Some(&bearer(token))).await?;
        Ok(is_success(reply.status))
    }

    /// This resource's URL with `name=value` added to its query.
    pub(super) fn with_query(&self, name: &str, value: &str) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.url, form_pair(name, value))
    }
}

/// The reference server's demo resource at `path`, beside its admin API; else a skip.
pub(super) fn demo_resource(ctx: &Ctx, path: &str, reason: &str) -> Result<String, Outcome> {
    if !ctx.has_admin() {
        return Err(skip(reason));
    }
    Ok(ctx.run.url(path))
}

pub(in crate::checks) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub(in crate::checks) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}
