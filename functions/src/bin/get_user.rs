//! `GET /api/users/{id}`: one user. One's own costs authentication's one
//! BatchGetItem (token and profile); another user's adds that user's
//! GetItem, issued concurrently.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_and_load_user;
use microblog_shared::http::json_with_etag;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_user(app, &req).await)
}

async fn get_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, user) = authenticate_and_load_user(app, req).await?;
    json_with_etag(
        req,
        StatusCode::OK,
        &UserRepr::for_viewer(&user, caller.user_id),
    )
}
