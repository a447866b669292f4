//! `GET /api/feed`: the caller's own posts and those of everyone they
//! follow, newest first, paginated. See
//! `microblog_shared::collections::list_feed` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::list_feed;
use microblog_shared::error::ErrorBody;
use microblog_shared::pagination::Collection;
use microblog_shared::representation::PostRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller's home feed: their own posts and those of everyone they
/// follow, newest first. Not counted: `total_items` and `total_pages` are
/// null.
#[utoipa::path(
    get, path = "/api/feed", operation_id = "get_feed", tag = "posts",
    security(("bearer" = [])),
    params(openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of posts.", body = Collection<PostRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        openapi::NoValidToken,
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_feed(app, &req).await)
}
