//! Start-up settings. Every flag is also an environment variable (`REFERENCE_SERVER_*`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ipnet::IpNet;

/// Which reading of the redirect, PKCE and check_token rules a server instance follows (AMB-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The seeds: redirect URL patterns, query ignored, `/oauth/check_token`, optional PKCE.
    #[default]
    Vendor,
    /// RFC 9700: exact redirect URIs, PKCE with S256 required, no check_token.
    Strict,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Vendor => "vendor",
            Profile::Strict => "strict",
        }
    }
}

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "reference-server",
    version,
    about = "A small, exact OAuth 2.0 authorization server (sandbox)"
)]
pub struct Config {
    /// Address to listen on. Only loopback addresses are accepted: this sandbox has no TLS (SEC-BCP-09).
    #[arg(long, env = "REFERENCE_SERVER_ADDR", default_value = "127.0.0.1:8080", value_parser = listen_address)]
    pub addr: SocketAddr,

    /// Storage: `sqlite://PATH` (created if missing) or `sqlite::memory:`.
    #[arg(
        long,
        env = "REFERENCE_SERVER_DATABASE",
        default_value = "sqlite://reference.db"
    )]
    pub database: String,

    /// Redirect matching, PKCE and check_token rules: the seeds' (`vendor`) or RFC 9700's (`strict`).
    #[arg(long, env = "REFERENCE_SERVER_PROFILE", value_enum, default_value_t = Profile::Vendor)]
    pub profile: Profile,

    /// Expose `/test/clock` so tests can set and advance the server's clock. Never in production.
    #[arg(long, env = "REFERENCE_SERVER_TEST_CLOCK")]
    pub test_clock: bool,

    /// Issuer identifier for metadata and tokens; defaults to `http://{addr}`.
    #[arg(long, env = "REFERENCE_SERVER_ISSUER")]
    pub issuer: Option<String>,

    /// Proxies whose X-Forwarded-For, Forwarded and X-Real-IP headers are believed (AMB-09).
    /// Addresses or CIDR blocks, comma-separated.
    #[arg(long = "trusted-proxy", env = "REFERENCE_SERVER_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_ip_net)]
    pub trusted_proxies: Vec<IpNet>,

    /// Role and resource catalogue (TOML); defaults to the embedded `fixtures/catalogue.toml`.
    #[arg(long, env = "REFERENCE_SERVER_CATALOGUE")]
    pub catalogue: Option<PathBuf>,

    /// End users of the code flow (TOML, argon2 hashes); defaults to the embedded `fixtures/users.toml`.
    #[arg(long, env = "REFERENCE_SERVER_USERS")]
    pub users: Option<PathBuf>,

    /// Let the admin API accept a chosen `client_secret` on create, for fixtures such as
    /// TOKEN-AUTH-02's `enc client:1`. Off by default: secrets are otherwise always random.
    #[arg(long, env = "REFERENCE_SERVER_ALLOW_CHOSEN_SECRETS")]
    pub allow_chosen_secrets: bool,

    /// Never refuse a client id and address for earlier failed authentications (TOKEN-AUTH-08's
    /// guard off), for load tests that send wrong secrets on purpose.
    #[arg(long, env = "REFERENCE_SERVER_NO_CLIENT_THROTTLE")]
    pub no_client_throttle: bool,

    /// Seconds an authorization code stays redeemable (RFC 6749 §4.1.2 recommends at most 600).
    #[arg(long, env = "REFERENCE_SERVER_CODE_LIFETIME", default_value_t = crate::routes::authorize::CODE_LIFETIME, value_parser = clap::value_parser!(i64).range(1..))]
    pub code_lifetime: i64,
}

impl Config {
    /// Defaults for an in-process server: in-memory storage, test clock on.
    pub fn for_tests() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: "sqlite::memory:".into(),
            profile: Profile::Vendor,
            test_clock: true,
            issuer: None,
            trusted_proxies: Vec::new(),
            catalogue: None,
            users: None,
            allow_chosen_secrets: true,
            no_client_throttle: false,
            code_lifetime: crate::routes::authorize::CODE_LIFETIME,
        }
    }
}

/// `IP:PORT`; a host name is refused with what to write instead, since a name could resolve
/// to an address other than the loopback one the sandbox may bind.
fn listen_address(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        let port = text
            .rsplit_once(':')
            .map(|(_, port)| port)
            .filter(|port| port.parse::<u16>().is_ok())
            .unwrap_or("8080");
        format!(
            "`{text}` is not an IP address and port; write a loopback IP, such as 127.0.0.1:{port} or [::1]:{port} (host names are not resolved)"
        )
    })
}

/// An address (`127.0.0.1`, `::1`) or a CIDR block (`127.0.0.0/8`).
pub fn parse_ip_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(addr.to_canonical()));
    }
    text.parse::<IpNet>()
        .map(|net| net.trunc())
        .map_err(|_| format!("not an IP address or CIDR block: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_for_the_listen_address_says_what_to_write_instead() {
        let message = listen_address("localhost:8091").unwrap_err();
        assert!(message.contains("127.0.0.1:8091"), "{message}");
        assert_eq!(
            listen_address("127.0.0.1:8091"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 8091)))
        );
    }
}
