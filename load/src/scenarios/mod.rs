//! One module per persona. A persona is a setup (the user's client, and whatever token it
//! needs) and weighted operations; each operation is one goose transaction whose requests
//! are named by endpoint and grant, so goose's report reads like the server's API.
//!
//! `load run` registers the operations as they are; `load sweep` wraps each in a pacer
//! (see [`crate::capacity`]).

pub mod authorization_code;
pub mod check_token;
pub mod client_credentials;
pub mod healthz;
pub mod introspection;
pub mod mixed;
pub mod refresh;
pub mod resource;

use std::sync::Arc;

use goose::prelude::*;

use crate::environment::{ClientCredentials, Fixture, Needs};
use crate::http::install_client;

/// `with_fixture!(fixture, function)`: a goose transaction function that calls
/// `function(user, &fixture)`, an `async fn(&mut GooseUser, &Fixture) -> TransactionResult`.
macro_rules! with_fixture {
    ($fixture:expr, $function:path) => {{
        let fixture = ::std::sync::Arc::clone($fixture);
        let function: ::goose::prelude::TransactionFunction = ::std::sync::Arc::new(move |user| {
            let fixture = ::std::sync::Arc::clone(&fixture);
            Box::pin(
                async move { $crate::scenarios::not_canceled($function(user, &fixture).await) },
            )
        });
        function
    }};
}
pub(crate) use with_fixture;

/// A request goose cancels because a throttled run is ending was never sent: goose would
/// count its transaction failed (one per user at the end of every throttled run).
pub fn not_canceled(result: TransactionResult) -> TransactionResult {
    match result {
        Err(error) if matches!(*error, TransactionError::RequestCanceled { .. }) => Ok(()),
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ScenarioName {
    ClientCredentials,
    AuthorizationCode,
    Refresh,
    Introspection,
    CheckToken,
    Resource,
    Mixed,
    Healthz,
}

impl ScenarioName {
    pub const ALL: [Self; 8] = [
        Self::ClientCredentials,
        Self::AuthorizationCode,
        Self::Refresh,
        Self::Introspection,
        Self::CheckToken,
        Self::Resource,
        Self::Mixed,
        Self::Healthz,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
            Self::Refresh => "refresh",
            Self::Introspection => "introspection",
            Self::CheckToken => "check_token",
            Self::Resource => "resource",
            Self::Mixed => "mixed",
            Self::Healthz => "healthz",
        }
    }

    /// The clients the environment must provide.
    pub fn needs(self) -> Needs {
        let mut needs = Needs::default();
        match self {
            Self::ClientCredentials | Self::Introspection | Self::CheckToken => {
                needs.client_credentials = true;
            }
            Self::AuthorizationCode | Self::Refresh => needs.code = true,
            Self::Resource => needs.resource = true,
            Self::Mixed => {
                needs.client_credentials = true;
                needs.code = true;
                needs.resource_if_admin = true;
            }
            Self::Healthz => {}
        }
        needs
    }

    /// The personas this scenario runs, with their weights.
    pub fn personas(self, fixture: &Arc<Fixture>) -> Vec<Persona> {
        match self {
            Self::ClientCredentials => vec![client_credentials::persona(fixture)],
            Self::AuthorizationCode => vec![authorization_code::persona(fixture)],
            Self::Refresh => vec![refresh::persona(fixture)],
            Self::Introspection => vec![introspection::persona(fixture)],
            Self::CheckToken => vec![check_token::persona(fixture)],
            Self::Resource => vec![resource::persona(fixture)],
            Self::Mixed => mixed::personas(fixture),
            Self::Healthz => vec![healthz::persona(fixture)],
        }
    }
}

impl std::fmt::Display for ScenarioName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One weighted transaction of a persona; `name` is its metric.
#[derive(Clone)]
pub struct Operation {
    pub name: &'static str,
    pub weight: usize,
    pub function: TransactionFunction,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

/// A goose scenario before registration: its setup and its operations.
#[derive(Debug, Clone)]
pub struct Persona {
    pub name: &'static str,
    pub weight: usize,
    pub setup: Operation,
    pub operations: Vec<Operation>,
}

impl Persona {
    /// The goose scenario: setup on start, then the operations by weight. `wrap` lets the
    /// sweep put its pacer around each operation.
    pub fn into_scenario(
        self,
        wrap: impl Fn(TransactionFunction) -> TransactionFunction,
    ) -> Result<Scenario, GooseError> {
        let mut scenario = Scenario::new(self.name).set_weight(self.weight)?;
        scenario = scenario.register_transaction(
            Transaction::new(self.setup.function)
                .set_name(self.setup.name)
                .set_on_start(),
        );
        for operation in self.operations {
            scenario = scenario.register_transaction(
                Transaction::new(wrap(operation.function))
                    .set_name(operation.name)
                    .set_weight(operation.weight)?,
            );
        }
        Ok(scenario)
    }

    /// Every metric name this persona's requests and transactions may carry.
    pub fn transaction_names(&self) -> Vec<&'static str> {
        self.operations.iter().map(|o| o.name).collect()
    }
}

/// What a user keeps between its transactions.
#[derive(Clone, Default)]
pub struct UserState {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for UserState {
    // Tokens are live credentials: say whether they are there, never what they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserState")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The setup every persona starts with: the user's own HTTP client.
pub async fn client_only(user: &mut GooseUser, fixture: &Fixture) -> TransactionResult {
    install_client(user, fixture)?;
    user.set_session_data(UserState::default());
    Ok(())
}

pub(crate) fn setup_operation(function: TransactionFunction) -> Operation {
    Operation {
        name: "setup",
        weight: 1,
        function,
    }
}

/// Users spread over the provisioned clients by their index.
pub fn pick<'i, T>(user: &GooseUser, items: &'i [T]) -> Result<&'i T, Box<TransactionError>> {
    if items.is_empty() {
        return Err(custom(
            "the environment provided no client for this scenario",
        ));
    }
    Ok(&items[user.weighted_users_index % items.len()])
}

pub fn pick_cc<'f>(
    user: &GooseUser,
    fixture: &'f Fixture,
) -> Result<&'f ClientCredentials, Box<TransactionError>> {
    pick(user, &fixture.cc_clients)
}

pub fn custom(message: impl Into<String>) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(message.into()))
}

/// Name of the token request a setup makes (introspection, check_token, resource).
pub const SETUP_TOKEN: &str = "POST /token client_credentials basic (setup)";

/// The setup of users who use one token: a client_credentials token for `client`, kept in
/// the user's session for `stored_token`.
pub async fn store_token(
    user: &mut GooseUser,
    fixture: &Fixture,
    client: &ClientCredentials,
) -> TransactionResult {
    let token = client_credentials::token(
        user,
        fixture,
        crate::http::ClientAuth::Basic(client),
        SETUP_TOKEN,
    )
    .await?;
    user.set_session_data(UserState {
        access_token: Some(token),
        refresh_token: None,
    });
    Ok(())
}

/// The access token the setup stored.
pub fn stored_token(user: &GooseUser) -> Result<String, Box<TransactionError>> {
    user.get_session_data::<UserState>()
        .and_then(|s| s.access_token.clone())
        .ok_or_else(|| custom("the setup obtained no access token"))
}
