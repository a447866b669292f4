//! `DELETE /api/tokens`: logs out the session of the bearer token presented:
//! its access token and its refresh token stop working at once. The user's
//! other sessions are untouched.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Nothing};
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
        openapi::NoValidToken,
        openapi::Unavailable,
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
