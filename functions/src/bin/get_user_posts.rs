//! `GET /api/users/{id}/posts`: a user's posts, newest first, paginated. See
//! `microblog_shared::collections::list_timeline` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::list_timeline;
use microblog_shared::error::ErrorBody;
use microblog_shared::pagination::Collection;
use microblog_shared::representation::PostRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// A user's posts, newest first.
#[utoipa::path(
    get, path = "/api/users/{id}/posts", operation_id = "get_user_posts", tag = "posts",
    security(("bearer" = [])),
    params(openapi::UserPath, openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of posts.", body = Collection<PostRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 404, description = "No user has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_timeline(app, &req).await)
}
