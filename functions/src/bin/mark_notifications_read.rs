//! `PUT /api/notifications/read`: the caller has read up to a notification.
//! See `microblog_shared::collections::mark_read`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::collections::mark_read;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::ReadMarker;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// Marks the notification `up_to` and every older one read. The marker
/// never moves back: `up_to` older than it changes nothing.
#[utoipa::path(
    put, path = "/api/notifications/read", operation_id = "mark_notifications_read", tag = "notifications",
    security(("bearer" = [])),
    request_body = ReadMarker,
    responses(
        (status = 204, description = "Read up to `up_to` (or further already)."),
        (status = 400, description = "`up_to` is missing, is not an id, or names no notification the caller was ever given; or the body is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(mark_read(app, &req).await)
}
