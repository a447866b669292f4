//! `GET /api/users/{id}/followed/{target_id}`: 204 if {id} follows
//! {target_id}, 404 if not. One GetItem of the edge (plus, on a miss, two to
//! say whether a user is unknown).

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate;
use microblog_shared::http::{no_content, path_id};
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(is_following(app, &req).await)
}

async fn is_following(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    authenticate(app, req).await?;
    let id = path_id(req, "id")?;
    let target = path_id(req, "target_id")?;
    if app.follows.is_following(id, target).await? {
        return Ok(no_content());
    }
    if app.follows.both_exist(id, target).await? {
        Err(ApiError::not_found(format!(
            "user {id} does not follow user {target}"
        )))
    } else {
        Err(ApiError::not_found(format!(
            "no user has the id {id} or {target}"
        )))
    }
}
