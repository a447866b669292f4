//! `PUT /api/posts/{id}/like`: the caller likes a post. One transaction
//! writes the like, its pointer in the caller's partition and the post's
//! `like_count + 1`, conditioned on the post existing and the like not, so
//! the count is exact however many likes race; liking again is a 204 that
//! changes nothing. The author hears of it from the stream (`notify`).

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, token_rejected, PathPost, Screened};
use microblog_shared::collections::post_author_shown_to;
use microblog_shared::domain::NoSuchPost;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::no_content;
use microblog_shared::store::likes::LikeChange;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The caller likes the post; liking it again is no error.
#[utoipa::path(
    put, path = "/api/posts/{id}/like", operation_id = "like_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath),
    responses(
        (status = 204, description = "The caller likes the post."),
        openapi::NoValidToken,
        (status = 404, description = "No post has this id that the caller may see (a block stands between the caller and its author, either way, or its author is suspended).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(like_post(app, &req).await)
}

async fn like_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (post, safety)) = authenticate(app, req, Screened(PathPost)).await?;
    post_author_shown_to(app, &caller.user, &safety, &post).await?;
    let now = chrono::Utc::now().timestamp_micros().max(0) as u64;
    match app.likes.like(caller.user_id, &post, now).await? {
        LikeChange::Changed | LikeChange::Unchanged => Ok(no_content()),
        LikeChange::PostMissing => Err(NoSuchPost::id(post.id).into()),
        // The caller's account went after the token was checked.
        LikeChange::LikerMissing => Err(token_rejected()),
    }
}
