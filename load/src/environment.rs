//! The target under load: a target file or the embedded reference server, its endpoints,
//! and the clients the scenarios use. With an admin API, clients are created for the run and
//! deleted afterwards; without one, the target file's clients are used.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use conformance::discovery::Endpoints;
use conformance::embedded::{Embedded, start_reference};
use conformance::model::Profile;
use conformance::target::{LoginKind, Secret, Target};
use rand::Rng;
use serde_json::{Value, json};

use crate::cli::TargetArgs;

/// A client id and its secret; `Debug` never shows the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: Secret,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .finish()
    }
}

/// An authorization_code client: where its codes go and what it asks for.
#[derive(Debug, Clone)]
pub struct CodeClient {
    pub credentials: ClientCredentials,
    pub redirect_uri: String,
    pub scope: Option<String>,
}

/// How the user agent passes the login form.
#[derive(Debug, Clone)]
pub struct LoginForm {
    pub username: String,
    pub password: Secret,
}

/// What a demo-resource call needs: a client whose tokens the resource accepts.
#[derive(Debug, Clone)]
pub struct ResourceClient {
    pub credentials: ClientCredentials,
    /// Absolute URL of the resource, e.g. `{issuer}/resources/wallet/reports`.
    pub url: String,
}

/// Everything the transactions read; shared by every goose user.
#[derive(Debug)]
pub struct Fixture {
    pub target_name: String,
    /// `scheme://host:port`: goose's host.
    pub origin: String,
    pub endpoints: Endpoints,
    pub cc_clients: Vec<ClientCredentials>,
    pub cc_scope: Option<String>,
    pub code_clients: Vec<CodeClient>,
    pub resource_clients: Vec<ResourceClient>,
    /// `None`: the server logs in and consents by itself.
    pub login: Option<LoginForm>,
    pub healthz: String,
    /// Every request on a new connection (no keep-alive).
    pub new_connection: bool,
    pub request_timeout: Duration,
}

impl Fixture {
    pub fn token_endpoint(&self) -> Result<&str, String> {
        self.endpoints
            .token
            .as_deref()
            .ok_or_else(|| "the target's metadata names no token_endpoint".to_owned())
    }
}

/// What the figures depend on, written into every report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Facts {
    pub target: String,
    pub embedded: bool,
    pub secret_hashing: String,
    pub token_format: String,
    pub storage: String,
    pub connection: String,
}

/// Which clients a scenario needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub client_credentials: bool,
    pub code: bool,
    pub resource: bool,
    /// Demo-resource clients when the target has an admin API, none otherwise.
    pub resource_if_admin: bool,
}

/// The admin API of a reference-server-like target.
#[derive(Debug, Clone)]
struct AdminApi {
    http: reqwest::Client,
    clients_url: String,
    credentials: ClientCredentials,
}

