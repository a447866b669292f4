//! `DELETE /api/posts/{id}/like`: the caller no longer likes a post. One
//! transaction deletes the like and its pointer and takes one from the
//! post's `like_count`, conditioned on the like existing; not liking it is
//! a 204 that changes nothing. The author's notification of the like goes
//! with it (from the stream).

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathPost};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::no_content;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The caller no longer likes the post; not liking it is no error.
#[utoipa::path(
    delete, path = "/api/posts/{id}/like", operation_id = "unlike_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath),
    responses(
        (status = 204, description = "The caller does not like the post."),
        openapi::NoValidToken,
        (status = 404, description = "No post has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(unlike_post(app, &req).await)
}

async fn unlike_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    // A block does not stop anyone taking back their own like.
    let (caller, post) = authenticate(app, req, PathPost).await?;
    app.likes.unlike(caller.user_id, post.id).await?;
    Ok(no_content())
}
