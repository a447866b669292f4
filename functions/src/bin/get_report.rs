//! `GET /api/reports/{id}`: a report, for its reporter (to follow what
//! became of it) or a moderator. The token and the report are read at once.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::error::ErrorBody;
use microblog_shared::moderation::show_report;
use microblog_shared::representation::ReportRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// One report: open, or what the moderators decided.
#[utoipa::path(
    get, path = "/api/reports/{id}", operation_id = "get_report", tag = "moderation",
    security(("bearer" = [])),
    params(openapi::ReportPath, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The report.", body = ReportRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        (status = 404, description = "No report the caller may see (their own, or any for a moderator) has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(show_report(app, &req).await)
}
