//! `GET /api/notifications`: the caller's notifications, newest first,
//! paginated. See `microblog_shared::collections::list_notifications` for
//! the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::list_notifications;
use microblog_shared::error::ErrorBody;
use microblog_shared::pagination::Collection;
use microblog_shared::representation::NotificationRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The caller's notifications, newest first: follows, likes of their posts,
/// replies to them and mentions, each once, kept for `NOTIFICATION_TTL_DAYS`
/// (90 by default). A notification is taken back when its cause is undone
/// (an unlike, an unfollow, the post deleted or the mention edited out).
#[utoipa::path(
    get, path = "/api/notifications", operation_id = "get_notifications", tag = "notifications",
    security(("bearer" = [])),
    params(openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of notifications; not counted (`total_items` is null). Notifications from users the caller blocks, is blocked by or mutes are left out.", body = Collection<NotificationRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        openapi::NoValidToken,
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_notifications(app, &req).await)
}
