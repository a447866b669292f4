//! `DELETE /api/tokens`: logs out the session of the bearer token presented:
//! its access token and its refresh token stop working at once. The user's
//! other sessions are untouched.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::{authenticate, Nothing};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::no_content;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Logs out the session of the bearer token presented: its access token and
/// its refresh token stop working; other sessions are untouched.
#[utoipa::path(
    delete, path = "/api/tokens", operation_id = "revoke_token", tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token is revoked."),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(revoke_token(app, &req).await)
}

async fn revoke_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    match &caller.session_id {
        Some(session) => {
            app.tokens
                .end_session(caller.user_id, session, &caller.token_hash)
                .await?
        }
        None => app.tokens.revoke(&caller.token_hash).await?,
    }
    Ok(no_content())
}
