//! `PUT /api/users/{id}/muted/{target_id}`: the caller mutes a user: their
//! posts leave the caller's feed at once; follows stay, and the muted user is
//! not told. Already muting is also 204. See `microblog_shared::safety`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::Silence;
use microblog_shared::error::ErrorBody;
use microblog_shared::safety::change_silence;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller mutes `target_id`; already muting is no error.
#[utoipa::path(
    put, path = "/api/users/{id}/muted/{target_id}", operation_id = "mute_user", tag = "safety",
    security(("bearer" = [])),
    params(openapi::SilencePath),
    responses(
        (status = 204, description = "`id` mutes `target_id`: their posts are out of the caller's feed."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        (status = 409, description = "The caller mutes the most users allowed (10,000).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(change_silence(app, &req, Silence::Mute, true).await)
}
