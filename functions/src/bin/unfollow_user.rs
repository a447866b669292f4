//! `DELETE /api/users/{id}/followed/{target_id}`: the caller stops following
//! a user. One TransactWriteItems; not following is also 204.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_as_path_user;
use microblog_shared::domain::NoSuchUser;
use microblog_shared::http::{no_content, path_id};
use microblog_shared::store::follows::EdgeChange;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(unfollow_user(app, &req).await)
}

async fn unfollow_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id =
        authenticate_as_path_user(app, req, "you can only change whom you follow yourself").await?;
    let target = path_id(req, "target_id")?;
    if target == id {
        return Err(ApiError::bad_request("you cannot unfollow yourself"));
    }
    match app.follows.unfollow(id, target).await? {
        EdgeChange::Changed | EdgeChange::Unchanged => Ok(no_content()),
        EdgeChange::UnknownUser => Err(NoSuchUser::id(target).into()),
    }
}
