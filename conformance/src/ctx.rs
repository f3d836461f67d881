//! What a check works with: the target, its endpoints, a recording HTTP client, the clients
//! it may use or create, the test clock and the user agent.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::discovery::Endpoints;
use crate::http::{
    Exchange, RecordedRequest, RecordedResponse, Redactor, Reply, Transcript, basic_user,
    curl_line, header_pairs,
};
use crate::model::{Outcome, Profile, fail, skip};
use crate::target::{Secret, Target};

/// The redirect URI of clients the suite creates: never dereferenced, the user agent stops
/// at the first `Location` that leaves the server.
pub const CLIENT_CB: &str = "https://client.example/cb";
pub const CLIENT_CB2: &str = "https://client.example/cb2";

/// Shared by every check of a run.
#[derive(Debug)]
pub struct Run {
    pub target: Target,
    pub endpoints: Endpoints,
    pub profile: Profile,
    pub redactor: Redactor,
    /// Wait in real time for expiries of several minutes (`--slow`).
    pub slow: bool,
    pub seed: u64,
    /// `--cases`: generated cases per generating check, instead of each one's default.
    pub cases: Option<usize>,
    /// `--samples`: values drawn per kind by the unguessability checks (TOKEN-RESP-05), instead
    /// of the catalog's 1,000.
    pub samples: Option<usize>,
    http: reqwest::Client,
    bound: Mutex<HashMap<IpAddr, reqwest::Client>>,
}

impl Run {
    pub fn new(
        target: Target,
        endpoints: Endpoints,
        profile: Profile,
        slow: bool,
        seed: u64,
    ) -> Self {
        let redactor = Redactor::default();
        for secret in target.secrets() {
            redactor.remember(&secret);
        }
        Self {
            target,
            endpoints,
            profile,
            redactor,
            slow,
            seed,
            cases: None,
            samples: None,
            http: plain_client(None),
            bound: Mutex::new(HashMap::new()),
        }
    }

    /// Generated cases for a check whose own default is `default`.
    pub fn cases_or(&self, default: usize) -> usize {
        self.cases.unwrap_or(default)
    }

    /// Values to sample for a check whose own default is `default`.
    pub fn samples_or(&self, default: usize) -> usize {
        self.samples.unwrap_or(default)
    }

    /// The issuer's origin plus `path`: the admin API, resources, test clock.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.issuer.trim_end_matches('/'))
    }
}

/// Redirects off, no cookies, optionally bound to a local source address.
pub fn plain_client(source: Option<IpAddr>) -> reqwest::Client {
    let mut builder = crate::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("conformance/", env!("CARGO_PKG_VERSION")));
    if let Some(ip) = source {
        builder = builder.local_address(ip);
    }
    builder.build().unwrap_or_default()
}

/// Credentials of a client a check uses.
#[derive(Debug, Clone)]
pub struct ClientCreds {
    pub id: String,
    pub secret: Secret,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
}

impl ClientCreds {
    pub fn redirect(&self) -> &str {
        self.redirect_uri.as_deref().unwrap_or(CLIENT_CB)
    }
}

/// One check's view of the run; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub run: Arc<Run>,
    pub transcript: Transcript,
    created: Arc<Mutex<Vec<String>>>,
    property: Arc<Mutex<PropertyRecord>>,
    server_error: Arc<Mutex<Option<Outcome>>>,
}

/// What a generating check (a property or a race) says of itself for the report: how many
/// cases or trials it ran and, when one broke the rule, the smallest such case and a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyRecord {
    pub cases: Option<u64>,
    pub counterexample: Option<crate::report::Counterexample>,
}

impl Ctx {
    pub fn new(run: Arc<Run>) -> Self {
        Self {
            run,
            transcript: Transcript::default(),
            created: Arc::new(Mutex::new(Vec::new())),
            property: Arc::new(Mutex::new(PropertyRecord::default())),
            server_error: Arc::new(Mutex::new(None)),
        }
    }

    /// A generating check ran `cases` cases (or race trials); the report shows the count.
    pub fn cases_run(&self, cases: u64) {
        self.property
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cases = Some(cases);
    }

    /// The (shrunk) case that broke the rule, in words, and a `curl` line that replays it.
    /// Both are redacted like the rest of the report.
    pub fn counterexample(&self, input: impl Into<String>, curl: impl Into<String>) {
        self.property
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counterexample = Some(crate::report::Counterexample {
            input: input.into(),
            curl: curl.into(),
        });
    }

