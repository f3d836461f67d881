//! The embedded default target: the reference server in-process on a free loopback port,
//! a temporary SQLite file, the test clock on, and a random admin secret.

use std::net::{IpAddr, Ipv4Addr};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use reference_server::config::{Config, Profile as ServerProfile};
use reference_server::secret::ClientSecret;
use reference_server::wiring::Wiring;
use reference_server::{RunningServer, start_wired};

use crate::model::Profile;
use crate::target::{AdminCredentials, Login, LoginKind, Secret, Target};

/// A running reference server and the target file that describes it.
#[derive(Debug)]
pub struct Embedded {
    pub server: RunningServer,
    pub target: Target,
    _dir: tempfile::TempDir,
}

pub async fn start_reference(profile: Profile) -> Result<Embedded, String> {
    start_reference_with(profile, |_| Wiring::default()).await
}

/// The same, with the server's configuration adjusted first and wired as `adjust` returns (the
/// mutation tests wire a defect).
pub async fn start_reference_with(
    profile: Profile,
    adjust: impl FnOnce(&mut Config) -> Wiring,
) -> Result<Embedded, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let mut config = Config::for_tests();
    config.database = format!("sqlite://{}", dir.path().join("reference.db").display());
    config.profile = match profile {
        Profile::Vendor => ServerProfile::Vendor,
        Profile::Strict => ServerProfile::Strict,
    };
    let wiring = adjust(&mut config);
    let secret_bytes: [u8; 32] = rand::rng().random();
    let admin_secret = URL_SAFE_NO_PAD.encode(secret_bytes);
    let server = start_wired(
        config,
        Some(ClientSecret::new(admin_secret.clone())),
        wiring,
    )
    .await
    .map_err(|e| format!("the reference server did not start: {e}"))?;
    let target = Target {
        name: format!("reference-{}", profile.as_str()),
        issuer: server.base_url(),
        profile,
        admin: Some(AdminCredentials {
            client_id: "bootstrap-admin".into(),
            client_secret: Secret::new(admin_secret),
        }),
        test_clock: true,
        source_ips: [2, 3]
            .map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
            .to_vec(),
        clients: Default::default(),
        login: Some(Login {
            kind: LoginKind::Form,
            username: Some("test-user".into()),
            password: Some(Secret::new("test-password")),
        }),
        // Its demo resources are reached through the admin API's clients.
        resource: None,
        // The back office's pages face browsers too (SEC-BCP-06).
        pages: vec!["/backoffice/login".into()],
    };
    Ok(Embedded {
        server,
        target,
        _dir: dir,
    })
}
