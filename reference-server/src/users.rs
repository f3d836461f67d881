//! End users of the authorization code flow, loaded from a fixture file
//! (`fixtures/users.toml` unless `--users` names another).
//!
//! These are human passwords, so unlike client secrets they are hashed with argon2id: a
//! stolen file should cost an attacker real work per guess. Verifying an unknown user name
//! runs the same hash against a decoy, so response time does not reveal which names exist.

use std::collections::HashMap;
use std::path::Path;

use std::sync::{Arc, OnceLock};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

const EMBEDDED: &str = include_str!("../../fixtures/users.toml");

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct User {
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) email: String,
    /// PHC string: `$argon2id$v=19$m=...`.
    password_hash: String,
    /// Roles in the back office (`/backoffice/`), as the seeds write them; a user with none
    /// cannot sign in there.
    #[serde(default)]
    backoffice_roles: Vec<String>,
}

impl User {
    pub(crate) fn backoffice_roles(&self) -> std::collections::BTreeSet<crate::backoffice::Role> {
        self.backoffice_roles
            .iter()
            .filter_map(|name| crate::backoffice::Role::from_name(name))
            .collect()
    }
}

impl std::fmt::Debug for User {
    // The hash has no place in logs: it is what an offline guessing attack needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: Vec<User>,
}

pub(crate) struct Users {
    by_name: HashMap<String, User>,
    decoy_hash: String,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.by_name.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read the users file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the users file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the users file is not valid: {0}")]
    Invalid(String),
}

impl Users {
    pub(crate) fn embedded() -> Result<Self, UsersError> {
        Self::parse(EMBEDDED)
    }

    pub(crate) fn load(path: &Path) -> Result<Self, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub(crate) fn parse(text: &str) -> Result<Self, UsersError> {
        let file: UsersFile = toml::from_str(text)?;
        let mut by_name = HashMap::new();
        for user in file.users {
            PasswordHash::new(&user.password_hash).map_err(|_| {
                UsersError::Invalid(format!(
                    "{}: password_hash is not a PHC string",
                    user.username
                ))
            })?;
            if let Some(unknown) = user
                .backoffice_roles
                .iter()
                .find(|name| crate::backoffice::Role::from_name(name).is_none())
            {
                return Err(UsersError::Invalid(format!(
                    "{}: backoffice_roles: `{unknown}` is not one of MERCHANT_ADMIN, API Access (Read), API Access (Change)",
                    user.username
                )));
            }
            if by_name.insert(user.username.clone(), user).is_some() {
                return Err(UsersError::Invalid("a user name appears twice".into()));
            }
        }
        let decoy_hash = decoy_hash()?;
        Ok(Self {
            by_name,
            decoy_hash,
        })
    }

    pub(crate) fn get(&self, username: &str) -> Option<&User> {
        self.by_name.get(username)
    }

    /// The user, if the password is theirs (the tests' shorthand for [`Users::verify_in`]).
    #[cfg(test)]
    pub(crate) fn verify(&self, username: &str, password: &str) -> Option<&User> {
        self.verify_in(username, password, &mut Vec::new())
    }

