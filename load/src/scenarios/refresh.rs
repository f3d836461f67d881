//! A web client keeping its session alive: one code grant per user, then refresh-token grants,
//! each rotating the refresh token when the server issues a new one.

use std::sync::Arc;

use goose::prelude::*;

use super::{
    Operation, Persona, UserState, client_only, custom, pick, setup_operation, with_fixture,
};
use crate::environment::Fixture;
use crate::http::{ClientAuth, json_200, post_form, token_response};

/// A refresh_token grant, authenticated with `client_secret_basic`.
pub const REFRESH: &str = "POST /token refresh";
/// The transaction around it.
pub const REFRESH_GRANT: &str = "token refresh";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "refresh",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, setup)),
        operations: vec![Operation {
            name: REFRESH_GRANT,
            weight: 1,
            function: with_fixture!(fixture, refresh),
        }],
    }
}

async fn setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    client_only(user, fixture).await?;
    let granted = super::authorization_code::code_grant(user, fixture, true).await?;
    user.set_session_data(UserState {
        access_token: Some(granted.access_token),
        refresh_token: granted.refresh_token,
    });
    Ok(())
}

async fn refresh(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let client = pick(user, &fixture.code_clients)?.credentials.clone();
    let url = fixture.token_endpoint().map_err(custom)?.to_owned();
    let refresh_token = user
        .get_session_data::<UserState>()
        .and_then(|s| s.refresh_token.clone())
        .ok_or_else(|| custom("the setup obtained no refresh token"))?;
    let goose = post_form(
        user,
        REFRESH,
        &url,
        Some(ClientAuth::Basic(&client)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ],
    )
    .await?;
    let body = json_200(user, goose, |v| token_response(v, false)).await?;
    let rotated = body
        .get("refresh_token")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    if let (Some(rotated), Some(state)) = (rotated, user.get_session_data_mut::<UserState>()) {
        state.refresh_token = Some(rotated);
    }
    Ok(())
}
