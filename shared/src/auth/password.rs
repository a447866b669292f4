//! Password hashing: argon2id PHC strings, hashed and verified on the
//! blocking pool so a ~20 ms hash never stalls the async runtime.
//!
//! argon2 works in 19 MiB of memory. Allocating and freeing that on every
//! hash made glibc raise its mmap threshold after the first free, so later
//! blocks came from per-thread heaps that kept them: `create_user` and
//! `get_token` grew to 200-430 MiB of resident memory (docs/PERFORMANCE.md).
//! The blocks are allocated once instead and kept in a pool, one per hash
//! running at the same moment: one on Lambda, which runs one request at a
//! time, and a few on the local server.

use std::sync::Mutex;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::domain::Password;

/// argon2id with OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("constant parameters are valid")
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Working memory for [`params`], kept between hashes.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` with a block of argon2 working memory for [`params`] from
/// the pool (a new one when every block is in use), then returns it.
fn with_memory<T>(work: impl FnOnce(&mut [Block]) -> T) -> T {
    let pool = || MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let taken = pool().pop();
    let mut blocks = taken.unwrap_or_else(|| vec![Block::default(); params().block_count()]);
    let result = work(&mut blocks);
    pool().push(blocks);
    result
}

/// The argon2 output of `password` with `salt` under `argon2`, `len`
/// bytes long, computed in pooled memory when its parameters are ours.
fn output(
    argon2: &Argon2<'_>,
    block_count: usize,
    password: &[u8],
    salt: Salt<'_>,
    len: usize,
) -> argon2::password_hash::Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    Output::init_with(len, |out| {
        let hashed = if block_count == params().block_count() {
            with_memory(|blocks| argon2.hash_password_into_with_memory(password, salt, out, blocks))
        } else {
            argon2.hash_password_into(password, salt, out)
        };
        hashed.map_err(Into::into)
    })
}

/// A new PHC string for `password` with a random salt.
fn hash_phc(password: &[u8]) -> argon2::password_hash::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = output(
        &hasher(),
        params().block_count(),
        password,
        salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params())?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `stored`, whatever argon2
/// parameters it names.
fn verify_phc(password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let named = (
        Algorithm::try_from(parsed.algorithm),
        Version::try_from(parsed.version.unwrap_or(Version::V0x13.into())),
        Params::try_from(&parsed),
    );
    let (Ok(algorithm), Ok(version), Ok(params)) = named else {
        return false;
    };
    let block_count = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    // Output's equality is constant-time.
    output(&argon2, block_count, password, salt, expected.len())
        .is_ok_and(|computed| computed == expected)
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
    let hashed = tokio::task::spawn_blocking(move || hash_phc(password.expose().as_bytes())).await;
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
    let verified = tokio::task::spawn_blocking(move || verify_phc(password.as_bytes(), &hash))
        .await
        .unwrap_or(false);
    known && verified
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

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

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        // Ours verified by the crate's own verifier, and the crate's by ours.
        let ours = hash_phc(b"correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(hasher().verify_password(b"correct horse", &parsed).is_ok());
        assert!(verify_phc(b"correct horse", &ours));
        assert!(!verify_phc(b"correct horsf", &ours));
        // Other parameters than ours are verified too (outside the pool).
        use argon2::PasswordHasher;
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let theirs = small
            .hash_password(b"pw-pw-pw-pw", &salt)
            .unwrap()
            .to_string();
        assert!(verify_phc(b"pw-pw-pw-pw", &theirs));
        assert!(!verify_phc(b"pw-pw-pw-pX", &theirs));
        assert!(!verify_phc(b"pw", "not a phc string"));
    }

    #[test]
    fn concurrent_hashes_each_get_their_own_memory_and_return_it() {
        let threads: Vec<_> = (0..3)
            .map(|i| std::thread::spawn(move || hash_phc(format!("password {i}").as_bytes())))
            .collect();
        for (i, thread) in threads.into_iter().enumerate() {
            let hash = thread.join().unwrap().unwrap();
            assert!(verify_phc(format!("password {i}").as_bytes(), &hash));
        }
        let pooled = MEMORY.lock().unwrap();
        assert!(!pooled.is_empty());
        assert!(pooled.iter().all(|b| b.len() == params().block_count()));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify_password("anything".into(), None).await);
    }
}
