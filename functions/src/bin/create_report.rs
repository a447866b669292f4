//! `POST /api/reports`: the caller reports a post or a user to the
//! moderators. See `microblog_shared::moderation::file_report` for the
//! reads and the one transaction it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::ReportForm;
use microblog_shared::moderation::file_report;
use microblog_shared::representation::ReportRepr;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// Reports a post or a user; one open report per reporter and target.
#[utoipa::path(
    post, path = "/api/reports", operation_id = "create_report", tag = "moderation",
    security(("bearer" = [])),
    request_body = ReportForm,
    responses(
        (status = 201, description = "The new report, open.", body = ReportRepr,
            headers(("Location" = String, description = "`/api/reports/{id}`")),
            links(("GetReport" = (operation_id = "get_report", parameters(("path.id" = "$response.body#/id")))))),
        (status = 200, description = "The caller's open report on this target, made before: nothing new is filed.", body = ReportRepr),
        (status = 400, description = "Not exactly one of `post_id` and `user_id`, a missing or unknown `reason`, a `comment` breaking its rule, the caller's own post or the caller, or a body that is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 404, description = "No post or user has this id.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 429, description = "The caller made the most reports allowed this hour (20 by default).", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(file_report(app, &req).await)
}