    /// The failure for the first 5xx answer the check received, if any: whatever the check
    /// concluded, a 5xx fails it ("Verdicts on other servers").
    pub fn server_error(&self) -> Option<Outcome> {
        self.server_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What [`Self::cases_run`] and [`Self::counterexample`] recorded.
    pub fn property_record(&self) -> PropertyRecord {
        self.property
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn profile(&self) -> Profile {
        self.run.profile
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.run.endpoints
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.run.http
    }

    /// A client bound to `source` (127.0.0.2 …), made once per address.
    pub fn http_from(&self, source: IpAddr) -> reqwest::Client {
        self.run
            .bound
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(source)
            .or_insert_with(|| plain_client(Some(source)))
            .clone()
    }

    /// A secret or token to keep out of the reports.
    pub fn remember(&self, secret: &str) {
        self.run.redactor.remember(secret);
    }

    /// An endpoint from metadata, or a skip naming it.
    pub fn endpoint(&self, which: &str) -> Result<String, Outcome> {
        let e = self.endpoints();
        let found = match which {
            "authorization" => e.authorization.clone(),
            "token" => e.token.clone(),
            "introspection" => e.introspection.clone(),
            "revocation" => e.revocation.clone(),
            "check_token" if self.profile() == Profile::Vendor => e.check_token.clone(),
            _ => None,
        };
        found.ok_or_else(|| skip(format!("the target has no {which} endpoint")))
    }

    /// Sends and records; a transport error fails the check.
    pub async fn send(&self, request: RequestBuilder) -> Result<Reply, Outcome> {
        self.send_via(request, None).await
    }

    pub async fn send_via(
        &self,
        request: RequestBuilder,
        source: Option<IpAddr>,
    ) -> Result<Reply, Outcome> {
        self.send_keeping_transport_error(request, source)
            .await?
            .map_err(|e| fail("an HTTP answer", format!("transport error: {e}")))
    }

    /// Like `send_via`, but a transport error (a connection the server closed before it
    /// answered, say) is handed to the check to judge; it is recorded in the transcript too.
    pub async fn send_keeping_transport_error(
        &self,
        request: RequestBuilder,
        source: Option<IpAddr>,
    ) -> Result<Result<Reply, reqwest::Error>, Outcome> {
        let (client, request) = request.build_split();
        let request = request.map_err(|e| fail("a request that can be built", e))?;
        let redactor = &self.run.redactor;
        let content_type = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let raw_body = request
            .body()
            .and_then(|b| b.as_bytes())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let user = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(basic_user);
        let recorded = RecordedRequest {
            method: request.method().to_string(),
            url: redactor.url(request.url().as_str()),
            headers: header_pairs(request.headers(), redactor),
            body: redactor.body(content_type.as_deref(), &raw_body),
            source: source.map(|s| s.to_string()),
        };
        let curl = curl_line(&recorded, user.as_deref());
        let mut exchange = Exchange {
            request: recorded,
            response: None,
            error: None,
            curl,
        };
        let result = client.execute(request).await;
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                exchange.error = Some(e.to_string());
                self.transcript.push(exchange);
                return Ok(Err(e));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        // Tokens a server hands out are credentials too.
        if let Ok(value) = serde_json::from_str::<Value>(&body) {
            for name in ["access_token", "refresh_token", "client_secret", "id_token"] {
                if let Some(secret) = value.get(name).and_then(Value::as_str) {
                    self.remember(secret);
                }
            }
        }
        let response_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        if response_type.is_some_and(|t| t.starts_with("text/html")) {
            for value in crate::http::hidden_credentials(&body) {
                self.remember(&value);
            }
        }
        let method = exchange.request.method.clone();
        let url = exchange.request.url.clone();
        exchange.response = Some(RecordedResponse {
            status,
            headers: header_pairs(&headers, redactor),
            body: redactor.body(response_type, &body),
        });
        self.transcript.push(exchange);
        let reply = Reply {
            status,
            headers,
            body,
        };
        if status >= 500 {
            let failure = fail(
                "no 5xx answer to any request (a 5xx is always a failure)",
                format!("{} to {method} {url}", reply.summary()),
            );
            self.server_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(|| failure.clone());
            return Err(failure);
        }
        Ok(Ok(reply))
    }

    /// A POST with a raw form body, exactly as given.
    pub fn post_form(&self, url: &str, body: &str) -> RequestBuilder {
        self.http()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
    }

    /// A form POST to the token endpoint with Basic authentication (RFC 6749 §2.3.1).
    pub async fn token(&self, client: &ClientCreds, body: &str) -> Result<Reply, Outcome> {
        let url = self.endpoint("token")?;
        self.send(basic(self.post_form(&url, body), client)).await
    }

    /// `grant_type=client_credentials` with the client's scope, if it has one.
    pub async fn client_credentials(&self, client: &ClientCreds) -> Result<Reply, Outcome> {
        let mut body = "grant_type=client_credentials".to_owned();
        if let Some(scope) = &client.scope {
            body.push('&');
            body.push_str(&form_pair("scope", scope));
        }
        self.token(client, &body).await
    }

    /// A fresh access token for `client`, or a failure.
    pub async fn access_token(&self, client: &ClientCreds) -> Result<String, Outcome> {
        let reply = self.client_credentials(client).await?;
        if reply.status != 200 {
            return Err(fail("200 from client_credentials", reply.summary()));
        }
        member(&reply.json()?, "access_token")
    }

    /// `token=…` to introspection, revocation or check_token, as `caller`.
    pub async fn token_call(
        &self,
        endpoint: &str,
        caller: &ClientCreds,
        token: &str,
    ) -> Result<Reply, Outcome> {
        let url = self.endpoint(endpoint)?;
        self.send(basic(
            self.post_form(&url, &form_pair("token", token)),
            caller,
        ))
        .await
    }

    /// Introspection's JSON answer for `token`, which must come with 200.
    pub async fn introspect(&self, caller: &ClientCreds, token: &str) -> Result<Value, Outcome> {
        let reply = self.token_call("introspection", caller, token).await?;
        if reply.status != 200 {
            return Err(fail("200 from introspection", reply.summary()));
        }
        reply.json()
    }

    // ------------------------------------------------------------------------------------
    // Clients: created through the admin API when the target has one, else from the file.

    pub fn has_admin(&self) -> bool {
        self.run.target.admin.is_some()
    }

    /// A request to the admin API as the target's admin client, or a skip.
    pub fn admin(&self, method: Method, path: &str) -> Result<RequestBuilder, Outcome> {
        let admin = self.run.target.admin.as_ref().ok_or_else(|| {
            skip("the target offers no admin API to create the clients this check needs")
        })?;
        Ok(self
            .http()
            .request(method, self.run.url(path))
            .basic_auth(&admin.client_id, Some(admin.client_secret.expose())))
    }

    /// Creates a client through the admin API; it is deleted when the check ends.
    pub async fn create_client(&self, body: Value) -> Result<ClientCreds, Outcome> {
        let reply = self
            .send(self.admin(Method::POST, "/admin/clients")?.json(&body))
            .await?;
        // A fixture the server will not register (a chosen secret on a server started without
        // --allow-chosen-secrets, say) is a premise it does not offer: skip, in its own words.
        if reply.status == 400 {
            let said = reply
                .json()
                .ok()
                .and_then(|v| {
                    v.get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| reply.summary());
            let kind = body.get("kind").and_then(Value::as_str).unwrap_or("client");
            return Err(skip(format!(
                "the server refused to register this check's {kind} client: {said}"
            )));
        }
        if reply.status != 201 {
            return Err(fail(
                format!("201 creating a client {body}"),
                reply.summary(),
            ));
        }
        let view = reply.json()?;
        let id = member(&view, "client_id")?;
        let secret = member(&view, "client_secret")?;
        self.remember(&secret);
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(id.clone());
        let redirect_uri = view
            .get("redirect_urls")
            .and_then(Value::as_array)
            .and_then(|urls| urls.first())
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(ClientCreds {
            id,
            secret: Secret::new(secret),
            redirect_uri,
            scope: None,
        })
    }

    /// A client from the target file, or a skip.
    pub fn file_client(&self, name: &str) -> Result<ClientCreds, Outcome> {
        let entry = self
            .run
            .target
            .client(name)
            .ok_or_else(|| skip(format!("the target file names no `clients.{name}`")))?;
        Ok(ClientCreds {
            id: entry.id.clone(),
            secret: entry.secret.clone(),
            redirect_uri: entry.redirect_uri.clone(),
            scope: entry.scope.clone(),
        })
    }

    /// A client_credentials client: a fresh Admin API client, or `clients.cc`.
    pub async fn cc_client(&self) -> Result<ClientCreds, Outcome> {
        if self.has_admin() {
            self.create_client(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
                .await
        } else {
            self.file_client("cc")
        }
    }

    /// An authorization_code client: a fresh 1-Click client on [`CLIENT_CB`], or `clients.code`.
    pub async fn code_client(&self) -> Result<ClientCreds, Outcome> {
        if self.has_admin() {
            self.create_client(json!({"kind": "one_click", "name": "Conformance shop", "redirect_urls": [CLIENT_CB]}))
                .await
        } else {
            self.file_client("code")
        }
    }

    /// A second authorization_code client (`clients.code2`).
    pub async fn code_client2(&self) -> Result<ClientCreds, Outcome> {
        if self.has_admin() {
            self.create_client(
                json!({"kind": "one_click", "name": "Second shop", "redirect_urls": [CLIENT_CB2]}),
            )
            .await
        } else {
            self.file_client("code2")
        }
    }

    /// A client with exactly these registration fields; only through the admin API.
    pub async fn client_with(&self, body: Value) -> Result<ClientCreds, Outcome> {
        if !self.has_admin() {
            return Err(skip(
                "needs a client registered just so, and the target offers no admin API",
            ));
        }
        self.create_client(body).await
    }

    /// Deletes what the check created; called by the runner.
    pub async fn clean_up(&self) {
        let created =
            std::mem::take(&mut *self.created.lock().unwrap_or_else(PoisonError::into_inner));
        for id in created {
            let path = format!("/admin/clients/{}", url_path_segment(&id));
            if let Ok(request) = self.admin(Method::DELETE, &path) {
                let _ = request.send().await;
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // The test clock.

    fn clock_request(&self, method: Method, path: &str) -> Result<RequestBuilder, Outcome> {
        if !self.run.target.test_clock {
            return Err(skip("needs the target's test clock (test_clock = true)"));
        }
        self.admin(method, path)
    }

    /// Sets the target's clock (RFC 3339) and freezes it.
    pub async fn set_clock(&self, now: &str) -> Result<(), Outcome> {
        let reply = self
            .send(
                self.clock_request(Method::PUT, "/test/clock")?
                    .json(&json!({ "now": now })),
            )
            .await?;
        if reply.status != 200 {
            return Err(fail("200 setting the test clock", reply.summary()));
        }
        Ok(())
    }

    pub async fn advance_clock(&self, seconds: i64) -> Result<(), Outcome> {
        let reply = self
            .send(
                self.clock_request(Method::POST, "/test/clock/advance")?
                    .json(&json!({ "seconds": seconds })),
            )
            .await?;
        if reply.status != 200 {
            return Err(fail("200 advancing the test clock", reply.summary()));
        }
        Ok(())
    }

    /// Lets the clock run again from the real time; the runner calls it after each clock check.
    pub async fn release_clock(&self) {
        if let Ok(request) = self.clock_request(Method::DELETE, "/test/clock") {
            let _ = request.send().await;
        }
    }

    /// A second source address for whitelist checks: `source_ips`, or a skip.
    pub fn second_ip(&self) -> Result<IpAddr, Outcome> {
        self.run
            .target
            .source_ips
            .first()
            .copied()
            .ok_or_else(|| skip("needs a second local source address (source_ips)"))
    }
}

/// Basic authentication with form-encoded id and secret (RFC 6749 §2.3.1).
pub fn basic(request: RequestBuilder, client: &ClientCreds) -> RequestBuilder {
    request.basic_auth(
        form_encode(&client.id),
        Some(form_encode(client.secret.expose())),
    )
}

pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `name=value`, both form-encoded.
pub fn form_pair(name: &str, value: &str) -> String {
    format!("{}={}", form_encode(name), form_encode(value))
}

pub fn url_path_segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A string member of a JSON object, or a failure naming it.
pub fn member(value: &Value, name: &str) -> Result<String, Outcome> {
    value
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            fail(
                format!("a string `{name}`"),
                crate::http::short(&value.to_string()),
            )
        })
}
