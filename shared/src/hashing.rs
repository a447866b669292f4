//! Password hashing: argon2id PHC strings, hashed and verified off the
//! async runtime, on a small pool of dedicated threads.
//!
//! Each hash or check holds 19 MiB for ~20 ms of CPU. On Lambda a function
//! serves one request at a time, but the local server serves hundreds: run
//! on tokio's blocking pool (up to 512 threads) a burst of logins held
//! 19 MiB per login at once and left memory behind in each thread's
//! allocator arena (96 concurrent logins took the server from 178 MB to
//! 1.9 GB). The pool runs at most [`MAX_CONCURRENT_HASHES`] at a time; the
//! others wait in line, holding nothing but their password. Waiting costs no
//! throughput: hashing is CPU-bound, and there are no more cores to use.

use std::sync::Mutex;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::domain::Password;

/// OWASP's recommended minimum for argon2id: 19 MiB, 2 passes, 1 lane.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("constant parameters are valid")
}

/// The 19 MiB blocks argon2 works in, allocated once and reused by
/// whichever hashing thread runs next: allocating one per hash left freed
/// blocks in the allocator's per-thread arenas (a burst of 100 logins held
/// 200 MB after it; `create_user` on Lambda grew to 200-430 MiB), and one per
/// thread would hold a block for every thread that ever ran a hash (38 MiB
/// with two, on a Lambda function that hashes one password at a time). The
/// pool holds as many as ever ran at once: one on Lambda.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// argon2 of `password` and the raw `salt` into `out`, in a block of the
/// pool. Every block is written before it is read, so what the memory held
/// before does not matter.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let pool = || MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let mut memory = pool().pop().unwrap_or_default();
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let hashed = argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..needed])
        .map_err(|e| e.to_string());
    pool().push(memory);
    hashed
}

/// A new PHC string for `password`, with a random salt.
fn new_hash(password: &[u8]) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buffer = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_buffer)
        .map_err(|e| e.to_string())?;
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, password, raw_salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, compared in constant
/// time; an unreadable `stored` matches nothing.
fn matches(password: &[u8], stored: &str) -> Result<bool, String> {
    let parsed = PasswordHash::new(stored).map_err(|e| e.to_string())?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| e.to_string())?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| e.to_string())?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
    let expected = parsed.hash.ok_or("no hash")?;
    let mut salt_buffer = [0u8; 64];
    let salt = parsed
        .salt
        .ok_or("no salt")?
        .decode_b64(&mut salt_buffer)
        .map_err(|e| e.to_string())?;
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, &params, password, salt, &mut out)?;
    Ok(Output::new(&out).map_err(|e| e.to_string())? == expected)
}

/// A hash of a random password with the same parameters, verified when the
/// username is unknown so that the answer takes as long as for a known user.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$mTpVv9aR6cqKYMMs0LGp0l9Ufc8i7Q8m2wRzn7Ut4Tg";

/// How many hashes or checks run at once, in this process: one per core,
/// at most 4 (76 MiB of argon2 memory).
pub fn max_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// The same, as a constant bound for documentation and tests.
pub const MAX_CONCURRENT_HASHES: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue, started on first use.
fn pool() -> &'static std::sync::mpsc::Sender<Job> {
    static POOL: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..max_concurrent_hashes() {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("the OS starts a hashing thread");
        }
        sender
    })
}

/// Runs `work` on the hashing pool; `None` if the pool lost it (a panic).
async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    pool().send(job).ok()?;
    result.await.ok()
}

/// Hashing a password failed on our side; the cause is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashError;

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("password hashing failed (logged)")
    }
}

impl std::error::Error for HashError {}

/// Hashes a new password on the hashing pool.
pub async fn hash_password(password: Password) -> Result<String, HashError> {
    let hashed = on_pool(move || new_hash(password.expose().as_bytes())).await;
    match hashed {
        Some(Ok(hash)) => Ok(hash),
        Some(Err(e)) => {
            tracing::error!(error = %e, "password hashing failed");
            Err(HashError)
        }
        None => {
            tracing::error!("password hashing task failed");
            Err(HashError)
        }
    }
}

