//! A resource owner's client asking about its own token (RFC 7662): the read path.

use std::sync::Arc;

use goose::prelude::*;
use serde_json::Value;

use super::{
    Operation, Persona, client_only, custom, pick_cc, setup_operation, store_token, stored_token,
    with_fixture,
};
use crate::environment::Fixture;
use crate::http::{ClientAuth, json_200, post_form};

/// Introspection of the user's client_credentials token by its client (Basic).
pub const INTROSPECT: &str = "POST /introspect";
/// The transaction around it.
pub const INTROSPECTION: &str = "introspect";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "introspection",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, setup)),
        operations: vec![Operation {
            name: INTROSPECTION,
            weight: 1,
            function: with_fixture!(fixture, introspect),
        }],
    }
}

/// The user's client, and one client_credentials token to ask about.
pub async fn setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    client_only(user, fixture).await?;
    let client = pick_cc(user, fixture)?.clone();
    store_token(user, fixture, &client).await
}

async fn introspect(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let url = fixture
        .endpoints
        .introspection
        .clone()
        .ok_or_else(|| custom("the target's metadata names no introspection_endpoint"))?;
    let client = pick_cc(user, fixture)?.clone();
    let token = stored_token(user)?;
    let goose = post_form(
        user,
        INTROSPECT,
        &url,
        Some(ClientAuth::Basic(&client)),
        &[("token", &token)],
    )
    .await?;
    json_200(user, goose, |v| {
        if v.get("active") != Some(&Value::Bool(true)) {
            return Err("introspection of a live token without active: true".to_owned());
        }
        match v.get("client_id").and_then(Value::as_str) {
            Some(id) if id != client.id => Err("introspection names another client".to_owned()),
            _ => Ok(()),
        }
    })
    .await
    .map(drop)
}
