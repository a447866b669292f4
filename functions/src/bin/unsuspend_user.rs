//! `DELETE /api/users/{id}/suspension`: a moderator lifts a user's
//! suspension, with an audit record. See
//! `microblog_shared::moderation::lift_suspension`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::error::ErrorBody;
use microblog_shared::moderation::lift_suspension;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// Lifts the suspension of `{id}`: their profile and posts show again and
/// they may log in (their old sessions stay ended).
#[utoipa::path(
    delete, path = "/api/users/{id}/suspension", operation_id = "unsuspend_user", tag = "moderation",
    security(("bearer" = [])),
    params(openapi::UserPath),
    responses(
        (status = 204, description = "The user is not suspended (whether or not they were)."),
        openapi::NoValidToken,
        (status = 403, description = "The caller is not a moderator.", body = ErrorBody),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(lift_suspension(app, &req).await)
}
