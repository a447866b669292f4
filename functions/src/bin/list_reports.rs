//! `GET /api/reports?status=open`: the moderation queue, oldest first, for
//! moderators. See `microblog_shared::moderation::list_open_reports`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::error::ErrorBody;
use microblog_shared::moderation::list_open_reports;
use microblog_shared::representation::ReportQueue;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The open reports, oldest first, each with its target as it is now and
/// the number of open reports on it; `_meta` says how long the oldest has
/// waited.
#[utoipa::path(
    get, path = "/api/reports", operation_id = "list_reports", tag = "moderation",
    security(("bearer" = [])),
    params(openapi::ReportStatusQuery, openapi::PageQuery, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of the open queue.", body = ReportQueue, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A `status` other than `open`, or a malformed `page`, `per_page` or `cursor`.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The caller is not a moderator.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_open_reports(app, &req).await)
}
