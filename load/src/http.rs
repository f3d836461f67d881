//! Requests from inside goose transactions: the user's client, named form posts and GETs, and
//! the body checks that turn a 200 of the wrong shape into a failure.
//!
//! Secrets travel in `Authorization` (reqwest marks Basic and Bearer values sensitive, so
//! goose's logs print `Sensitive`) or in form bodies, which goose logs only with
//! `--request-body`, an option `load` refuses. Failure tags never quote a response body.

use goose::goose::GooseResponse;
use goose::metrics::GooseRequestMetric;
use goose::prelude::*;
use serde_json::Value;

use crate::environment::{ClientCredentials, Fixture, form_encode};

/// How a client proves its secret at the token, introspection and check_token endpoints.
#[derive(Debug, Clone, Copy)]
pub enum ClientAuth<'a> {
    /// `client_secret_basic`.
    Basic(&'a ClientCredentials),
    /// `client_secret_post`: id and secret in the form body.
    Body(&'a ClientCredentials),
}

/// Gives the user its own client: no redirects followed (the code flow reads `Location`, and a
/// client's redirect URI is never visited), a cookie jar, and keep-alive unless the run asks
/// for a new connection per request.
///
/// No proxy: the figures are the target's, and reqwest would otherwise match every request
/// against the environment's proxy rules. Over plain HTTP the client loads no trusted roots:
/// reading the system's certificates cost every user milliseconds of CPU at its start.
pub fn install_client(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .timeout(fixture.request_timeout);
    if fixture.new_connection {
        builder = builder.pool_max_idle_per_host(0);
    }
    if fixture.origin.starts_with("http://") {
        builder = builder.tls_certs_only([]);
    }
    user.client = builder
        .build()
        .map_err(|e| Box::new(TransactionError::Reqwest(e)))?;
    Ok(())
}

// Requests are built on the user's client from the absolute URL, rather than through goose's
// `get_request_builder`, which joins the URL to the host and parses the result again on every
// request; goose's `request` still sends and records them.

/// A form POST to `url`, recorded under `name`.
pub async fn post_form(
    user: &mut GooseUser,
    name: &str,
    url: &str,
    auth: Option<ClientAuth<'_>>,
    fields: &[(&str, &str)],
) -> Result<GooseResponse, Box<TransactionError>> {
    post_form_expecting(user, name, url, auth, fields, None).await
}

/// The same, for a form whose success is `expected` (a 303 after a login or consent form)
/// rather than any 2xx.
pub async fn post_form_expecting(
    user: &mut GooseUser,
    name: &str,
    url: &str,
    auth: Option<ClientAuth<'_>>,
    fields: &[(&str, &str)],
    expected: Option<u16>,
) -> Result<GooseResponse, Box<TransactionError>> {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    let mut builder = user.client.request(reqwest::Method::POST, url);
    match auth {
        Some(ClientAuth::Basic(client)) => {
            builder = builder.basic_auth(
                form_encode(&client.id),
                Some(form_encode(client.secret.expose())),
            );
        }
        Some(ClientAuth::Body(client)) => {
            form.push(("client_id", &client.id));
            form.push(("client_secret", client.secret.expose()));
        }
        None => {}
    }
    let mut request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(url)
        .name(request_name(name, "POST "))
        .set_request_builder(builder.form(&form));
    if let Some(status) = expected {
        request = request.expect_status_code(status);
    }
    let request = request.build();
    user.request(request).await
}

/// Goose puts the method before a request's name; the transaction names start with it too.
fn request_name<'n>(name: &'n str, method: &str) -> &'n str {
    name.strip_prefix(method).unwrap_or(name)
}

/// A GET of `url`, recorded under `name`, with an optional bearer token.
pub async fn get(
    user: &mut GooseUser,
    name: &str,
    url: &str,
    bearer: Option<&str>,
) -> Result<GooseResponse, Box<TransactionError>> {
    let mut builder = user.client.request(reqwest::Method::GET, url);
    if let Some(token) = bearer {
        builder = builder.bearer_auth(token);
    }
    let request = GooseRequest::builder()
        .method(GooseMethod::Get)
        .path(url)
        .name(request_name(name, "GET "))
        .set_request_builder(builder)
        .build();
    user.request(request).await
}

/// Marks the request failed with `reason` (never a body: it may hold a token).
pub fn failure(
    user: &mut GooseUser,
    request: &mut GooseRequestMetric,
    reason: &str,
) -> Box<TransactionError> {
    match user.set_failure(reason, request, None, None) {
        Err(error) => error,
        Ok(()) => Box::new(TransactionError::Custom(reason.to_owned())),
    }
}

/// The request's metric and the body of its 200, or the request marked failed.
pub async fn body_of_200(
    user: &mut GooseUser,
    goose: GooseResponse,
) -> Result<(GooseRequestMetric, String), Box<TransactionError>> {
    let GooseResponse {
        mut request,
        response,
    } = goose;
    let Ok(response) = response else {
        return Err(failure(user, &mut request, "no response"));
    };
    let status = response.status().as_u16();
    if status != 200 {
        return Err(failure(
            user,
            &mut request,
            &format!("status {status}, not 200"),
        ));
    }
    match response.text().await {
        Ok(text) => Ok((request, text)),
        Err(_) => Err(failure(user, &mut request, "the body could not be read")),
    }
}

/// A 200 with a JSON object that passes `check`; anything else marks the request failed.
pub async fn json_200(
    user: &mut GooseUser,
    goose: GooseResponse,
    check: impl FnOnce(&Value) -> Result<(), String>,
) -> Result<Value, Box<TransactionError>> {
    let (mut request, text) = body_of_200(user, goose).await?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return Err(failure(
                user,
                &mut request,
                "a 200 whose body is not a JSON object",
            ));
        }
    };
    match check(&value) {
        Ok(()) => Ok(value),
        Err(reason) => Err(failure(user, &mut request, &reason)),
    }
}

/// RFC 6749 §5.1: a successful token response.
pub fn token_response(value: &Value, wants_refresh: bool) -> Result<(), String> {
    non_empty_string(value, "access_token")?;
    match value.get("token_type").and_then(Value::as_str) {
        Some(kind) if kind.eq_ignore_ascii_case("bearer") => {}
        _ => return Err("token response without token_type Bearer".to_owned()),
    }
    if let Some(expires_in) = value.get("expires_in")
        && expires_in.as_u64().is_none_or(|s| s == 0)
    {
        return Err("token response with a non-positive expires_in".to_owned());
    }
    if wants_refresh {
        non_empty_string(value, "refresh_token")?;
    }
    Ok(())
}

pub fn non_empty_string<'v>(value: &'v Value, field: &str) -> Result<&'v str, String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("no {field} in the response"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_response_needs_a_bearer_access_token() {
        let good = json!({"access_token": "t", "token_type": "bearer", "expires_in": 3600});

        assert!(token_response(&good, false).is_ok());
        assert!(token_response(&json!({"token_type": "Bearer"}), false).is_err());
        assert!(token_response(&json!({"access_token": "t", "token_type": "mac"}), false).is_err());
        assert!(
            token_response(
                &json!({"access_token": "t", "token_type": "Bearer", "expires_in": 0}),
                false
            )
            .is_err()
        );
        assert!(
            token_response(&good, true).is_err(),
            "a refresh token was wanted"
        );
    }
}
