//! `DELETE /api/users/{id}/blocked/{target_id}`: the caller unblocks a user
//! (removed follows stay removed); not blocking is also 204. See
//! `microblog_shared::safety`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::Silence;
use microblog_shared::error::ErrorBody;
use microblog_shared::safety::change_silence;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller stops blocking `target_id`; not blocking is no error.
#[utoipa::path(
    delete, path = "/api/users/{id}/blocked/{target_id}", operation_id = "unblock_user", tag = "safety",
    security(("bearer" = [])),
    params(openapi::SilencePath),
    responses(
        (status = 204, description = "`id` does not block `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "An id is not a user id (a positive integer).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(change_silence(app, &req, Silence::Block, false).await)
}
