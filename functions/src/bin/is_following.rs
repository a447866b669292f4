//! `GET /api/users/{id}/followed/{target_id}`: 204 if {id} follows
//! {target_id}, 404 if not. The token and the edge are read concurrently; a
//! miss is confirmed by a consistent read and two user reads say whether a
//! user is unknown.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Alongside, Nothing};
use microblog_shared::domain::NoSuchUser;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::{no_content, path_id};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Whether user `id` follows user `target_id`.
#[utoipa::path(
    get, path = "/api/users/{id}/followed/{target_id}", operation_id = "is_following", tag = "follows",
    security(("bearer" = [])),
    params(openapi::EdgePath),
    responses(
        (status = 204, description = "`id` follows `target_id`."),
        openapi::NoValidToken,
        (status = 404, description = "`id` does not follow `target_id`, or either user does not exist.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(is_following(app, &req).await)
}

async fn is_following(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (id, target) = match (path_id(req, "id"), path_id(req, "target_id")) {
        (Ok(id), Ok(target)) => (id, target),
        (Err(not_found), _) | (_, Err(not_found)) => {
            authenticate(app, req, Nothing).await?;
            return Err(not_found);
        }
    };
    // Token and edge in one round trip.
    let (_, follows) =
        authenticate(app, req, Alongside(app.follows.is_following(id, target))).await?;
    if follows? {
        return Ok(no_content());
    }
    if app.follows.both_exist(id, target).await? {
        Err(ApiError::not_found(format!(
            "user {id} does not follow user {target}"
        )))
    } else {
        Err(NoSuchUser::either(id, target).into())
    }
}
