//! `GET /api/users/{id}/muted`: the users the caller mutes, newest
//! first, paginated; only the caller's own. See
//! `microblog_shared::collections::list_edges` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::list_edges;
use microblog_shared::domain::EdgeKind;
use microblog_shared::error::ErrorBody;
use microblog_shared::pagination::Collection;
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The users the caller mutes, newest mute first.
#[utoipa::path(
    get, path = "/api/users/{id}/muted", operation_id = "get_muted", tag = "safety",
    security(("bearer" = [])),
    params(openapi::UserPath, openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of users.", body = Collection<UserRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "`id` is not the caller: only they see whom they mute.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_edges(app, &req, EdgeKind::Muting).await)
}
