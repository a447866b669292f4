//! Sessions as clients see them: the pair of tokens a login or a refresh
//! hands out, and the refresh token's format.
//!
//! A refresh token is `<user id>.<session id>.<secret>`: it names its
//! session, so a refresh reads one item by key, and a token naming a live
//! session that is not its current refresh token is recognised as a reused
//! (rotated) one. Only its SHA-256 is stored.

use chrono::{DateTime, Utc};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};

use super::token::{new_access_token, new_token, token_hash};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::json;
use crate::representation::TokenGrant;
use crate::store::tokens::TokenPair;
use crate::Config;

/// A new session id: 16 random bytes, URL-safe base64 (22 characters).
pub fn new_session_id() -> String {
    new_token()[..22].to_string()
}

/// A refresh token as presented, split into what it names.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken<'a> {
    /// The user whose session it names.
    pub user_id: UserId,
    /// The session it names.
    pub session_id: &'a str,
    /// The whole token, to hash.
    raw: &'a str,
}

impl std::fmt::Debug for RefreshToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RefreshToken({}, <redacted>)", self.user_id)
    }
}

fn url_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<'a> RefreshToken<'a> {
    /// Reads `raw`; `None` when it cannot be one of ours.
    pub fn parse(raw: &'a str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let (user, session, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let user_id = UserId::parse(user).ok()?;
        let plausible = (16..=64).contains(&session.len())
            && url_safe(session)
            && (32..=128).contains(&secret.len())
            && url_safe(secret);
        plausible.then_some(RefreshToken {
            user_id,
            session_id: session,
            raw,
        })
    }

    /// The SHA-256 the session stores.
    pub fn hash(&self) -> String {
        token_hash(self.raw)
    }
}

/// The tokens a login or a refresh hands out: the secrets for the client,
/// the hashes and expiries for the table.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The new access token.
    pub access_token: String,
    /// The new refresh token.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// What the table stores of them.
    pub pair: TokenPair,
}

impl Grant {
    /// Fresh tokens for session `session_id` of `user_id`, issued at `now`
    /// with the lifetimes of `config`.
    pub fn new(config: &Config, user_id: UserId, session_id: &str, now: DateTime<Utc>) -> Grant {
        let access_token = new_access_token(user_id);
        let refresh_token = format!("{user_id}.{session_id}.{}", new_token());
        Grant {
            pair: TokenPair {
                access_hash: token_hash(&access_token),
                access_expires_at: now + config.token_ttl,
                refresh_hash: token_hash(&refresh_token),
                refresh_expires_at: now + config.refresh_token_ttl,
            },
            access_token,
            refresh_token,
            expires_in: config.token_ttl.as_secs(),
        }
    }

    /// The 200 answer of `POST` and `PUT /api/tokens`, never cached.
    pub fn into_response(self, user_id: UserId) -> Result<Response<Body>, ApiError> {
        let mut response = json(
            StatusCode::OK,
            &TokenGrant {
                token: &self.access_token,
                expires_in: self.expires_in,
                refresh_token: &self.refresh_token,
                user_id: user_id.get(),
            },
        )?;
        // Tokens are credentials: no cache may keep them.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_names_its_user_and_session_and_round_trips() {
        let config =
            Config::from_lookup(|name| (name == "TABLE_NAME").then(|| "t-1".to_string())).unwrap();
        let session = new_session_id();
        assert_eq!(session.len(), 22);
        let grant = Grant::new(&config, UserId::new(42), &session, Utc::now());
        let parsed = RefreshToken::parse(&grant.refresh_token).unwrap();
        assert_eq!(parsed.user_id, UserId::new(42));
        assert_eq!(parsed.session_id, session);
        assert_eq!(parsed.hash(), grant.pair.refresh_hash);
        assert_ne!(grant.pair.access_hash, grant.pair.refresh_hash);
        assert!(!format!("{parsed:?}").contains(&session));
    }

    #[test]
    fn anything_else_is_not_a_refresh_token() {
        let secret = "a".repeat(43);
        for bad in [
            String::new(),
            "garbage".into(),
            format!("0.{}.{secret}", "s".repeat(22)),
            format!("x.{}.{secret}", "s".repeat(22)),
            format!("1.short.{secret}"),
            format!("1.{}.short", "s".repeat(22)),
            format!("1.{}.{secret}!", "s".repeat(22)),
            format!("1.{}", "s".repeat(22)),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
    }
}
