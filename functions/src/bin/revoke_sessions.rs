//! `DELETE /api/users/{id}/tokens`: logs the caller out everywhere. One
//! write raises the user's session epoch, and every token and refresh token
//! minted under the old one stops working with it: there is no moment when
//! some still work. The dead sessions' items expire by their TTL, or go
//! with the account.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, token_rejected, Own};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::no_content;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Logs the caller out everywhere: every token and refresh token stops working.
#[utoipa::path(
    delete, path = "/api/users/{id}/tokens", operation_id = "revoke_sessions", tag = "tokens",
    security(("bearer" = [])),
    params(openapi::UserPath),
    responses(
        (status = 204, description = "Every session of the user is revoked."),
        openapi::NoValidToken,
        (status = 403, description = "The id is not the caller's.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(revoke_sessions(app, &req).await)
}

async fn revoke_sessions(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate(app, req, Own("you can only revoke your own sessions"))
        .await?
        .1;
    match app.tokens.revoke_all(id).await {
        // Deleted since the token was checked: nothing is left to revoke.
        Err(StoreError::Conflict(Constraint::UserMissing)) => Err(token_rejected()),
        outcome => outcome.map(|()| no_content()).map_err(Into::into),
    }
}