/// What checking a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// It matches nothing, or there is no user.
    No,
    /// It matches in NFC, the form every password is hashed in.
    Yes,
    /// It matches as typed, not in NFC: a hash made before passwords were
    /// normalised, which [`rehash_password`] makes again from the NFC form.
    BeforeNormalising,
}

impl Verified {
    /// Whether the password was right.
    pub fn matched(self) -> bool {
        self != Verified::No
    }
}

/// Checks `password` against `stored`, or against [`DUMMY_HASH`] when there
/// is no user, so both failures cost the same time; never a match without
/// a user. It is checked in NFC first (NIST SP 800-63B 5.1.1.2: typed
/// composed or decomposed, it is the same password) and, when that differs
/// from what was typed and fails, as typed, which is how hashes made before
/// normalising were made.
pub async fn verify_password(password: String, stored: Option<String>) -> Verified {
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
    let verified = on_pool(move || {
        let normalized = Password::normalize(&password);
        if matches(normalized.as_bytes(), &hash).unwrap_or(false) {
            Verified::Yes
        } else if normalized != password && matches(password.as_bytes(), &hash).unwrap_or(false) {
            Verified::BeforeNormalising
        } else {
            Verified::No
        }
    })
    .await
    .unwrap_or(Verified::No);
    if known {
        verified
    } else {
        Verified::No
    }
}

/// A new hash of `password` in NFC, for one [`verify_password`] found
/// [`Verified::BeforeNormalising`]: the password rules of today are not
/// applied, it is the user's existing password.
pub async fn rehash_password(password: String) -> Result<String, HashError> {
    let normalized = Password::normalize(&password);
    match on_pool(move || new_hash(normalized.as_bytes())).await {
        Some(Ok(hash)) => Ok(hash),
        _ => {
            tracing::error!("password re-hashing failed");
            Err(HashError)
        }
    }
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
        assert_eq!(
            verify_password("correct horse".into(), Some(hash.clone())).await,
            Verified::Yes
        );
        assert_eq!(
            verify_password("wrong horse".into(), Some(hash)).await,
            Verified::No
        );
    }

    #[tokio::test]
    async fn a_password_verifies_composed_or_decomposed_and_an_old_raw_hash_asks_for_a_rehash() {
        let composed = "caf\u{e9}-au-lait";
        let decomposed = "cafe\u{301}-au-lait";
        let hash = hash_password(Password::parse(decomposed).unwrap())
            .await
            .unwrap();
        for typed in [composed, decomposed] {
            assert_eq!(
                verify_password(typed.into(), Some(hash.clone())).await,
                Verified::Yes,
                "{typed:?}"
            );
        }
        // A hash made of the decomposed form as typed, before normalising.
        let old = new_hash(decomposed.as_bytes()).unwrap();
        assert_eq!(
            verify_password(decomposed.into(), Some(old)).await,
            Verified::BeforeNormalising
        );
        let new = rehash_password(decomposed.into()).await.unwrap();
        assert_eq!(
            verify_password(composed.into(), Some(new)).await,
            Verified::Yes
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_a_few_hashes_run_at_once_however_many_are_asked_for() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let checks = (0..32).map(|_| {
            let (running, peak) = (running.clone(), peak.clone());
            tokio::spawn(on_pool(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // What a real check does: argon2 over 19 MiB.
                let ok = matches(b"guess", DUMMY_HASH).unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
                ok
            }))
        });
        for check in checks.collect::<Vec<_>>() {
            assert_eq!(check.await.unwrap(), Some(false));
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=max_concurrent_hashes()).contains(&peak), "{peak}");
        assert!(max_concurrent_hashes() <= MAX_CONCURRENT_HASHES);
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate_s_own_hashing_and_checking_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = new_hash(b"correct horse").unwrap();
        let stock = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        assert!(stock
            .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
            .is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = stock
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert_eq!(matches(b"battery staple", &theirs), Ok(true));
        assert_eq!(matches(b"battery stapler", &theirs), Ok(false));
        // Memory reused on the same thread gives the same answers.
        assert_eq!(matches(b"correct horse", &ours), Ok(true));
        assert_eq!(matches(b"x", "not a PHC string").map_err(|_| ()), Err(()));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert_eq!(verify_password("anything".into(), None).await, Verified::No);
    }
}
