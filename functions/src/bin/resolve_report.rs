//! `PUT /api/reports/{id}`: a moderator resolves or dismisses an open
//! report, perhaps removing the post or suspending the user. See
//! `microblog_shared::moderation::decide_report`.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::ReportDecision;
use microblog_shared::moderation::decide_report;
use microblog_shared::representation::ModeratedReport;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// Closes an open report, acts on it, and keeps an audit record, all in
/// one transaction: `remove_post` deletes the post everywhere (feeds
/// included, as its author's delete does); `suspend_user` suspends the
/// reported user, or the post's author: every session ends, log-in and
/// every request answer 403 `account suspended`, and their profile and
/// posts are hidden from all but moderators until a moderator lifts it
/// (`DELETE /api/users/{id}/suspension`).
#[utoipa::path(
    put, path = "/api/reports/{id}", operation_id = "resolve_report", tag = "moderation",
    security(("bearer" = [])),
    params(openapi::ReportPath),
    request_body = ReportDecision,
    responses(
        (status = 200, description = "The closed report, as moderators see it.", body = ModeratedReport),
        (status = 400, description = "A `status` other than `resolved` or `dismissed`, an unknown `action`, an action on a dismissal, `remove_post` on a report about a user, suspending oneself, a `note` breaking its rule, or a body that is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The caller is not a moderator.", body = ErrorBody),
        (status = 404, description = "No report has this id.", body = ErrorBody),
        (status = 409, description = "The report is closed already, or what the action needs is gone (the post, or the user's account).", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(decide_report(app, &req).await)
}
