//! `DELETE /api/users/{id}/followed/{target_id}`: the caller stops following
//! a user. One TransactWriteItems; not following is also 204.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Own};
use microblog_shared::domain::NoSuchUser;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::{no_content, path_id};
use microblog_shared::store::follows::EdgeChange;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The caller stops following `target_id`; not following is no error.
#[utoipa::path(
    delete, path = "/api/users/{id}/followed/{target_id}", operation_id = "unfollow_user", tag = "follows",
    security(("bearer" = [])),
    params(openapi::EdgePath),
    responses(
        (status = 204, description = "`id` does not follow `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(unfollow_user(app, &req).await)
}

async fn unfollow_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate(
        app,
        req,
        Own("you can only change whom you follow yourself"),
    )
    .await?
    .1;
    let target = path_id(req, "target_id")?;
    if target == id {
        return Err(ApiError::bad_request("you cannot unfollow yourself"));
    }
    match app.follows.unfollow(id, target).await? {
        // Refusals by a block come only from a follow.
        EdgeChange::Changed
        | EdgeChange::Unchanged
        | EdgeChange::Blocking
        | EdgeChange::BlockedBy => Ok(no_content()),
        EdgeChange::UnknownUser => Err(NoSuchUser::id(target).into()),
    }
}
