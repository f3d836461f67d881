//! `reference-server-defective` serves the reference server with the defect it is given, and
//! only that one: the metadata document is the server's own but for what the defect changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The binary on a free loopback port, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(defect: &str) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_reference-server-defective"))
        .args(["--defect", defect, "--addr", &format!("127.0.0.1:{port}")])
        .args(["--database", "sqlite::memory:"])
        .env(
            "REFERENCE_SERVER_ADMIN_SECRET",
            "binary-test-admin-secret-0123456789",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", served.base))
            .await
            .is_ok()
        {
            return served;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "reference-server-defective did not answer on {}",
        served.base
    );
}

async fn metadata(served: &Served) -> Value {
    reqwest::get(format!(
        "{}/.well-known/oauth-authorization-server",
        served.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn meta_07_the_defect_named_is_the_one_served() {
    let broken = metadata(&serve("metadata-alg-none").await).await;
    let algs = &broken["token_endpoint_auth_signing_alg_values_supported"];
    assert!(
        algs.as_array().unwrap().iter().any(|a| a == "none"),
        "metadata-alg-none lists none: {algs}"
    );
    // Another defect leaves that member as the server has it.
    let other = metadata(&serve("metadata-lists-plain").await).await;
    let algs = &other["token_endpoint_auth_signing_alg_values_supported"];
    assert!(
        algs.as_array()
            .is_none_or(|a| a.iter().all(|a| a != "none")),
        "only metadata-alg-none lists none: {algs}"
    );
    let methods = &other["code_challenge_methods_supported"];
    assert!(methods.as_array().unwrap().iter().any(|m| m == "plain"));
}
