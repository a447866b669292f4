//! `GET /api/posts/{id}`: one post, with its author's current name. The
//! token (with the caller's blocks) and the post are read concurrently,
//! then the author and whether the caller likes it, concurrently. A post of a user blocking the caller, or blocked by
//! them, is a 404 like a missing one; so is a post of a suspended user,
//! to anyone but a moderator.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathPost, Screened};
use microblog_shared::collections::post_author_shown_to;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::json_with_etag;
use microblog_shared::representation::PostRepr;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// One post, with its author's current name.
#[utoipa::path(
    get, path = "/api/posts/{id}", operation_id = "get_post", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The post.", body = PostRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        (status = 404, description = "No post has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_post(app, &req).await)
}

async fn get_post(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (post, safety)) = authenticate(app, req, Screened(PathPost)).await?;
    let (author, liked) = tokio::join!(
        post_author_shown_to(app, &caller.user, &safety, &post),
        app.likes.likes(caller.user_id, post.id)
    );
    let author = author?;
    json_with_etag(req, StatusCode::OK, &PostRepr::new(&post, &author, liked?))
}
