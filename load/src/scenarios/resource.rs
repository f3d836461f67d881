//! Bearer calls to the demo resource with a wallet client's token (RFC 6750).

use std::sync::Arc;

use goose::prelude::*;
use serde_json::Value;

use super::{
    Operation, Persona, UserState, client_only, pick, setup_operation, stored_token, with_fixture,
};
use crate::environment::Fixture;
use crate::http::{ClientAuth, get, json_200};

pub const RESOURCE: &str = "GET /resources/wallet/reports bearer";
pub const SETUP_TOKEN: &str = "POST /token client_credentials basic (setup)";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "resource",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, setup)),
        operations: vec![Operation {
            name: RESOURCE,
            weight: 1,
            function: with_fixture!(fixture, call),
        }],
    }
}

async fn setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    client_only(user, fixture).await?;
    let client = pick(user, &fixture.resource_clients)?.credentials.clone();
    let token =
        super::client_credentials::token(user, fixture, ClientAuth::Basic(&client), SETUP_TOKEN)
            .await?;
    user.set_session_data(UserState {
        access_token: Some(token),
        refresh_token: None,
    });
    Ok(())
}

async fn call(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let url = pick(user, &fixture.resource_clients)?.url.clone();
    let token = stored_token(user)?;
    let goose = get(user, RESOURCE, &url, Some(&token)).await?;
    json_200(user, goose, |v| {
        if v.get("resource").and_then(Value::as_str) != Some("wallet/reports") {
            return Err("the resource answered without naming itself".to_owned());
        }
        Ok(())
    })
    .await
    .map(drop)
}
