//! Machine-to-machine clients: `client_credentials` grants, half with Basic authentication and
//! half with the secret in the body, spread over many clients.

use std::sync::Arc;

use goose::prelude::*;

use super::{Operation, Persona, client_only, custom, pick_cc, setup_operation, with_fixture};
use crate::environment::Fixture;
use crate::http::{ClientAuth, json_200, non_empty_string, post_form, token_response};

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
