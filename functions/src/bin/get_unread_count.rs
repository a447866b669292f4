//! `GET /api/notifications/unread`: how many of the caller's notifications
//! are unread, counted up to 100 so that it is one bounded read. See
//! `microblog_shared::collections::unread_count`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::unread_count;
use microblog_shared::representation::UnreadCount;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// How many of the caller's notifications are unread (at most 100; `capped`
/// says there are more).
#[utoipa::path(
    get, path = "/api/notifications/unread", operation_id = "get_unread_count", tag = "notifications",
    security(("bearer" = [])),
    params(openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The unread count.", body = UnreadCount, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(unread_count(app, &req).await)
}
