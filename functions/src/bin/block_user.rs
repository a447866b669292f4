//! `PUT /api/users/{id}/blocked/{target_id}`: the caller blocks a user. One
//! TransactWriteItems, which also removes the follows between them both ways;
//! already blocking is also 204. See `microblog_shared::safety`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::Silence;
use microblog_shared::error::ErrorBody;
use microblog_shared::safety::change_silence;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller blocks `target_id`; already blocking is no error.
#[utoipa::path(
    put, path = "/api/users/{id}/blocked/{target_id}", operation_id = "block_user", tag = "safety",
    security(("bearer" = [])),
    params(openapi::SilencePath),
    responses(
        (status = 204, description = "`id` blocks `target_id`: no follows either way (those there were are removed), and neither sees the other's posts."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        (status = 409, description = "The caller blocks the most users allowed (10,000), or the target is blocked by the most users allowed (40,000).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(change_silence(app, &req, Silence::Block, true).await)
}
