//! Passwords, tokens and the two authentication schemes.
//!
//! Passwords are argon2id PHC strings, hashed and verified on the blocking
//! pool so a ~20 ms hash never stalls the async runtime. Tokens are 32 random
//! bytes from the OS; only their SHA-256 is stored.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::Password;
use crate::error::{ApiError, Challenge};
use crate::http::path_id;
use crate::store::items::User;
use crate::App;

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

/// Hashes a new password on the blocking pool.
pub async fn hash_password(password: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        ApiError::Internal
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        ApiError::Internal
    })
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

/// A new token: 32 random bytes from the OS, URL-safe base64 (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a token in hex: the only form the table stores. A fast hash
/// suffices because the token carries 256 bits of entropy.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn authorization(req: &Request) -> Option<&str> {
    req.headers().get(AUTHORIZATION)?.to_str().ok()
}

/// Splits `Scheme credentials`, matching the scheme case-insensitively.
fn credentials<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.trim().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// The username and password of an HTTP Basic `Authorization` header.
pub fn basic_credentials(req: &Request) -> Result<(String, String), ApiError> {
    let unauthorized = |m: &str| ApiError::Unauthorized(Challenge::Basic, m.to_string());
    let header = authorization(req).ok_or_else(|| {
        unauthorized("send your username and password with HTTP Basic authentication")
    })?;
    let encoded = credentials(header, "Basic")
        .ok_or_else(|| unauthorized("the Authorization header must use the Basic scheme"))?;
    let decoded = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| unauthorized("the Basic credentials are not valid base64 of UTF-8 text"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| unauthorized("the Basic credentials must be username:password"))?;
    Ok((username.to_string(), password.to_string()))
}

/// The bearer token of the `Authorization` header, checked for shape only.
pub fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    let unauthorized = |m: &str| ApiError::Unauthorized(Challenge::Bearer, m.to_string());
    let header = authorization(req).ok_or_else(|| {
        unauthorized("this route needs a token: send Authorization: Bearer <token>")
    })?;
    let token = credentials(header, "Bearer")
        .ok_or_else(|| unauthorized("the Authorization header must use the Bearer scheme"))?;
    let plausible = (16..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plausible {
        Ok(token)
    } else {
        Err(unauthorized("the token is invalid, expired or revoked"))
    }
}

/// Authenticates the bearer token of `req`: one eventually consistent GetItem.
/// Returns the caller's user id and the token's hash.
pub async fn authenticate(app: &App, req: &Request) -> Result<Caller, ApiError> {
    let token = bearer_token(req)?;
    let hash = token_hash(token);
    match app.tokens.find(&hash).await? {
        Some(record) if record.is_valid_at(chrono::Utc::now()) => Ok(Caller {
            user_id: record.user_id,
            token_hash: hash,
        }),
        _ => Err(ApiError::Unauthorized(
            Challenge::Bearer,
            "the token is invalid, expired or revoked; get a new one from POST /api/tokens".into(),
        )),
    }
}

/// Authenticates and reads the user named by the `{id}` path parameter,
/// concurrently: one round trip for the two GetItems. An unauthenticated
/// request is a 401 whatever the id; then a malformed or unknown id is a 404.
pub async fn authenticate_and_load_user(
    app: &App,
    req: &Request,
) -> Result<(Caller, User), ApiError> {
    let caller = authenticate(app, req);
    let id = match path_id(req, "id") {
        Ok(id) => id,
        Err(not_found) => {
            caller.await?;
            return Err(not_found);
        }
    };
    let (caller, user) = tokio::join!(caller, app.users.get(id, false));
    let caller = caller?;
    let user = user?.ok_or_else(|| ApiError::not_found(format!("no user has the id {id}")))?;
    Ok((caller, user))
}

/// Authenticates a request that acts as the user of the `{id}` path
/// parameter: anyone else gets a 403 with `message`. Returns that id.
pub async fn authenticate_as_path_user(
    app: &App,
    req: &Request,
    message: &str,
) -> Result<u64, ApiError> {
    let caller = authenticate(app, req).await?;
    let id = path_id(req, "id")?;
    if caller.user_id == id {
        Ok(id)
    } else {
        Err(ApiError::Forbidden(message.to_string()))
    }
}

/// Who is calling, as established by a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's user id.
    pub user_id: u64,
    /// The SHA-256 of the token presented, for revocation.
    pub token_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: &str) -> Request {
        lambda_http::http::Request::builder()
            .header("authorization", authorization)
            .body(lambda_http::Body::Empty)
            .unwrap()
    }

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

    #[test]
    fn tokens_are_43_url_safe_characters_and_never_repeat() {
        let a = new_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, new_token());
    }

    #[test]
    fn a_token_hash_is_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let req = request(&format!("Basic {}", STANDARD.encode("susan:pa:ss")));
        assert_eq!(
            basic_credentials(&req).unwrap(),
            ("susan".into(), "pa:ss".into())
        );
        let req = request(&format!("basic {}", STANDARD.encode("susan:x")));
        assert!(basic_credentials(&req).is_ok(), "the scheme ignores case");
    }

    #[test]
    fn malformed_basic_credentials_are_a_401_asking_for_basic() {
        for bad in [
            "Basic",
            "Basic !!!",
            "Bearer abc",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            let err = basic_credentials(&request(bad)).unwrap_err();
            assert_eq!(
                err,
                ApiError::Unauthorized(Challenge::Basic, err.message()),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bearer_token_of_the_wrong_shape_is_refused_before_any_lookup() {
        assert!(bearer_token(&request(&format!("Bearer {}", new_token()))).is_ok());
        for bad in [
            "Bearer",
            "Bearer short",
            "Basic abc",
            "Bearer has spaces in it ok",
            "Bearer ../../etc/passwd!!",
        ] {
            assert_eq!(
                bearer_token(&request(bad)).unwrap_err().status(),
                401,
                "{bad}"
            );
        }
    }
}
