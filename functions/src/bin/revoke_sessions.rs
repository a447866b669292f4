//! `DELETE /api/users/{id}/tokens`: logs the caller out everywhere. One
//! write raises the user's session epoch, and every token and refresh token
//! minted under the old one stops working with it: there is no moment when
//! some still work. The dead sessions' items expire by their TTL, or go
//! with the account.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::{authenticate_as_path_user, token_rejected};
use microblog_shared::http::no_content;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(revoke_sessions(app, &req).await)
}

async fn revoke_sessions(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate_as_path_user(app, req, "you can only revoke your own sessions").await?;
    match app.tokens.revoke_all(id).await {
        // Deleted since the token was checked: nothing is left to revoke.
        Err(StoreError::Conflict(Constraint::UserMissing)) => Err(token_rejected()),
        outcome => outcome.map(|()| no_content()).map_err(Into::into),
    }
}
