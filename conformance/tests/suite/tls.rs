//! The suite's HTTPS: one TLS configuration per process (`conformance::http::client_builder`)
//! must still verify a target's certificate against the platform's roots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `openssl s_server` on a loopback port with a self-signed certificate no root vouches for.
struct SelfSignedServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn self_signed_server() -> Option<SelfSignedServer> {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    assert!(made.success(), "openssl could not make a certificate");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some(SelfSignedServer {
        child,
        port,
        _dir: dir,
    })
}

#[tokio::test]
async fn an_https_target_whose_certificate_no_trusted_root_signs_is_refused() {
    let Some(server) = self_signed_server() else {
        eprintln!("note: openssl is not on this machine; the HTTPS refusal is not tried");
        return;
    };
    let url = format!("https://127.0.0.1:{}/", server.port);
    // s_server takes a moment to listen.
    let mut listening = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening, "openssl s_server did not listen on {url}");

    let client = conformance::http::client_builder().build().unwrap();
    let error = client
        .get(&url)
        .send()
        .await
        .expect_err("a self-signed certificate must not be trusted");
    let chain = format!("{:?}", error_chain(&error));
    assert!(
        chain.contains("UnknownIssuer"),
        "not refused for its certificate: {chain}"
    );

    // A second client shares the first one's configuration, verification included.
    let again = conformance::http::client_builder().build().unwrap();
    assert!(again.get(&url).send().await.is_err());
}

/// The error and every source under it.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        chain.push(format!("{inner:?}"));
        source = inner.source();
    }
    chain
}
