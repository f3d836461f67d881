//! The bare HTTP ceiling of the same server: `GET /healthz`, no authentication, no storage.

use std::sync::Arc;

use goose::prelude::*;

use super::{Operation, Persona, client_only, setup_operation, with_fixture};
use crate::environment::Fixture;
use crate::http::{body_of_200, failure, get};

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
