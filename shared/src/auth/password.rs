//! Password hashing: argon2id PHC strings, hashed and verified on the
//! blocking pool so a ~20 ms hash never stalls the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::Password;

/// argon2id with OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).expect("constant parameters are valid"),
    )
}

/// A hash of a random password with the same parameters, verified when the
/// username is unknown so that the answer takes as long as for a known user.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$mTpVv9aR6cqKYMMs0LGp0l9Ufc8i7Q8m2wRzn7Ut4Tg";

/// Hashing a password failed on our side; the cause is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashError;

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("password hashing failed (logged)")
    }
}

impl std::error::Error for HashError {}

/// Hashes a new password on the blocking pool.
pub async fn hash_password(password: Password) -> Result<String, HashError> {
    let hashed = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await;
    match hashed {
        Ok(Ok(hash)) => Ok(hash),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "password hashing failed");
            Err(HashError)
        }
        Err(e) => {
            tracing::error!(error = %e, "password hashing task failed");
            Err(HashError)
        }
    }
}

/// Checks `password` against `stored`, or against [`DUMMY_HASH`] when there
/// is no user, so both failures cost the same time. Never true without a user.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    known && verified
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_uses_the_same_parameters_as_real_hashes() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (19_456, 2, 1)
        );
    }

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(hash)).await);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify_password("anything".into(), None).await);
    }
}
