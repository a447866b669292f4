//! `GET /api/me`: the caller's own user, email included: the same answer as
//! `GET /api/users/{their id}`, for an app that holds only a token. The
//! profile is the one authentication read, so it costs nothing more.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Nothing};
use microblog_shared::http::json_with_etag;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The caller's own user, email included.
#[utoipa::path(
    get, path = "/api/me", operation_id = "get_me", tag = "users",
    security(("bearer" = [])),
    params(openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The caller, with their email address.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_me(app, &req).await)
}

async fn get_me(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    json_with_etag(
        req,
        StatusCode::OK,
        &UserRepr::for_viewer(&caller.user, caller.user_id),
    )
}
