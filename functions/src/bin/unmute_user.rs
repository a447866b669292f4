//! `DELETE /api/users/{id}/muted/{target_id}`: the caller unmutes a user; not
//! muting is also 204. See `microblog_shared::safety`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::Silence;
use microblog_shared::error::ErrorBody;
use microblog_shared::safety::change_silence;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller stops muting `target_id`; not muting is no error.
#[utoipa::path(
    delete, path = "/api/users/{id}/muted/{target_id}", operation_id = "unmute_user", tag = "safety",
    security(("bearer" = [])),
    params(openapi::SilencePath),
    responses(
        (status = 204, description = "`id` does not mute `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "An id is not a user id (a positive integer).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(change_silence(app, &req, Silence::Mute, false).await)
}
