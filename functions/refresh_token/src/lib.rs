//! `PUT /api/tokens`: a refresh token in the body (no `Authorization`), a
//! new token pair out, as `POST /api/tokens` answers. The refresh token
//! presented and the access token issued with it stop working (rotation).
//! A refresh token that was already rotated is a sign that it leaked
//! (RFC 9700, 4.14.2): presenting it revokes its whole session, and the
//! answer is 401.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::session::{Grant, RefreshToken};
use microblog_shared::domain::RefreshRequest;
use microblog_shared::error::Challenge;
use microblog_shared::http::json_body;
use microblog_shared::store::tokens::SessionRecord;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(refresh(app, &req).await)
}

fn rejected() -> ApiError {
    ApiError::Unauthorized(
        Challenge::Bearer,
        "the refresh token is invalid, expired or revoked; log in again with POST /api/tokens"
            .into(),
    )
}

fn reused() -> ApiError {
    ApiError::Unauthorized(
        Challenge::Bearer,
        "this refresh token was already used, so its session is now revoked; log in again with POST /api/tokens"
            .into(),
    )
}

async fn refresh(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let presented = json_body::<RefreshRequest>(req)?.token()?;
    let token = RefreshToken::parse(presented.expose()).ok_or_else(rejected)?;
    let (session, user) = tokio::join!(
        app.tokens.session(token.user_id, token.session_id),
        app.users.get(token.user_id, Read::Strong),
    );
    let (Some(session), Some(user)) = (session?, user?) else {
        return Err(rejected());
    };
    if user.session_epoch != session.session_epoch {
        // Every session of the user was revoked after this one opened.
        return Err(rejected());
    }
    if token.hash() != session.refresh_hash {
        return Err(revoke_reused(app, &session).await);
    }
    let now = chrono::Utc::now();
    if !session.is_valid_at(now) {
        return Err(rejected());
    }
    let grant = Grant::new(&app.config, user.id, &session.session_id, now);
    match app.tokens.rotate(&session, &grant.pair, now).await {
        Ok(()) => grant.into_response(user.id),
        // A concurrent refresh with the same token won: this one is the
        // second use of a rotated token.
        Err(StoreError::Conflict(Constraint::SessionMoved)) => {
            match app.tokens.session(user.id, &session.session_id).await? {
                Some(moved) => Err(revoke_reused(app, &moved).await),
                None => Err(rejected()),
            }
        }
        Err(StoreError::Conflict(Constraint::SessionsRevoked)) => Err(rejected()),
        Err(other) => Err(other.into()),
    }
}

/// Ends `session`, whose rotated refresh token was presented, and returns
/// the 401 saying so (or the failure to end it).
async fn revoke_reused(app: &App, session: &SessionRecord) -> ApiError {
    tracing::warn!(
        user_id = session.user_id,
        "a rotated refresh token was presented again; revoking its session"
    );
    match app
        .tokens
        .end_session(session.user_id, &session.session_id, &session.access_hash)
        .await
    {
        Ok(()) => reused(),
        Err(failed) => failed.into(),
    }
}
