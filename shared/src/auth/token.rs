//! Bearer tokens: `<user id>.<secret>`, the secret 32 random bytes from the
//! OS; only the SHA-256 of the whole token is stored.
//!
//! The user id in front lets authentication read the token and its user's
//! profile in one strongly consistent BatchGetItem, one DynamoDB round trip
//! instead of two in a row (docs/ARCHITECTURE.md, "Authenticating a
//! request"). It is not a secret (the login answer names the user anyway)
//! and cannot be changed: the hash covers it, and the stored token must
//! name the same user.

use crate::domain::UserId;
use crate::store::items::sha256_hex;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// A new secret: 32 random bytes from the OS, URL-safe base64 (43
/// characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new access token of `user_id`: `<user id>.<new secret>`.
pub fn new_access_token(user_id: UserId) -> String {
    format!("{user_id}.{}", new_token())
}

/// The user an access token names, when it has the `<user id>.<secret>`
/// form (a secret of 16 to 256 URL-safe characters, as a bare one);
/// `None` for anything else,
/// such as a token minted before tokens named their user (a bare secret),
/// which authentication looks up the old way.
pub fn token_user(token: &str) -> Option<UserId> {
    let (user, secret) = token.split_once('.')?;
    let plausible = secret_shaped(secret);
    plausible.then(|| UserId::parse(user).ok()).flatten()
}

/// Whether `token` has a shape we issue: `<user id>.<secret>`, or a bare
/// secret of 16 to 256 URL-safe characters (tokens minted before tokens
/// named their user, and the old fixtures). Anything else is refused
/// without a read.
pub fn plausible_token(token: &str) -> bool {
    if token.contains('.') {
        token_user(token).is_some()
    } else {
        secret_shaped(token)
    }
}

fn secret_shaped(text: &str) -> bool {
    (16..=256).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SHA-256 of a token in hex: the only form the table stores. A fast hash
/// suffices because the token carries 256 bits of entropy.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_access_token_names_its_user_before_its_secret() {
        let token = new_access_token(UserId::new(42));
        let (user, secret) = token.split_once('.').unwrap();
        assert_eq!(user, "42");
        assert_eq!(secret.len(), 43);
        assert_eq!(token_user(&token), Some(UserId::new(42)));
    }

    #[test]
    fn only_a_canonical_user_id_and_one_secret_make_a_named_token() {
        assert_eq!(token_user(&new_token()), None, "a bare secret names no one");
        let secret = new_token();
        assert_eq!(token_user(&format!("7.{secret}")), Some(UserId::new(7)));
        assert!(plausible_token(&format!("7.{secret}")));
        assert!(plausible_token(&secret), "a bare secret, as before");
        for bad in [
            format!("0.{secret}"),
            format!("-1.{secret}"),
            format!("x.{secret}"),
            format!("99999999999999999999999.{secret}"),
            format!(".{secret}"),
            format!("1.{secret}.{secret}"),
            "1.".to_string(),
            "1.too-short".to_string(),
            "1.a-secret-with-a-character-outside-base64!!".to_string(),
        ] {
            let bad = bad.as_str();
            assert_eq!(token_user(bad), None, "{bad}");
            assert!(!plausible_token(bad), "{bad}");
        }
    }

    #[test]
    fn a_token_hash_is_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
