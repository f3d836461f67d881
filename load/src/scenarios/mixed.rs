//! A weighted mix of the personas, roughly as a deployment serving machines and people sees
//! it: mostly client_credentials and token checks, some people signing in and refreshing.

use std::sync::Arc;

use super::{Persona, authorization_code, client_credentials, introspection, refresh, resource};
use crate::environment::Fixture;

pub fn personas(fixture: &Arc<Fixture>) -> Vec<Persona> {
    let weighted = |mut persona: Persona, weight: usize| {
        persona.weight = weight;
        persona
    };
    let mut personas = vec![
        weighted(client_credentials::persona(fixture), 6),
        weighted(introspection::persona(fixture), 3),
        weighted(authorization_code::persona(fixture), 1),
        weighted(refresh::persona(fixture), 1),
    ];
    // The demo resources exist only where clients could be created for them.
    if !fixture.resource_clients.is_empty() {
        personas.push(weighted(resource::persona(fixture), 2));
    }
    personas
}
