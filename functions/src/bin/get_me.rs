//! `GET /api/me`: the caller's own user, email included: the same answer as
//! `GET /api/users/{their id}`, for an app that holds only a token. The
//! profile is the one authentication read, so it costs nothing more.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate;
use microblog_shared::http::json_with_etag;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_me(app, &req).await)
}

async fn get_me(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req).await?;
    json_with_etag(
        req,
        StatusCode::OK,
        &UserRepr::for_viewer(&caller.user, caller.user_id),
    )
}
