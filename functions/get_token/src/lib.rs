//! `POST /api/tokens`: HTTP Basic credentials in, a new session out: an
//! access token (`token`, `expires_in` seconds), a refresh token and the
//! user's id. Every call opens its own session (one per device) and updates
//! `last_seen`.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::session::{new_session_id, Grant};
use microblog_shared::auth::{basic_credentials, verify_password};
use microblog_shared::domain::Username;
use microblog_shared::error::Challenge;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// Logins that find the user's sessions revoked between reading the profile
/// and opening the session are verified again against a fresh read, this
/// many times in all.
const ATTEMPTS: u32 = 3;

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_token(app, &req).await)
}

fn rejected() -> ApiError {
    ApiError::Unauthorized(Challenge::Basic, "invalid username or password".into())
}

async fn get_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (username, password) = basic_credentials(req)?;
    // The same reads and the same argon2 verify whether or not the name
    // exists, so neither the answer nor its timing tells.
    let username = Username::parse(&username).ok();
    let mut user = app.users.for_login(username.as_ref()).await?;
    for _ in 0..ATTEMPTS {
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        if !verify_password(password.clone(), stored).await {
            return Err(rejected());
        }
        let found = user.ok_or_else(rejected)?;
        let session_id = new_session_id();
        let now = chrono::Utc::now();
        let grant = Grant::new(&app.config, found.id, &session_id, now);
        match app
            .tokens
            .open(found.id, found.session_epoch, &session_id, &grant.pair, now)
            .await
        {
            Ok(()) => return grant.into_response(found.id),
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
