//! `DELETE /api/tokens`: revokes the bearer token presented, and only it.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate;
use microblog_shared::http::no_content;
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(revoke_token(app, &req).await)
}

async fn revoke_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req).await?;
    app.tokens.revoke(&caller.token_hash).await?;
    Ok(no_content())
}
