//! Proof Key for Code Exchange (RFC 7636; PKCE-01 to PKCE-08).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::config::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    S256,
    /// Allowed in the vendor profile only (RFC 7636 §4.2 MAY; RFC 9700 §2.1.1 prefers S256).
    Plain,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::S256 => "S256",
            Method::Plain => "plain",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "S256" => Some(Method::S256),
            "plain" => Some(Method::Plain),
            _ => None,
        }
    }
}

/// Why an authorization request's PKCE parameters are refused (all `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    /// PKCE-08: the strict profile requires a challenge from every client.
    Required,
    /// PKCE-04: an unknown `code_challenge_method`.
    UnknownMethod,
    /// PKCE-03: `plain`, or a challenge without a method, in the strict profile.
    PlainRefused,
    /// PKCE-07: not 43–128 characters of `A-Z a-z 0-9 - . _ ~`.
    Malformed,
    /// A method without a challenge.
    MethodWithoutChallenge,
}

impl ChallengeError {
    pub fn description(self) -> &'static str {
        match self {
            ChallengeError::Required => "code challenge required",
            ChallengeError::UnknownMethod => "code_challenge_method must be S256",
            ChallengeError::PlainRefused => {
                "the plain code challenge method is not allowed: use S256"
            }
            ChallengeError::Malformed => {
                "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
            }
            ChallengeError::MethodWithoutChallenge => {
                "code_challenge_method was sent without code_challenge"
            }
        }
    }
}

/// A challenge accepted at the authorization endpoint, bound to the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub value: String,
    pub method: Method,
}

/// RFC 7636 §4.1 and §4.2: `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`, 43 to 128 long.
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Reads `code_challenge` and `code_challenge_method` of an authorization request.
/// A missing method means `plain` (RFC 7636 §4.3), which the strict profile refuses.
pub fn challenge(
    value: Option<&str>,
    method: Option<&str>,
    profile: Profile,
) -> Result<Option<Challenge>, ChallengeError> {
    let method = match method {
        None => None,
        Some(text) => Some(Method::parse(text).ok_or(ChallengeError::UnknownMethod)?),
    };
    let Some(value) = value else {
        return match (method, profile) {
            (Some(_), _) => Err(ChallengeError::MethodWithoutChallenge),
            (None, Profile::Strict) => Err(ChallengeError::Required),
            (None, Profile::Vendor) => Ok(None),
        };
    };
    let method = method.unwrap_or(Method::Plain);
    if method == Method::Plain && profile == Profile::Strict {
        return Err(ChallengeError::PlainRefused);
    }
    if !is_well_formed(value) {
        return Err(ChallengeError::Malformed);
    }
    Ok(Some(Challenge {
        value: value.to_owned(),
        method,
    }))
}

/// RFC 7636 §4.6: does the verifier answer the challenge? A malformed verifier never does.
pub fn verify(verifier: &str, challenge: &Challenge) -> bool {
    if !is_well_formed(verifier) {
        return false;
    }
    let derived = match challenge.method {
        Method::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        Method::Plain => verifier.to_owned(),
    };
    derived.len() == challenge.value.len()
        && bool::from(derived.as_bytes().ct_eq(challenge.value.as_bytes()))
}

/// Why a token request's `code_verifier` does not redeem its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifierError {
    /// The code has a challenge and the request no verifier (PKCE-05, `invalid_request`).
    Missing,
    /// A verifier that does not answer the challenge, or one for a code issued without a
    /// challenge, a downgrade attempt (PKCE-02, PKCE-06, `invalid_grant`).
    Mismatch,
}

/// RFC 7636 §4.6 at the token endpoint: a code with a challenge needs the verifier that
/// answers it; a code without one takes no verifier.
pub fn check_verifier(
    challenge: Option<&Challenge>,
    verifier: Option<&str>,
) -> Result<(), VerifierError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) if verify(verifier, challenge) => Ok(()),
        (Some(_), None) => Err(VerifierError::Missing),
        (Some(_), Some(_)) | (None, Some(_)) => Err(VerifierError::Mismatch),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        code_verifier: String,
        code_challenge: String,
    }

    fn appendix_b() -> Vector {
        serde_json::from_str(include_str!("../../fixtures/pkce-rfc7636-appendix-b.json")).unwrap()
    }

    #[test]
    fn pkce_01_rfc_7636_appendix_b_vector() {
        let vector = appendix_b();
        let challenge = challenge(Some(&vector.code_challenge), Some("S256"), Profile::Strict)
            .unwrap()
            .unwrap();
        assert!(verify(&vector.code_verifier, &challenge));
    }

    #[test]
    fn pkce_02_one_character_off_fails() {
        let vector = appendix_b();
        let challenge = challenge(Some(&vector.code_challenge), Some("S256"), Profile::Vendor)
            .unwrap()
            .unwrap();
        let mut verifier = vector.code_verifier.into_bytes();
        verifier[0] = b'e';
        assert!(!verify(std::str::from_utf8(&verifier).unwrap(), &challenge));
    }

    #[test]
    fn pkce_03_plain_by_profile_and_never_assumed_s256() {
        let value = "a".repeat(43);
        let plain = challenge(Some(&value), None, Profile::Vendor)
            .unwrap()
            .unwrap();
        assert_eq!(plain.method, Method::Plain, "a missing method means plain");
        assert!(verify(&value, &plain));
        assert!(!verify(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes())),
            &plain
        ));
        assert_eq!(
            challenge(Some(&value), None, Profile::Strict),
            Err(ChallengeError::PlainRefused)
        );
        assert_eq!(
            challenge(Some(&value), Some("plain"), Profile::Strict),
            Err(ChallengeError::PlainRefused)
        );
    }

    #[test]
    fn pkce_02_05_06_the_token_request_verifier() {
        let vector = appendix_b();
        let challenge = challenge(Some(&vector.code_challenge), Some("S256"), Profile::Strict)
            .unwrap()
            .unwrap();
        let check = |challenge, verifier| check_verifier(challenge, verifier);
        let wrong = "a".repeat(43);
        assert_eq!(check(Some(&challenge), Some(&vector.code_verifier)), Ok(()));
        assert_eq!(
            check(Some(&challenge), Some(&wrong)),
            Err(VerifierError::Mismatch)
        );
        assert_eq!(check(Some(&challenge), None), Err(VerifierError::Missing));
        assert_eq!(
            check(None, Some(&vector.code_verifier)),
            Err(VerifierError::Mismatch),
            "a verifier for a code without a challenge is a downgrade"
        );
        assert_eq!(check(None, None), Ok(()));
    }

    #[test]
    fn pkce_04_07_08_refusals() {
        let value = "a".repeat(43);
        assert_eq!(
            challenge(Some(&value), Some("S512"), Profile::Vendor),
            Err(ChallengeError::UnknownMethod)
        );
        for bad in [
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(42)),
            format!("{}=", "a".repeat(42)),
        ] {
            assert_eq!(
                challenge(Some(&bad), Some("S256"), Profile::Vendor),
                Err(ChallengeError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            challenge(None, None, Profile::Strict),
            Err(ChallengeError::Required)
        );
        assert_eq!(challenge(None, None, Profile::Vendor), Ok(None));
        assert_eq!(
            challenge(None, Some("S256"), Profile::Vendor),
            Err(ChallengeError::MethodWithoutChallenge)
        );
        let s256 = challenge(Some(&value), Some("S256"), Profile::Vendor)
            .unwrap()
            .unwrap();
        assert!(
            !verify("short", &s256),
            "a malformed verifier never verifies"
        );
    }
}
