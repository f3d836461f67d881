//! Nothing acknowledged is lost when the process dies at any instant: the binary is killed
//! with SIGKILL while writes are in flight, restarted on the same SQLite file, and every write
//! that got its answer before the kill is still there.

use std::process::Stdio;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{ADMIN_ID, ADMIN_SECRET, http_client};

struct Process {
    child: Child,
    base: String,
}

/// Starts the real binary on a free port and waits for its "listening" line.
async fn start_binary(database: &str) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--addr", "127.0.0.1:0", "--database", database])
        .env("REFERENCE_SERVER_ADMIN_SECRET", ADMIN_SECRET)
        .env("REFERENCE_SERVER_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stderr line") {
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
    // Keep draining stderr so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process {
        child,
        base: format!("http://{addr}"),
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

    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("the child is reaped");
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

    // Act: kill -9 while a stream of creations is in flight.
    let base = first.base.clone();
    let burst = tokio::spawn(async move {
        let client = http_client(None);
        let mut acknowledged = Vec::new();
        let mut pending = tokio::task::JoinSet::new();
        for i in 0..400 {
            let request = client
                .post(format!("{base}/admin/clients"))
                .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
                .json(&json!({"kind": "wallet", "id": format!("burst-{i}")}));
            pending.spawn(async move {
                let response = request.send().await.ok()?;
                (response.status() == StatusCode::CREATED)
                    .then_some(format!("wallet-demo-burst-{i}"))
            });
        }
        while let Some(result) = pending.join_next().await {
            if let Ok(Some(id)) = result {
                acknowledged.push(id);
            }
        }
        acknowledged
    });
    tokio::time::sleep(Duration::from_millis(150)).await; // not waiting for an expiry: letting writes pile up
    first.kill().await;
    let acknowledged = burst.await.unwrap();

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
        "{} of 400 in-flight creations were acknowledged before the kill; all survived",
        acknowledged.len()
    );
    second.kill().await;
}

async fn token_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
