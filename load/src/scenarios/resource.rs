//! Bearer calls to the demo resource with a wallet client's token (RFC 6750).

use std::sync::Arc;

use goose::prelude::*;
use serde_json::Value;

use super::{
    Operation, Persona, client_only, pick, setup_operation, store_token, stored_token, with_fixture,
};
use crate::environment::Fixture;
use crate::http::{get, json_200};

/// `GET /resources/wallet/reports` with the user's bearer token.
pub const RESOURCE: &str = "GET /resources bearer";
/// The transaction around it.
pub const CALL: &str = "resource call";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "resource",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, setup)),
        operations: vec![Operation {
            name: CALL,
            weight: 1,
            function: with_fixture!(fixture, call),
        }],
    }
}

async fn setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    client_only(user, fixture).await?;
    let client = pick(user, &fixture.resource_clients)?.credentials.clone();
    store_token(user, fixture, &client).await
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
