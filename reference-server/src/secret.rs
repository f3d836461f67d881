//! Secret values: client secrets, access and refresh tokens.
//!
//! Every value is 256 random bits, base64url without padding (43 characters of the
//! unreserved set, so neither Basic nor form encoding changes it). Only its SHA-256
//! digest is stored. A slow password hash buys nothing here: it protects low-entropy
//! human passwords against guessing, and a 256-bit random value cannot be guessed,
//! so a single SHA-256 keeps a stolen database useless while costing a microsecond.
//! Comparisons of digests run in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// 256 random bits from the thread-local CSPRNG, base64url without padding.
pub fn random_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret value: the only form in which secrets and tokens are stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    pub fn of(value: &str) -> Self {
        Self(Sha256::digest(value.as_bytes()).into())
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality, for comparing a presented secret with a stored one.
    pub fn matches(&self, other: &Digest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for Digest {
    // A token digest is a lookup key for a live credential: keep it out of logs too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest([redacted])")
    }
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` never shows the value; read it only through [`Self::secret`].
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: String) -> Self {
                Self(value)
            }

            /// A fresh random value (256 bits).
            pub fn generate() -> Self {
                Self(random_value())
            }

            /// The value itself. Security: never log it or put it in an error.
            pub fn secret(&self) -> &str {
                &self.0
            }

            pub fn digest(&self) -> Digest {
                Digest::of(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A client secret (RFC 6749 §2.3.1).
    ClientSecret
);
secret_type!(
    /// An access token (RFC 6749 §1.4).
    AccessToken
);
secret_type!(
    /// A refresh token (RFC 6749 §1.5).
    RefreshToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_are_43_unreserved_characters() {
        let value = random_value();
        assert_eq!(value.len(), 43);
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(value, random_value());
    }

    #[test]
    fn debug_output_redacts_the_value() {
        let secret = ClientSecret::new("hunter2-very-secret".into());
        let shown = format!("{secret:?} {:?}", secret.digest());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(shown, "ClientSecret([redacted]) Digest([redacted])");
    }

    #[test]
    fn digests_match_only_their_own_value() {
        let a = Digest::of("a");
        assert!(a.matches(&Digest::of("a")));
        assert!(!a.matches(&Digest::of("b")));
    }
}
