//! `GET /api/users/{id}`: one user. One's own costs authentication's one
//! BatchGetItem (token and profile); another user's adds that user's
//! GetItem, issued concurrently.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathUser};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::json_with_etag;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// One user; the email address only for the user themself.
#[utoipa::path(
    get, path = "/api/users/{id}", operation_id = "get_user", tag = "users",
    security(("bearer" = [])),
    params(openapi::UserPath, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The user.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        (status = 404, description = "No user has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_user(app, &req).await)
}

async fn get_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, user) = authenticate(app, req, PathUser).await?;
    json_with_etag(
        req,
        StatusCode::OK,
        &UserRepr::for_viewer(&user, caller.user_id),
    )
}
