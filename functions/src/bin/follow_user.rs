//! `PUT /api/users/{id}/followed/{target_id}`: the caller follows a user.
//! One TransactWriteItems; already following is also 204. Refused with a
//! 403 while a block stands between the two, either way: the message says
//! which way, as the relationship's `blocking` and `blocked_by` do.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Own};
use microblog_shared::domain::NoSuchUser;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::{no_content, path_id};
use microblog_shared::store::follows::EdgeChange;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The caller follows `target_id`; already following is no error.
#[utoipa::path(
    put, path = "/api/users/{id}/followed/{target_id}", operation_id = "follow_user", tag = "follows",
    security(("bearer" = [])),
    params(openapi::EdgePath),
    responses(
        (status = 204, description = "`id` follows `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller, or a block stands between them (the message says which way).", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(follow_user(app, &req).await)
}

async fn follow_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate(
        app,
        req,
        Own("you can only change whom you follow yourself"),
    )
    .await?
    .1;
    let target = path_id(req, "target_id")?;
    if target == id {
        return Err(ApiError::bad_request("you cannot follow yourself"));
    }
    let now = chrono::Utc::now().timestamp_micros().max(0) as u64;
    match app.follows.follow(id, target, now).await? {
        EdgeChange::Changed | EdgeChange::Unchanged => Ok(no_content()),
        EdgeChange::UnknownUser => Err(NoSuchUser::id(target).into()),
        EdgeChange::Blocking => Err(ApiError::Forbidden(
            "you block this user: unblock them before following".into(),
        )),
        EdgeChange::BlockedBy => Err(ApiError::Forbidden(
            "this user has blocked you: you cannot follow them".into(),
        )),
    }
}
