//! One module per persona. A persona is a setup (the user's client, and whatever token it
//! needs) and weighted operations; each operation is one goose transaction whose requests
//! are named by endpoint and grant, so goose's report reads like the server's API.
//!
//! Goose's console tables cut a name to 24 characters (a transaction's after its `  N: `
//! index), so the names are short enough to stay whole, and [`REQUESTS`] and [`TRANSACTIONS`]
//! say in full what each counts.
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

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
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

    /// The personas of a sweep step: where the scenario has them (`healthz`,
    /// `client_credentials`, over `http://`) and goose's per-request metrics are off, users on
    /// the lean client ([`crate::lean`]), which bypasses reqwest and goose's request layer;
    /// otherwise those of [`ScenarioName::personas`].
    pub fn sweep_personas(self, fixture: &Arc<Fixture>, goose_metrics: bool) -> Vec<Persona> {
        let lean = match self {
            _ if goose_metrics => None,
            Self::Healthz => healthz::lean_persona(fixture),
            Self::ClientCredentials => client_credentials::lean_persona(fixture),
            _ => None,
        };
        lean.map_or_else(|| self.personas(fixture), |persona| vec![persona])
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

    /// Its transactions' names in goose's order: the setup, then the operations.
    pub fn transaction_names(&self) -> Vec<&'static str> {
        std::iter::once(self.setup.name)
            .chain(self.operations.iter().map(|o| o.name))
            .collect()
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

/// The name of every persona's setup transaction.
pub const SETUP: &str = "setup";

pub(crate) fn setup_operation(function: TransactionFunction) -> Operation {
    Operation {
        name: SETUP,
        weight: 1,
        function,
    }
}

/// A sweep user's setup: its lean client for `requests` on `origin`, connected before the step
/// times anything.
pub(crate) async fn install_lean_user(
    user: &mut GooseUser,
    fixture: &Fixture,
    origin: crate::lean::Origin,
    requests: Vec<hyper::Request<crate::lean::RequestBody>>,
) -> TransactionResult {
    let lean = crate::lean::LeanUser::new(
        origin,
        requests,
        fixture.request_timeout,
        fixture.new_connection,
    );
    lean.connect().await.map_err(custom)?;
    user.set_session_data(lean);
    Ok(())
}

/// The lean client a sweep user's setup installed.
pub fn lean_user(user: &GooseUser) -> Result<&crate::lean::LeanUser, Box<TransactionError>> {
    user.get_session_data::<crate::lean::LeanUser>()
        .ok_or_else(|| custom("the setup installed no HTTP connection"))
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
pub const SETUP_TOKEN: &str = "POST /token cc (setup)";

/// A metric goose reports, and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The name goose shows; a request's starts with its method, as goose's key does.
    pub name: &'static str,
    /// What it counts, in full.
    pub meaning: &'static str,
}

/// Every request name the scenarios give goose.
pub const REQUESTS: &[Metric] = &[
    Metric {
        name: client_credentials::BASIC,
        meaning: "token request, grant client_credentials, client_secret_basic",
    },
    Metric {
        name: client_credentials::BODY,
        meaning: "token request, grant client_credentials, client_secret_post (secret in the body)",
    },
    Metric {
        name: SETUP_TOKEN,
        meaning: "a user's setup: one client_credentials token (client_secret_basic) to use later",
    },
    Metric {
        name: authorization_code::AUTHORIZE,
        meaning: "authorization request, response_type code with PKCE (S256)",
    },
    Metric {
        name: authorization_code::REDIRECT,
        meaning: "a redirect of the authorization flow that stays on the server's origin",
    },
    Metric {
        name: authorization_code::LOGIN,
        meaning: "the login form of the authorization flow (once per user)",
    },
    Metric {
        name: authorization_code::CONSENT,
        meaning: "the consent form of the authorization flow",
    },
    Metric {
        name: authorization_code::EXCHANGE,
        meaning: "token request, grant authorization_code with the PKCE verifier, client_secret_basic",
    },
    Metric {
        name: refresh::REFRESH,
        meaning: "token request, grant refresh_token, client_secret_basic",
    },
    Metric {
        name: introspection::INTROSPECT,
        meaning: "RFC 7662 introspection of a client_credentials token by its client",
    },
    Metric {
        name: check_token::CHECK_TOKEN,
        meaning: "Spring's check_token of a client_credentials token by its client",
    },
    Metric {
        name: resource::RESOURCE,
        meaning: "GET /resources/wallet/reports with a bearer token (RFC 6750)",
    },
    Metric {
        name: healthz::HEALTHZ,
        meaning: "GET /healthz: no authentication, no storage",
    },
];

/// Every transaction name the personas register.
pub const TRANSACTIONS: &[Metric] = &[
    Metric {
        name: SETUP,
        meaning: "a user's start: its HTTP client, and the token or grant its persona needs",
    },
    Metric {
        name: client_credentials::BASIC_GRANT,
        meaning: "one client_credentials grant with client_secret_basic",
    },
    Metric {
        name: client_credentials::BODY_GRANT,
        meaning: "one client_credentials grant with client_secret_post",
    },
    Metric {
        name: authorization_code::FLOW,
        meaning: "one authorization code flow: authorize, log in if asked, consent, exchange",
    },
    Metric {
        name: refresh::REFRESH_GRANT,
        meaning: "one refresh_token grant, following rotation",
    },
    Metric {
        name: introspection::INTROSPECTION,
        meaning: "one introspection of the user's token",
    },
    Metric {
        name: check_token::CHECK,
        meaning: "one check_token of the user's token",
    },
    Metric {
        name: resource::CALL,
        meaning: "one bearer call to the demo resource",
    },
    Metric {
        name: healthz::PROBE,
        meaning: "one GET /healthz",
    },
];

/// What a metric name counts, for a request or a transaction of ours.
pub fn meaning(name: &str) -> Option<&'static str> {
    REQUESTS
        .iter()
        .chain(TRANSACTIONS)
        .find(|metric| metric.name == name)
        .map(|metric| metric.meaning)
}

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use super::*;
    use crate::environment::ResourceClient;

    /// The width of goose's name column.
    const GOOSE_COLUMN: usize = 24;

    /// What goose's console tables print of a name (`util::truncate_string`): one longer than
    /// `width` characters keeps `width - 2` of them and gains `..`.
    fn as_goose_shows(name: &str, width: usize) -> String {
        if name.chars().count() > width {
            let kept: String = name.chars().take(width - 2).collect();
            format!("{kept}..")
        } else {
            name.to_owned()
        }
    }

    /// A fixture with a resource client, so `mixed` has every persona.
    fn fixture() -> Arc<Fixture> {
        let credentials = ClientCredentials {
            id: "wallet".into(),
            secret: conformance::target::Secret::new("s"),
        };
        Arc::new(Fixture {
            target_name: "test".into(),
            origin: "http://127.0.0.1:1".into(),
            endpoints: conformance::discovery::Endpoints::default(),
            cc_clients: Vec::new(),
            cc_scope: None,
            code_clients: Vec::new(),
            resource_clients: vec![ResourceClient {
                credentials,
                url: "http://127.0.0.1:1/resources/wallet/reports".into(),
            }],
            login: None,
            healthz: "http://127.0.0.1:1/healthz".into(),
            new_connection: false,
            request_timeout: Duration::from_secs(1),
        })
    }

    /// Goose keys a request by its method and name (`POST /token cc basic`), and its tables
    /// show 24 characters of the key: each must be whole there, and so tell the others apart.
    #[test]
    fn goose_tables_show_every_request_name_whole_and_distinct() {
        let mut prefixes = HashSet::new();
        for metric in REQUESTS {
            let name = metric.name;
            assert!(
                name.starts_with("GET ") || name.starts_with("POST "),
                "{name}: goose puts the method first, so the name does too"
            );
            assert_eq!(
                as_goose_shows(name, GOOSE_COLUMN),
                name,
                "{name}: cut by goose's table"
            );
            let prefix: String = name.chars().take(GOOSE_COLUMN).collect();
            assert!(
                prefixes.insert(prefix),
                "{name}: its first 24 characters repeat"
            );
        }
    }

    /// A transaction's row reads `  N: name` in the same column, under its scenario's name:
    /// whole, distinct within its persona, and listed in [`TRANSACTIONS`].
    #[test]
    fn goose_tables_show_every_transaction_name_whole_and_distinct() {
        let fixture = fixture();
        for scenario in ScenarioName::ALL {
            for persona in scenario.personas(&fixture) {
                let names = persona.transaction_names();
                let distinct: HashSet<_> = names.iter().collect();
                assert_eq!(distinct.len(), names.len(), "{scenario}: {names:?}");
                for (index, name) in names.iter().enumerate() {
                    let row = format!("  {}: {name}", index + 1);
                    assert_eq!(
                        as_goose_shows(&row, GOOSE_COLUMN),
                        row,
                        "{scenario}: cut by goose's table"
                    );
                    assert!(meaning(name).is_some(), "{scenario}: {name} is not listed");
                }
            }
        }
    }

    #[test]
    fn every_listed_name_has_one_meaning() {
        let names: Vec<_> = REQUESTS
            .iter()
            .chain(TRANSACTIONS)
            .map(|m| m.name)
            .collect();
        let distinct: HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
    }

    #[test]
    fn goose_cuts_a_long_name_as_its_table_does() {
        assert_eq!(
            as_goose_shows("POST /token client_credentials basic", GOOSE_COLUMN),
            "POST /token client_cre.."
        );
    }
}
