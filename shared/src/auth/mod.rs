//! Authentication: reading HTTP Basic and Bearer credentials, and checking
//! a bearer token against the token store.

mod authenticate;
pub mod session;
pub mod token;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;

pub use authenticate::{
    authenticate, Alongside, Needs, Nothing, Own, PathPost, PathUser, Screened,
};
pub use token::{new_access_token, new_token, plausible_token, token_hash, token_user};

use crate::domain::{Safety, User, UserId};
use crate::error::{ApiError, Challenge};
use crate::App;

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
    if plausible_token(token) {
        Ok(token)
    } else {
        Err(unauthorized("the token is invalid, expired or revoked"))
    }
}

/// The 403 of a suspended user's every request and log-in.
pub fn account_suspended() -> ApiError {
    ApiError::Forbidden("account suspended".into())
}

/// The 401 of a token that does not (or no longer) work.
pub fn token_rejected() -> ApiError {
    ApiError::Unauthorized(
        Challenge::Bearer,
        "the token is invalid, expired or revoked; get a new one from POST /api/tokens".into(),
    )
}

/// Checks `token`: the token and its user's profile, both read strongly
/// consistently, in one BatchGetItem (a token names its user,
/// [`token_user`]). The token must exist, be unexpired and name that user,
/// and the profile must exist with the session epoch the token was minted
/// under, so that revoking a session, every session, or the account takes
/// effect at once: no read can see a revoked token as alive.
///
/// With `screen`, the caller's blocks and mutes are read in the same
/// BatchGetItem ([`Caller::safety`]).
async fn check_token(app: &App, token: &str, screen: bool) -> Result<Caller, ApiError> {
    let hash = token_hash(token);
    let (record, user, safety) = app
        .tokens
        .find_screening(&hash, token_user(token), screen)
        .await?;
    let now = chrono::Utc::now();
    match (record, user) {
        // A suspension raised the session epoch, ending every session; a
        // token that was alive just before it gets the reason rather than
        // a 401 (a token dead already, expired or revoked, gets the 401).
        (Some(record), Some(user))
            if record.user_id == user.id
                && user.suspended_at.is_some()
                && record.is_valid_at(now)
                && record.session_epoch + 1 == user.session_epoch =>
        {
            Err(account_suspended())
        }
        (Some(record), Some(user))
            if record.is_valid_at(now)
                && record.user_id == user.id
                && user.session_epoch == record.session_epoch =>
        {
            Ok(Caller {
                user_id: record.user_id,
                token_hash: hash,
                session_id: record.session_id,
                user,
                safety,
            })
        }
        _ => Err(token_rejected()),
    }
}

/// Who is calling, as established by a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's user id.
    pub user_id: UserId,
    /// The SHA-256 of the token presented, for revocation.
    pub token_hash: String,
    /// The session the token belongs to (`None`: a token issued before
    /// sessions existed).
    pub session_id: Option<String>,
    /// The caller's profile, as read (strongly) to authenticate.
    pub user: User,
    /// The caller's blocks and mutes, read with the token when the handler
    /// asked for them ([`Screened`]).
    pub safety: Option<Safety>,
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
