//! Nothing acknowledged is lost when the process dies at any instant: the binary is killed
//! with SIGKILL while writes are in flight, restarted on the same SQLite file, and every write
//! that got its answer before the kill is still there.

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{ADMIN_ID, ADMIN_SECRET, http_client};

struct Process {
    child: Child,
    base: String,
    /// Everything the process wrote to standard error: its log.
    log: Arc<Mutex<Vec<String>>>,
}

/// Starts the real binary on a free port and waits for its "listening" line.
async fn start_binary(database: &str) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--addr", "127.0.0.1:0", "--database", database])
        .env("REFERENCE_SERVER_ADMIN_SECRET", ADMIN_SECRET)
        .env("REFERENCE_SERVER_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let log = Arc::new(Mutex::new(Vec::new()));
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stderr line") {
            log.lock().unwrap().push(line.clone());
            if let Some(rest) = line
                .split(" addr=")
                .nth(1)
                .filter(|_| line.contains("listening"))
            {
                return rest.split_whitespace().next().expect("address").to_owned();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens within 30 s");
    // Keep reading stderr so the child never blocks on a full pipe.
    let sink = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    Process {
        child,
        base: format!("http://{addr}"),
        log,
    }
}

impl Process {
    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        http_client(None)
            .request(method, format!("{}{path}", self.base))
            .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
    }

    async fn token(&self, client_id: &str, secret: &str) -> reqwest::Response {
        http_client(None)
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request")
    }

    async fn introspect(&self, client_id: &str, secret: &str, token: &str) -> Value {
        http_client(None)
            .post(format!("{}/oauth/introspect", self.base))
            .basic_auth(client_id, Some(secret))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspection")
            .json()
            .await
            .expect("json")
    }

    async fn create_wallet(&self, id: &str, roles: &[&str]) -> Option<(String, String)> {
        let response = self
            .admin(Method::POST, "/admin/clients")
            .json(&json!({"kind": "wallet", "id": id, "roles": roles}))
            .send()
            .await
            .ok()?;
        if response.status() != StatusCode::CREATED {
            return None;
        }
        let body: Value = response.json().await.ok()?;
        Some((
            body["client_id"].as_str()?.to_owned(),
            body["client_secret"].as_str()?.to_owned(),
        ))
    }

    /// Kills with SIGKILL and returns the log written until then.
    async fn kill(mut self) -> Vec<String> {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("the child is reaped");
        tokio::time::sleep(Duration::from_millis(50)).await; // let the reader drain the pipe
        self.log.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("reference.db").display());

    // Arrange: one of each kind of write, each acknowledged.
    let first = start_binary(&database).await;
    let (kept, kept_secret) = first
        .create_wallet("kept", &["reports:view"])
        .await
        .expect("created");
    let (rotated, old_secret) = first
        .create_wallet("rotated", &["reports:view"])
        .await
        .expect("created");
    let (edited, edited_secret) = first
        .create_wallet("edited", &["reports:view"])
        .await
        .expect("created");
    let (deleted, _) = first.create_wallet("deleted", &[]).await.expect("created");
    let live_token = token_of(first.token(&kept, &kept_secret).await).await;
    let revoked_token = token_of(first.token(&kept, &kept_secret).await).await;
    let response = first
        .admin(Method::POST, &format!("/admin/clients/{rotated}/secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let new_secret = response.json::<Value>().await.unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = http_client(None)
        .post(format!("{}/oauth/revoke", first.base))
        .basic_auth(&kept, Some(&kept_secret))
        .form(&[("token", revoked_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = first
        .admin(Method::PATCH, &format!("/admin/clients/{edited}"))
        .json(&json!({"roles": ["accounts:change"], "notes": "edited before the kill"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = first
        .admin(Method::DELETE, &format!("/admin/clients/{deleted}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // Act: kill -9 in the middle of a stream of creations, right after the 50th answer.
    const BURST: usize = 2_000;
    let base = first.base.clone();
    let answered = Arc::new(AtomicUsize::new(0));
    let (fiftieth, fiftieth_answered) = tokio::sync::oneshot::channel::<()>();
    let fiftieth = Arc::new(Mutex::new(Some(fiftieth)));
    let burst = tokio::spawn({
        let answered = Arc::clone(&answered);
        async move {
            let client = http_client(None);
            let mut pending = tokio::task::JoinSet::new();
            for i in 0..BURST {
                let request = client
                    .post(format!("{base}/admin/clients"))
                    .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
                    .json(&json!({"kind": "wallet", "id": format!("burst-{i}")}));
                let answered = Arc::clone(&answered);
                let fiftieth = Arc::clone(&fiftieth);
                pending.spawn(async move {
                    let response = request.send().await.ok()?;
                    if response.status() != StatusCode::CREATED {
                        return None;
                    }
                    if answered.fetch_add(1, Ordering::SeqCst) + 1 == 50
                        && let Some(signal) = fiftieth.lock().unwrap().take()
                    {
                        let _ = signal.send(());
                    }
                    Some(format!("wallet-demo-burst-{i}"))
                });
            }
            let mut acknowledged = Vec::new();
            while let Some(result) = pending.join_next().await {
                if let Ok(Some(id)) = result {
                    acknowledged.push(id);
                }
            }
            acknowledged
        }
    });
    tokio::time::timeout(Duration::from_secs(60), fiftieth_answered)
        .await
        .expect("50 creations answered within 60 s")
        .expect("the burst is running");
    let mut log = first.kill().await;
    let acknowledged = burst.await.unwrap();
    assert!(
        acknowledged.len() < BURST,
        "the kill landed after the whole burst: nothing was in flight"
    );

    // Assert: a new process on the same file has every acknowledged write.
    let second = start_binary(&database).await;
    let listing: Value = second
        .admin(Method::GET, "/admin/clients")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listing["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["client_id"].as_str())
        .collect();
    for id in &acknowledged {
        assert!(
            ids.contains(&id.as_str()),
            "{id} was acknowledged before the kill but is gone"
        );
    }
    assert!(ids.contains(&kept.as_str()) && ids.contains(&edited.as_str()));
    assert!(!ids.contains(&deleted.as_str()), "a deletion was undone");
    assert_eq!(
        second.token(&rotated, &old_secret).await.status(),
        StatusCode::UNAUTHORIZED,
        "old secret revived"
    );
    assert_eq!(
        second.token(&rotated, &new_secret).await.status(),
        StatusCode::OK,
        "new secret lost"
    );
    assert_eq!(
        second.introspect(&kept, &kept_secret, &live_token).await["active"],
        true
    );
    assert_eq!(
        second.introspect(&kept, &kept_secret, &revoked_token).await,
        json!({"active": false}),
        "revocation lost"
    );
    let edited_view: Value = second
        .admin(Method::GET, &format!("/admin/clients/{edited}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited_view["notes"], "edited before the kill");
    assert_eq!(
        edited_view["roles"],
        json!(["accounts:change", "accounts:view"])
    );
    assert_eq!(
        second.token(&edited, &edited_secret).await.status(),
        StatusCode::OK
    );
    eprintln!(
        "{} of {BURST} in-flight creations were acknowledged before the kill; all survived",
        acknowledged.len()
    );
    log.extend(second.kill().await);

    // ADMIN-11 (log half): no secret or token value reached the debug log.
    assert!(log.len() > 20, "the log was captured");
    for value in [
        ADMIN_SECRET,
        &kept_secret,
        &old_secret,
        &new_secret,
        &edited_secret,
        &live_token,
        &revoked_token,
    ] {
        if let Some(line) = log.iter().find(|line| line.contains(value)) {
            panic!("a secret or token appears in the server log: {line}");
        }
    }
}

async fn token_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