    /// The user, if the password is theirs; one argon2 verification either way, in working memory
    /// the caller supplies, so that a server reuses a few buffers instead of allocating ~19 MiB
    /// per login (which the allocator keeps).
    pub(crate) fn verify_in(
        &self,
        username: &str,
        password: &str,
        memory: &mut Vec<Block>,
    ) -> Option<&User> {
        let user = self.by_name.get(username);
        let hash = user.map_or(self.decoy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = PasswordHash::new(hash)
            .ok()
            .is_some_and(|parsed| matches_phc(&parsed, password.as_bytes(), memory));
        user.filter(|_| matches)
    }
}

/// Recomputes the PHC string's hash with its own algorithm, version, parameters and salt, and
/// compares in constant time.
fn matches_phc(parsed: &PasswordHash<'_>, password: &[u8], memory: &mut Vec<Block>) -> bool {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_buffer = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buffer) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut computed, &mut memory[..])
        .is_ok()
        && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

/// A few argon2 working buffers, one per password check running at once; a check waits for
/// a free buffer, which bounds both memory and CPU under a burst of logins.
#[derive(Debug)]
pub(crate) struct PasswordChecks {
    permits: tokio::sync::Semaphore,
    buffers: std::sync::Mutex<Vec<Vec<Block>>>,
}

impl PasswordChecks {
    pub(crate) fn new(at_once: usize) -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(at_once.max(1)),
            buffers: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Runs [`Users::verify_in`] on the blocking pool with a pooled buffer.
    pub(crate) async fn verify(
        &self,
        users: Arc<Users>,
        username: String,
        password: String,
    ) -> Option<String> {
        let _permit = self.permits.acquire().await.ok()?;
        let mut memory = self
            .buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        let (memory, verified) = tokio::task::spawn_blocking(move || {
            let verified = users
                .verify_in(&username, &password, &mut memory)
                .map(|u| u.username.clone());
            (memory, verified)
        })
        .await
        .ok()?;
        self.buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(memory);
        verified
    }
}

/// An argon2id PHC string with the crate's default (OWASP-recommended) parameters.
/// The hash an unknown user name is verified against, so that it costs what a known one does.
/// One per process: it hashes a random value no one knows, so the servers a process starts (the
/// suite's and the tests' in-process servers) can share it, and each start is spared an argon2
/// run.
fn decoy_hash() -> Result<String, UsersError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(&crate::secret::random_value())
        .map_err(|_| UsersError::Invalid("cannot prepare the decoy hash".into()))?;
    Ok(DECOY.get_or_init(|| hash).clone())
}

pub(crate) fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = argon2::password_hash::SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_user_logs_in_with_the_documented_password() {
        let users = Users::embedded().unwrap();
        assert_eq!(
            users
                .verify("test-user", "test-password")
                .map(|u| u.username.as_str()),
            Some("test-user")
        );
        assert!(users.verify("test-user", "Test-password").is_none());
        assert!(users.verify("nobody", "test-password").is_none());
    }

    #[test]
    fn the_back_office_users_have_the_documented_roles() {
        use crate::backoffice::Role;
        let users = Users::embedded().unwrap();
        let admin = users
            .verify("backoffice-admin", "backoffice-password")
            .unwrap();
        assert_eq!(admin.backoffice_roles(), Role::ALL.into_iter().collect());
        let viewer = users
            .verify("backoffice-viewer", "viewer-password")
            .unwrap();
        assert_eq!(viewer.backoffice_roles(), [Role::ApiAccessRead].into());
        assert!(
            users
                .get("test-user")
                .unwrap()
                .backoffice_roles()
                .is_empty()
        );
    }

    #[test]
    fn an_unknown_back_office_role_refuses_the_file() {
        let text = EMBEDDED.replace("\"API Access (Read)\"]", "\"API Access (Write)\"]");
        assert_ne!(text, EMBEDDED);
        let error = Users::parse(&text).unwrap_err().to_string();
        assert!(error.contains("API Access (Write)"), "{error}");
    }

    #[test]
    fn debug_does_not_show_password_hashes() {
        let users = Users::embedded().unwrap();
        let user = users.get("test-user").unwrap();
        assert!(user.password_hash.starts_with("$argon2id$"));
        let shown = format!("{user:?} {users:?}");
        assert!(!shown.contains("argon2"), "{shown}");
    }

    #[test]
    #[ignore = "prints a PHC string for a password given in NEW_PASSWORD, for editing fixtures/users.toml"]
    fn print_hash() {
        let password = std::env::var("NEW_PASSWORD").unwrap_or_else(|_| "test-password".into());
        eprintln!("{}", hash_password(&password).unwrap());
    }
}
