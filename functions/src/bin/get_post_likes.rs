//! `GET /api/posts/{id}/likes`: who likes a post, newest like first,
//! paginated. See `microblog_shared::collections::list_likes` for the reads
//! it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::list_likes;
use microblog_shared::error::ErrorBody;
use microblog_shared::pagination::Collection;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The users who like the post, newest like first.
#[utoipa::path(
    get, path = "/api/posts/{id}/likes", operation_id = "get_post_likes", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PostPath, openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of users; `total_items` is the post's `like_count`.", body = Collection<UserRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 404, description = "No post has this id that the caller may see.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_likes(app, &req).await)
}
