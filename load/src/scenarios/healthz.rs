//! The bare HTTP ceiling of the same server: `GET /healthz`, no authentication, no storage.

use std::sync::Arc;

use goose::prelude::*;

use super::{
    Operation, Persona, client_only, custom, install_lean_user, lean_user, setup_operation,
    with_fixture,
};
use crate::environment::Fixture;
use crate::http::{body_of_200, failure, get};
use crate::lean::{Answer, Origin, RequestBody};

pub const HEALTHZ: &str = "GET /healthz";
/// The transaction around it.
pub const PROBE: &str = "healthz";

pub fn persona(fixture: &Arc<Fixture>) -> Persona {
    Persona {
        name: "healthz",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, client_only)),
        operations: vec![Operation {
            name: PROBE,
            weight: 1,
            function: with_fixture!(fixture, healthz),
        }],
    }
}

async fn healthz(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let goose = get(user, HEALTHZ, &fixture.healthz, None).await?;
    let (mut request, body) = body_of_200(user, goose).await?;
    if body.trim().is_empty() {
        return Err(failure(user, &mut request, "an empty health answer"));
    }
    Ok(())
}

/// The sweep's healthz user: the same transaction through the lean client (see
/// [`crate::lean`]); `None` when the URL is not `http://`.
pub fn lean_persona(fixture: &Arc<Fixture>) -> Option<Persona> {
    Origin::of(&fixture.healthz)?;
    Some(Persona {
        name: "healthz",
        weight: 1,
        setup: setup_operation(with_fixture!(fixture, lean_setup)),
        operations: vec![Operation {
            name: PROBE,
            weight: 1,
            function: with_fixture!(fixture, lean_healthz),
        }],
    })
}

async fn lean_setup(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    let (origin, target) =
        Origin::of(&fixture.healthz).ok_or_else(|| custom("the health URL is not http://"))?;
    let request = origin
        .request(hyper::Method::GET, &target)
        .body(RequestBody::default())
        .map_err(|e| custom(e.to_string()))?;
    install_lean_user(user, fixture, origin, vec![request]).await
}

async fn lean_healthz(user: &mut GooseUser, _: &Fixture) -> TransactionResult {
    let answer = lean_user(user)?.send(0).await.map_err(custom)?;
    health_answer(&answer).map_err(custom)
}

/// What the goose transaction checks, on a lean answer: a 200 with a non-empty body.
pub fn health_answer(answer: &Answer) -> Result<(), String> {
    if answer.body_of_200()?.trim_ascii().is_empty() {
        return Err("an empty health answer".to_owned());
    }
    Ok(())
}
