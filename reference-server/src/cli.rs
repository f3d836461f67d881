//! What the `reference-server` binary does once its command line is read: log to standard
//! error, start, show a generated admin secret once, serve until SIGINT or SIGTERM. Public so
//! that another binary can serve the same way with its own [`Wiring`].

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use crate::config::Config;
use crate::secret::ClientSecret;
use crate::wiring::Wiring;

/// Serves `config` wired as `wiring` until a shutdown signal; `program` names the messages.
pub async fn run(program: &str, config: Config, wiring: Wiring) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("REFERENCE_SERVER_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let admin_secret = std::env::var("REFERENCE_SERVER_ADMIN_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(ClientSecret::new);
    let server = match crate::start_wired(config, admin_secret, wiring).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(secret) = &server.generated_admin_secret {
        // Shown once, on the terminal of whoever started the server; never logged.
        eprintln!(
            "{program}: created the admin client {} with the change permission.\n  Its secret, shown only this once: {}",
            crate::BOOTSTRAP_ADMIN,
            secret.secret()
        );
    }
    tracing::info!(addr = %server.addr, issuer = %server.state.issuer, profile = server.state.config.profile.as_str(), "listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
