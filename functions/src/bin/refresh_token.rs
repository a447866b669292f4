//! `PUT /api/tokens`: a refresh token in the body (no `Authorization`), a
//! new token pair out, as `POST /api/tokens` answers. The refresh token
//! presented and the access token issued with it stop working (rotation).
//! A refresh token that was already rotated is a sign that it leaked
//! (RFC 9700, 4.14.2): presenting it revokes its whole session, and the
//! answer is 401, unless it comes within `REFRESH_REUSE_INTERVAL_SECONDS`
//! of its rotation (two requests of one app refreshing at once), which gets
//! a pair of the same session and revokes nothing. A secret the session
//! never issued is a plain 401 that changes nothing.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::account_suspended;
use microblog_shared::auth::session::{Grant, RefreshToken};
use microblog_shared::error::Challenge;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::RefreshRequest;
use microblog_shared::http::json_body;
use microblog_shared::representation::TokenGrant;
use microblog_shared::store::tokens::{Presented, SessionRecord, MAX_SPARES};
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// A new token pair for a refresh token; the one presented stops working.
#[utoipa::path(
    put, path = "/api/tokens", operation_id = "refresh_token", tag = "tokens",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and refresh token.", body = TokenGrant,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`refresh_token` is missing, or the body is not a JSON object.", body = ErrorBody),
        (status = 401, description = "The refresh token is invalid, expired, revoked or was used already (which revokes its session).", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The session's user is suspended (`account suspended`).", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
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

/// Times a refresh reads the session again after it changed under it (a
/// concurrent refresh of the same app) before answering 503.
const ATTEMPTS: u32 = 3;

async fn refresh(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let presented = json_body::<RefreshRequest>(req)?.token()?;
    let token = RefreshToken::parse(presented.expose()).ok_or_else(rejected)?;
    let hash = token.hash();
    let (session, user) = tokio::join!(
        app.tokens.session(token.user_id, token.session_id),
        app.users.get(token.user_id, Read::Strong),
    );
    let (Some(mut session), Some(user)) = (session?, user?) else {
        return Err(rejected());
    };
    // A session alive until the suspension (which raised the epoch by one)
    // is told why it ended.
    if user.suspended_at.is_some() && session.session_epoch + 1 == user.session_epoch {
        return Err(account_suspended());
    }
    if user.session_epoch != session.session_epoch {
        // Every session of the user was revoked after this one opened.
        return Err(rejected());
    }
    for _ in 0..ATTEMPTS {
        let now = chrono::Utc::now();
        let kind = session.classify(&hash, now, app.config.refresh_reuse_interval);
        let grant = Grant::new(&app.config, user.id, &session.session_id, now);
        let issued = match kind {
            // A secret this session never issued is no sign of a leak:
            // anyone can make one up for a session id they saw.
            Presented::Unknown => return Err(rejected()),
            Presented::Reused => return Err(revoke_reused(app, &session).await),
            _ if !session.is_valid_at(now) => return Err(rejected()),
            Presented::Current => app.tokens.rotate(&session, &grant.pair, now).await,
            // Two requests of one app refreshed with the same token at
            // once: the one that lost gets a pair of its own, and the
            // winner's pair keeps working.
            Presented::Replaced if session.spares.len() >= MAX_SPARES => return Err(rejected()),
            Presented::Replaced => app.tokens.add_spare(&session, &grant.pair, now).await,
        };
        match issued {
            Ok(()) => return grant.into_response(user.id),
            // A concurrent refresh changed the session: decide again on
            // what it holds now.
            Err(StoreError::Conflict(Constraint::SessionMoved)) => {
                match app.tokens.session(user.id, &session.session_id).await? {
                    Some(moved) => session = moved,
                    None => return Err(rejected()),
                }
            }
            Err(StoreError::Conflict(Constraint::SessionsRevoked)) => return Err(rejected()),
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::BUSY.into())
}

/// Ends `session`, one of whose rotated refresh tokens was presented past
/// the reuse interval, and returns the 401 saying so (or the failure to
/// end it).
async fn revoke_reused(app: &App, session: &SessionRecord) -> ApiError {
    tracing::warn!(
        user_id = %session.user_id,
        "a rotated refresh token was presented again; revoking its session"
    );
    match app.tokens.end(session, None).await {
        Ok(()) => reused(),
        Err(failed) => failed.into(),
    }
}
