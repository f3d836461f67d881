//! End users of the authorization code flow, loaded from a fixture file
//! (`fixtures/users.toml` unless `--users` names another).
//!
//! These are human passwords, so unlike client secrets they are hashed with argon2id: a
//! stolen file should cost an attacker real work per guess. Verifying an unknown user name
//! runs the same hash against a decoy, so response time does not reveal which names exist.

use std::collections::HashMap;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
use argon2::{Argon2, PasswordHasher as _};
use serde::Deserialize;

const EMBEDDED: &str = include_str!("../../fixtures/users.toml");

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub username: String,
    pub name: String,
    pub email: String,
    /// PHC string: `$argon2id$v=19$m=...`.
    password_hash: String,
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

pub struct Users {
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
    pub fn embedded() -> Result<Self, UsersError> {
        Self::parse(EMBEDDED)
    }

    pub fn load(path: &Path) -> Result<Self, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let file: UsersFile = toml::from_str(text)?;
        let mut by_name = HashMap::new();
        for user in file.users {
            PasswordHash::new(&user.password_hash).map_err(|_| {
                UsersError::Invalid(format!(
                    "{}: password_hash is not a PHC string",
                    user.username
                ))
            })?;
            if by_name.insert(user.username.clone(), user).is_some() {
                return Err(UsersError::Invalid("a user name appears twice".into()));
            }
        }
        let decoy_hash = hash_password(&crate::secret::random_value())
            .map_err(|_| UsersError::Invalid("cannot prepare the decoy hash".into()))?;
        Ok(Self {
            by_name,
            decoy_hash,
        })
    }

    pub fn get(&self, username: &str) -> Option<&User> {
        self.by_name.get(username)
    }

    /// The user, if the password is theirs. Costs one argon2 verification either way.
    pub fn verify(&self, username: &str, password: &str) -> Option<&User> {
        let user = self.by_name.get(username);
        let hash = user.map_or(self.decoy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        user.filter(|_| matches)
    }
}

/// An argon2id PHC string with the crate's default (OWASP-recommended) parameters.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
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
