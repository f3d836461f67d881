//! `reference-server`: parses the command line and serves until SIGINT or SIGTERM.

use std::process::ExitCode;

use clap::Parser as _;
use reference_server::config::Config;
use reference_server::secret::ClientSecret;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("REFERENCE_SERVER_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = Config::parse();
    let admin_secret = std::env::var("REFERENCE_SERVER_ADMIN_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(ClientSecret::new);
    let server = match reference_server::start(config, admin_secret).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("reference-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(secret) = &server.generated_admin_secret {
        // Shown once, on the terminal of whoever started the server; never logged.
        eprintln!(
            "reference-server: created the admin client {} with the change permission.\n  Its secret, shown only this once: {}",
            reference_server::BOOTSTRAP_ADMIN,
            secret.secret()
        );
    }
    tracing::info!(addr = %server.addr, issuer = %server.state.issuer, profile = server.state.config.profile.as_str(), "listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reference-server: {e}");
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
