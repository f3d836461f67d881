//! Spring Security OAuth's `check_token`, as a `RemoteTokenServices` resource server calls it.

use std::sync::Arc;

use goose::prelude::*;
use serde_json::Value;

use super::{Operation, Persona, custom, pick_cc, setup_operation, stored_token, with_fixture};
use crate::environment::Fixture;
use crate::http::{ClientAuth, json_200, post_form};

/// `check_token` of the user's client_credentials token by its client (Basic).
pub const CHECK_TOKEN: &str = "POST /check_token";
/// The transaction around it.
pub const CHECK: &str = "check_token";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "check_token",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, super::introspection::setup)),
        operations: vec![Operation {
            name: CHECK,
            weight: 1,
            function: with_fixture!(fixture, check_token),
        }],
    }
}

async fn check_token(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let url = fixture
        .endpoints
        .check_token
        .clone()
        .ok_or_else(|| custom("the target has no token endpoint to put check_token beside"))?;
    let client = pick_cc(user, fixture)?.clone();
    let token = stored_token(user)?;
    let goose = post_form(
        user,
        CHECK_TOKEN,
        &url,
        Some(ClientAuth::Basic(&client)),
        &[("token", &token)],
    )
    .await?;
    json_200(user, goose, |v| {
        if v.get("client_id").and_then(Value::as_str) != Some(client.id.as_str()) {
            return Err("check_token without the token's client_id".to_owned());
        }
        if !v.get("scope").is_some_and(Value::is_array) {
            return Err("check_token without a scope array".to_owned());
        }
        if !v.get("exp").is_some_and(Value::is_u64) {
            return Err("check_token without a numeric exp".to_owned());
        }
        Ok(())
    })
    .await
    .map(drop)
}