impl AdminApi {
    /// Creates a client; returns its id and secret.
    async fn create(&self, body: Value) -> Result<ClientCredentials, String> {
        let response = self
            .http
            .post(&self.clients_url)
            .basic_auth(
                form_encode(&self.credentials.id),
                Some(form_encode(self.credentials.secret.expose())),
            )
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("admin API: {e}"))?;
        let status = response.status();
        let view: Value = response.json().await.unwrap_or(Value::Null);
        let id = view.get("client_id").and_then(Value::as_str);
        let secret = view.get("client_secret").and_then(Value::as_str);
        match (status.as_u16(), id, secret) {
            (201, Some(id), Some(secret)) => Ok(ClientCredentials {
                id: id.to_owned(),
                secret: Secret::new(secret),
            }),
            _ => Err(format!(
                "admin API: creating a {} client answered {status}: {}",
                body["kind"],
                view.get("error_description")
                    .and_then(Value::as_str)
                    .unwrap_or("no description")
            )),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), String> {
        let url = format!(
            "{}/{}",
            self.clients_url,
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        let response = self
            .http
            .delete(url)
            .basic_auth(
                form_encode(&self.credentials.id),
                Some(form_encode(self.credentials.secret.expose())),
            )
            .send()
            .await
            .map_err(|e| format!("admin API: deleting {id}: {e}"))?;
        match response.status().as_u16() {
            204 | 200 | 404 => Ok(()),
            status => Err(format!("admin API: deleting {id} answered {status}")),
        }
    }
}

/// A prepared target: the fixture, and what to undo at the end.
#[derive(Debug)]
pub struct Environment {
    pub fixture: Arc<Fixture>,
    pub facts: Facts,
    admin: Option<AdminApi>,
    created: Vec<String>,
    embedded: Option<Embedded>,
}

/// Redirect URI registered for provisioned code clients; never followed.
const PROVISIONED_REDIRECT: &str = "https://client.example/cb";

impl Environment {
    /// Starts or reads the target, discovers its endpoints and provisions what `needs` asks.
    pub async fn prepare(args: &TargetArgs, needs: Needs) -> Result<Self, String> {
        let (target, embedded) = match &args.target {
            Some(path) => (Target::load(path).map_err(|e| e.to_string())?, None),
            None => {
                // Vendor profile: it has check_token, which one scenario calls.
                let embedded = start_reference(Profile::Vendor).await?;
                (embedded.target.clone(), Some(embedded))
            }
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let endpoints = Endpoints::discover(&http, &target.issuer)
            .await
            .map_err(|e| e.to_string())?;
        let origin = url::Url::parse(&target.issuer)
            .map_err(|e| format!("issuer: {e}"))?
            .origin()
            .ascii_serialization();
        let issuer = target.issuer.trim_end_matches('/').to_owned();
        let admin = target.admin.as_ref().map(|admin| AdminApi {
            http: http.clone(),
            clients_url: format!("{issuer}/admin/clients"),
            credentials: ClientCredentials {
                id: admin.client_id.clone(),
                secret: admin.client_secret.clone(),
            },
        });
        let facts = facts(args, &target, embedded.is_some());
        let login = match &target.login {
            Some(login) if login.kind == LoginKind::Form => {
                match (&login.username, &login.password) {
                    (Some(username), Some(password)) => Some(LoginForm {
                        username: username.clone(),
                        password: password.clone(),
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        let mut environment = Self {
            fixture: Arc::new(Fixture {
                target_name: target.name.clone(),
                origin: origin.clone(),
                endpoints,
                cc_clients: Vec::new(),
                cc_scope: None,
                code_clients: Vec::new(),
                resource_clients: Vec::new(),
                login,
                healthz: format!("{issuer}/healthz"),
                new_connection: args.new_connection,
                request_timeout: args.request_timeout.unwrap_or(Duration::from_secs(30)),
            }),
            facts,
            admin,
            created: Vec::new(),
            embedded,
        };
        match environment
            .provision(&target, &issuer, needs, usize::from(args.clients))
            .await
        {
            Ok(()) => Ok(environment),
            Err(e) => {
                environment.teardown().await;
                Err(e)
            }
        }
    }

    async fn provision(
        &mut self,
        target: &Target,
        issuer: &str,
        needs: Needs,
        count: usize,
    ) -> Result<(), String> {
        let mut cc_clients = Vec::new();
        let mut cc_scope = None;
        let mut code_clients = Vec::new();
        let mut resource_clients = Vec::new();
        match self.admin.clone() {
            Some(admin) => {
                let run: u32 = rand::rng().random();
                for n in 0..count {
                    if needs.client_credentials {
                        let client = admin
                            .create(json!({"kind": "admin_api", "name": format!("load {run:08x} cc {n}"), "roles": ["PAYMENTS_VIEW"]}))
                            .await?;
                        self.created.push(client.id.clone());
                        cc_clients.push(client);
                    }
                    if needs.code {
                        let client = admin
                            .create(json!({"kind": "one_click", "name": format!("load {run:08x} code {n}"), "redirect_urls": [PROVISIONED_REDIRECT]}))
                            .await?;
                        self.created.push(client.id.clone());
                        code_clients.push(CodeClient {
                            credentials: client,
                            redirect_uri: PROVISIONED_REDIRECT.to_owned(),
                            scope: Some("profile".to_owned()),
                        });
                    }
                    if needs.resource || needs.resource_if_admin {
                        let client = admin
                            .create(json!({"kind": "wallet", "id": format!("load-{run:08x}-{n}"), "roles": ["reports:view"]}))
                            .await?;
                        self.created.push(client.id.clone());
                        resource_clients.push(ResourceClient {
                            credentials: client,
                            url: format!("{issuer}/resources/wallet/reports"),
                        });
                    }
                }
            }
            None => {
                if let Some(cc) = target.client("cc") {
                    cc_clients.push(ClientCredentials {
                        id: cc.id.clone(),
                        secret: cc.secret.clone(),
                    });
                    cc_scope = cc.scope.clone();
                }
                for (name, client) in &target.clients {
                    if let (true, Some(redirect_uri)) =
                        (name.starts_with("code"), client.redirect_uri.as_ref())
                    {
                        code_clients.push(CodeClient {
                            credentials: ClientCredentials {
                                id: client.id.clone(),
                                secret: client.secret.clone(),
                            },
                            redirect_uri: redirect_uri.clone(),
                            scope: client.scope.clone(),
                        });
                    }
                }
            }
        }
        let missing = |what: &str| {
            format!(
                "the target {} has {what}: give it in the target file, or an admin API",
                target.name
            )
        };
        if needs.client_credentials && cc_clients.is_empty() {
            return Err(missing("no client_credentials client ([clients.cc])"));
        }
        if needs.code && code_clients.is_empty() {
            return Err(missing("no authorization_code client ([clients.code])"));
        }
        if needs.resource && resource_clients.is_empty() {
            return Err(format!(
                "the target {} has no admin API: the demo resources need a client created through it",
                target.name
            ));
        }
        let fixture = Arc::get_mut(&mut self.fixture)
            .ok_or_else(|| "the fixture is already shared".to_owned())?;
        fixture.cc_clients = cc_clients;
        fixture.cc_scope = cc_scope;
        fixture.code_clients = code_clients;
        fixture.resource_clients = resource_clients;
        Ok(())
    }

    /// The embedded server's process id is ours; a target file's server is elsewhere.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Deletes the provisioned clients and stops the embedded server; says what failed.
    pub async fn teardown(mut self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(admin) = &self.admin {
            for id in self.created.drain(..) {
                if let Err(e) = admin.delete(&id).await {
                    problems.push(e);
                }
            }
        }
        if let Some(embedded) = self.embedded.take()
            && let Err(e) = embedded.server.shutdown().await
        {
            problems.push(format!("stopping the embedded server: {e}"));
        }
        problems
    }
}

fn facts(args: &TargetArgs, target: &Target, embedded: bool) -> Facts {
    // The reference server's own answers (reference-server/src/secret.rs, store/).
    let reference = embedded;
    let known = |given: &Option<String>, reference_value: &str| match given {
        Some(value) => value.clone(),
        None if reference => reference_value.to_owned(),
        None => "unknown (not stated)".to_owned(),
    };
    Facts {
        target: target.name.clone(),
        embedded,
        secret_hashing: known(
            &args.secret_hashing,
            "SHA-256 of 256-bit random secrets, compared in constant time (no slow hash)",
        ),
        token_format: known(
            &args.token_format,
            "client_credentials: self-contained, claims sealed with HMAC-SHA256, nothing written at issue (revocation, deletion and New Secret checked on use); user grants: opaque 256 random bits, stored as a SHA-256 digest",
        ),
        storage: known(
            &args.storage,
            "SQLite (WAL, synchronous=NORMAL, group commit): two client reads per client_credentials token, no write; a durable write per code-flow or refresh token",
        ),
        connection: if args.new_connection {
            "a new TCP connection per request".to_owned()
        } else {
            "keep-alive (one connection per goose user)".to_owned()
        },
    }
}

/// RFC 6749 §2.3.1: id and secret are form-encoded before Basic's base64.
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
