//! Self-contained access tokens for the client_credentials grant. The token carries its claims
//! under an HMAC-SHA256 tag, so issuing one writes nothing: a durable write per token was what
//! bounded the token endpoint. What can end such a token early stays in the store and is read on
//! every use (see [`crate::tokens::find_token`]): its client, which a deletion removes for good
//! (row ids are never reused, AMB-19), the client's token epoch, which New Secret with
//! `revoke_tokens` raises (AMB-18), and the revocation list (RFC 7009).
//!
//! Format: `base64url(claims JSON) ‖ base64url(tag)`, the tag being the last 43 characters: all
//! base64url, like every other value the server hands out. Stored tokens are exactly 43
//! characters, so the two kinds cannot be confused.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest token value worth verifying: the claims of the largest client fit many times over.
const MAX_LEN: usize = 8 * 1024;
/// A 256-bit tag in base64url without padding.
const TAG_CHARS: usize = 43;

/// The server's token key, 256 random bits kept in the database so that tokens outlive a restart.
#[derive(Clone)]
pub struct TokenKey {
    bytes: [u8; 32],
    /// Keyed once: each token clones it instead of hashing the key again.
    mac: Hmac<Sha256>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

/// What a self-contained token says of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// 256 random bits, as in every value the server hands out: no two tokens are equal, and
    /// each is as unguessable as a stored one even before its tag is counted.
    pub jti: String,
    /// The client's internal row id, not its id string (AMB-19).
    pub cid: i64,
    /// The client's token epoch at issue (AMB-18).
    pub ep: i64,
    pub sub: String,
    /// Space-separated.
    pub scope: String,
    /// Space-separated resource ids.
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn new_jti() -> String {
        crate::secret::random_value()
    }
}

impl TokenKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self::from_bytes)
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC pads a key shorter than its block to the block size; `new` takes it so padded.
        let mut block = hmac::digest::generic_array::GenericArray::default();
        block[..32].copy_from_slice(&bytes);
        Self {
            bytes,
            mac: <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block),
        }
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The token value for `claims`.
    pub fn seal(&self, claims: &Claims) -> Result<String, serde_json::Error> {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok(format!("{body}{tag}"))
    }

    /// The claims of a token this key sealed; `None` for anything else, forged or malformed.
    /// The tag is checked (in constant time) before the claims are decoded.
    pub fn open(&self, value: &str) -> Option<Claims> {
        if !is_self_contained(value) || value.len() > MAX_LEN || !value.is_ascii() {
            return None;
        }
        let (body, tag) = value.split_at(value.len() - TAG_CHARS);
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        mac.verify_slice(&tag).ok()?;
        let json = URL_SAFE_NO_PAD.decode(body).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// Whether `value` has the shape of a self-contained token (not whether it is genuine).
pub fn is_self_contained(value: &str) -> bool {
    value.len() > TAG_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            jti: Claims::new_jti(),
            cid: 7,
            ep: 0,
            sub: "admin-client".into(),
            scope: "read write".into(),
            aud: "backoffice_api".into(),
            iat: 1_700_000_000,
            exp: 1_700_003_600,
        }
    }

    #[test]
    fn a_sealed_token_opens_to_its_claims() {
        let key = TokenKey::generate();
        let claims = claims();
        let token = key.seal(&claims).unwrap();
        assert!(is_self_contained(&token));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        assert_eq!(key.open(&token), Some(claims));
    }

    #[test]
    fn another_key_a_changed_claim_or_a_changed_tag_opens_nothing() {
        let key = TokenKey::generate();
        let token = key.seal(&claims()).unwrap();
        assert_eq!(TokenKey::generate().open(&token), None);
        let (body, tag) = token.split_at(token.len() - TAG_CHARS);
        let mut forged = claims();
        forged.scope = "read write admin".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(key.open(&format!("{forged_body}{tag}")), None);
        let mut bad_tag = tag.to_owned().into_bytes();
        bad_tag[0] = if bad_tag[0] == b'A' { b'B' } else { b'A' };
        let bad_tag = String::from_utf8(bad_tag).unwrap();
        assert_eq!(key.open(&format!("{body}{bad_tag}")), None);
        assert_eq!(key.open(&format!("{body}{tag}=")), None);
        for garbage in [
            "",
            tag,
            &format!("é{tag}"),
            &format!("{body}.{tag}"),
            &body[..50],
        ] {
            assert_eq!(key.open(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn two_tokens_for_the_same_claims_but_the_jti_differ() {
        let key = TokenKey::generate();
        let (a, b) = (claims(), claims());
        assert_ne!(key.seal(&a).unwrap(), key.seal(&b).unwrap());
    }

    /// The padded key gives the same tags as the key itself (RFC 2104 §2).
    #[test]
    fn the_padded_key_is_the_key() {
        let key = TokenKey::generate();
        let mut direct = <Hmac<Sha256> as hmac::Mac>::new_from_slice(key.as_bytes()).unwrap();
        direct.update(b"claims");
        let mut padded = key.mac.clone();
        padded.update(b"claims");
        assert_eq!(
            direct.finalize().into_bytes(),
            padded.finalize().into_bytes()
        );
    }

    #[test]
    fn debug_output_redacts_the_key() {
        assert_eq!(
            format!("{:?}", TokenKey::generate()),
            "TokenKey([redacted])"
        );
    }
}
