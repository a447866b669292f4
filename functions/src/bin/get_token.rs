//! `POST /api/tokens`: HTTP Basic credentials in, a new session out: an
//! access token (`token`, `expires_in` seconds), a refresh token and the
//! user's id. Every call opens its own session (one per device) and updates
//! `last_seen`.
//! Failed logins are counted per (username, client address) and per client
//! address; past `RATE_LIMIT_LOGIN_FAILURES` in 15 minutes the pair gets
//! 429, past `RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS` the address does.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::session::{new_session_id, Grant};
use microblog_shared::auth::{account_suspended, basic_credentials};
use microblog_shared::domain::Username;
use microblog_shared::error::Challenge;
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::{rehash_password, verify_password, Verified};
use microblog_shared::http::source_ip;
use microblog_shared::representation::TokenGrant;
use microblog_shared::store::limits::{Limited, Refusal};
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// Logins that find the user's sessions revoked between reading the profile
/// and opening the session are verified again against a fresh read, this
/// many times in all.
const ATTEMPTS: u32 = 3;

microblog_functions::http_function!(handler);

/// A new session for the user of the Basic credentials: an access token
/// and a refresh token; each call opens another (one per device).
#[utoipa::path(
    post, path = "/api/tokens", operation_id = "get_token", tag = "tokens",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The session's tokens.", body = TokenGrant,
            headers(("Cache-Control" = String, description = "`no-store`")),
            links(("RevokeToken" = (operation_id = "revoke_token", description = "Send the token as `Authorization: Bearer <token>`.")))),
        (status = 401, description = "Missing, malformed or wrong credentials.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Basic realm=\"Authentication Required\"`"))),
        (status = 403, description = "The password is right, but the account is suspended (`account suspended`).", body = ErrorBody),
        (status = 429, description = "Too many failed logins for this username from this address; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_token(app, &req).await)
}

fn rejected() -> ApiError {
    ApiError::Unauthorized(Challenge::Basic, "invalid username or password".into())
}

async fn get_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (given_name, password) = basic_credentials(req)?;
    let now = chrono::Utc::now();
    let limits = app.config.rate_limits;
    let source = source_ip(req);
    let pair = Limited::login_failures(&given_name, &source);
    let address = Limited::source_login_failures(&source);
    // The same reads and the same argon2 verify whether or not the name
    // exists, so neither the answer nor its timing tells. The attempt is
    // reserved under both failure limits alongside, before any password is
    // checked: however many guesses arrive at once, no more than a limit's
    // worth are verified, and a refused one costs no hashing.
    let username = Username::parse(&given_name).ok();
    let reserve = [
        (&pair, limits.login_failures),
        (&address, limits.login_failures_per_address),
    ];
    let (user, reserved) = tokio::join!(
        app.users.for_login(username.as_ref()),
        app.limits.reserve(&reserve, now)
    );
    let mut reservation = match reserved? {
        Ok(reservation) => Some(reservation),
        Err(refusal) => return Err(refused(req, refusal)),
    };
    let mut user = user?;
    for _ in 0..ATTEMPTS {
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let verified = verify_password(password.clone(), stored).await;
        if !verified.matched() {
            // The reserved attempt stays counted: it was a failure.
            return Err(rejected());
        }
        let found = user.ok_or_else(rejected)?;
        if found.suspended_at.is_some() {
            // A right password is no failure, but opens nothing here.
            if let Some(reservation) = reservation.take() {
                if let Err(e) = app.limits.give_back(reservation).await {
                    lambda_http::tracing::warn!(error = %e, "could not give back a suspended login's attempt");
                }
            }
            return Err(account_suspended());
        }
        let session_id = new_session_id();
        let now = chrono::Utc::now();
        let grant = Grant::new(&app.config, found.id, &session_id, now);
        // A right password is no failure: its attempt is given back.
        let (opened, given_back) = tokio::join!(
            app.tokens
                .open(found.id, found.session_epoch, &session_id, &grant.pair, now),
            async {
                match reservation.take() {
                    Some(reservation) => app.limits.give_back(reservation).await,
                    None => Ok(()),
                }
            }
        );
        if let Err(e) = given_back {
            lambda_http::tracing::warn!(error = %e, "could not give back a successful login's attempt");
        }
        match opened {
            Ok(()) => {
                if verified == Verified::BeforeNormalising {
                    normalise_hash(app, &found, &password).await;
                }
                return grant.into_response(found.id);
            }
            // The profile moved since it was read: every session revoked, the
            // password changed, or the account deleted. Read it again,
            // strongly, and verify the password against what it holds now.
            Err(StoreError::Conflict(Constraint::SessionsRevoked)) => {
                user = app.users.get(found.id, Read::Strong).await?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::BUSY.into())
}

/// Hashes `user`'s password again in NFC, found right but hashed as typed
/// before passwords were normalised, so that it logs in however it is
/// typed from now on. Best effort: the login succeeded either way.
async fn normalise_hash(app: &App, user: &microblog_shared::domain::User, password: &str) {
    let replaced = match rehash_password(password.to_string()).await {
        Ok(hash) => app
            .users
            .replace_hash(user, &hash)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = replaced {
        lambda_http::tracing::warn!(user_id = %user.id, error = %e, "could not hash a password again in NFC");
    }
}

/// The 429 of a login refused by a limit (index 0: the pair's, 1: the
/// address's), logged for whoever watches for guessing (no name logged).
fn refused(req: &Request, refusal: Refusal) -> ApiError {
    let source = source_ip(req);
    let message = if refusal.limit == 0 {
        lambda_http::tracing::warn!(%source, "login refused: too many failures for one username from this address");
        "too many failed logins for this username from your address"
    } else {
        lambda_http::tracing::warn!(%source, "login refused: too many failures from this address");
        "too many failed logins from your address"
    };
    ApiError::TooManyRequests {
        message: format!(
            "{message}; try again in {} s",
            refusal.retry_after.as_secs()
        ),
        retry_after: refusal.retry_after,
    }
}
