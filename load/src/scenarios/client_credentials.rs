//! Machine-to-machine clients: `client_credentials` grants, half with Basic authentication and
//! half with the secret in the body, spread over many clients.

use std::sync::Arc;

use goose::prelude::*;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};

use super::{
    Operation, Persona, client_only, custom, install_lean_user, lean_user, pick_cc,
    setup_operation, with_fixture,
};
use crate::environment::{Fixture, form_encode};
use crate::http::{ClientAuth, json_200, non_empty_string, post_form, token_response};
use crate::lean::{Answer, Origin, RequestBody};

/// The request of a grant authenticated with `client_secret_basic`.
pub const BASIC: &str = "POST /token cc basic";
/// The same with `client_secret_post`: the secret in the form body.
pub const BODY: &str = "POST /token cc body";
/// The transactions around them.
pub const BASIC_GRANT: &str = "token cc basic";
pub const BODY_GRANT: &str = "token cc body";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "client_credentials",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, client_only)),
        operations: vec![
            Operation {
                name: BASIC_GRANT,
                weight: 1,
                function: with_fixture!(fixture, basic),
            },
            Operation {
                name: BODY_GRANT,
                weight: 1,
                function: with_fixture!(fixture, body),
            },
        ],
    }
}

async fn basic(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let client = pick_cc(user, fixture)?.clone();
    token(user, fixture, ClientAuth::Basic(&client), BASIC)
        .await
        .map(drop)
}

async fn body(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let client = pick_cc(user, fixture)?.clone();
    token(user, fixture, ClientAuth::Body(&client), BODY)
        .await
        .map(drop)
}

/// A client_credentials grant; returns the access token.
pub async fn token(
    user: &mut GooseUser,
    fixture: &Fixture,
    auth: ClientAuth<'_>,
    name: &str,
) -> Result<String, Box<TransactionError>> {
    let url = fixture.token_endpoint().map_err(custom)?;
    let mut fields = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &fixture.cc_scope {
        fields.push(("scope", scope));
    }
    let goose = post_form(user, name, url, Some(auth), &fields).await?;
    let body = json_200(user, goose, |v| token_response(v, false)).await?;
    non_empty_string(&body, "access_token")
        .map(str::to_owned)
        .map_err(custom)
}

/// The sweep's client_credentials user: the same two transactions through the lean client
/// (see [`crate::lean`]), each request built once at the user's setup; `None` when the token
/// endpoint is not `http://`.
pub fn lean_persona(fixture: &Arc<Fixture>) -> Option<Persona> {
    Origin::of(fixture.token_endpoint().ok()?)?;
    Some(Persona {
        name: "client_credentials",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, lean_setup)),
        operations: vec![
            Operation {
                name: BASIC_GRANT,
                weight: 1,
                function: with_fixture!(fixture, lean_basic),
            },
            Operation {
                name: BODY_GRANT,
                weight: 1,
                function: with_fixture!(fixture, lean_body),
            },
        ],
    })
}

/// The index of each grant's request in the user's [`crate::lean::LeanUser`].
const LEAN_BASIC: usize = 0;
const LEAN_BODY: usize = 1;

async fn lean_setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let client = pick_cc(user, fixture)?;
    let (origin, target) = Origin::of(fixture.token_endpoint().map_err(custom)?)
        .ok_or_else(|| custom("the token endpoint is not http://"))?;
    let mut fields = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &fixture.cc_scope {
        fields.push(("scope", scope));
    }
    // client_secret_basic: RFC 6749 §2.3.1, id and secret form-encoded before base64.
    let credentials = format!(
        "{}:{}",
        form_encode(&client.id),
        form_encode(client.secret.expose())
    );
    let mut basic = HeaderValue::try_from(format!("Basic {}", BASE64.encode(credentials)))
        .map_err(|e| custom(e.to_string()))?;
    basic.set_sensitive(true);
    let basic_body = form(&fields);
    fields.push(("client_id", &client.id));
    fields.push(("client_secret", client.secret.expose()));
    let body_body = form(&fields);
    let post = |body: Bytes| {
        origin
            .request(hyper::Method::POST, &target)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(CONTENT_LENGTH, body.len())
    };
    let requests = vec![
        post(basic_body.clone())
            .header(AUTHORIZATION, basic)
            .body(RequestBody::new(basic_body)),
        post(body_body.clone()).body(RequestBody::new(body_body)),
    ]
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| custom(e.to_string()))?;
    install_lean_user(user, fixture, origin, requests).await
}

fn form(fields: &[(&str, &str)]) -> Bytes {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into()
}

async fn lean_basic(user: &mut GooseUser, _: &Fixture) -> TransactionResult {
    let answer = lean_user(user)?.send(LEAN_BASIC).await.map_err(custom)?;
    token_answer(&answer).map_err(custom)
}

async fn lean_body(user: &mut GooseUser, _: &Fixture) -> TransactionResult {
    let answer = lean_user(user)?.send(LEAN_BODY).await.map_err(custom)?;
    token_answer(&answer).map_err(custom)
}

/// What the goose transaction checks, on a lean answer: a 200 whose body is a JSON object
/// and a token response (RFC 6749 §5.1).
pub fn token_answer(answer: &Answer) -> Result<(), String> {
    match serde_json::from_slice(answer.body_of_200()?) {
        Ok(value @ serde_json::Value::Object(_)) => token_response(&value, false),
        _ => Err("a 200 whose body is not a JSON object".to_owned()),
    }
}
