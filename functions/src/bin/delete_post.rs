//! `DELETE /api/posts/{id}`: the author deletes a post. It leaves the
//! author's timeline and feed at once, followers' feeds through the fan-out
//! (and is left out of any feed page from the moment it is gone).

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathPost};
use microblog_shared::domain::NoSuchPost;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::no_content;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Deletes one of the caller's posts.
#[utoipa::path(
    delete, path = "/api/posts/{id}", operation_id = "delete_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath),
    responses(
        (status = 204, description = "The post is deleted."),
        openapi::NoValidToken,
        (status = 403, description = "The post is not the caller's.", body = ErrorBody),
        (status = 404, description = "No post has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(delete_post(app, &req).await)
}

async fn delete_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, post) = authenticate(app, req, PathPost).await?;
    if post.author_id != caller.user_id {
        return Err(ApiError::Forbidden(
            "you can only delete your own posts".into(),
        ));
    }
    match app.posts.delete(&post).await {
        Err(StoreError::Conflict(Constraint::PostMissing)) => Err(NoSuchPost::id(post.id).into()),
        deleted => deleted.map(|()| no_content()).map_err(ApiError::from),
    }
}
