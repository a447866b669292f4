//! `POST /api/email-verifications`: `{"token"}`, no authentication (the
//! link may be opened anywhere): the code mailed to an address marks it
//! verified (204), once. A used, expired, unknown or forged code, or one
//! for an address the account no longer has, is a 400 that changes
//! nothing.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::MailKind;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::EmailVerification;
use microblog_shared::http::{json_body, no_content};
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Marks an address verified with the code mailed to it.
#[utoipa::path(
    post, path = "/api/email-verifications", operation_id = "verify_email", tag = "users",
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address the code was sent to is verified (`email_verified` in the user's own representation)."),
        (status = 400, description = "`token` is missing or not a code, the body is not a JSON object, or the code is invalid, used, expired or for an address the account no longer has (nothing changed).", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(verify_email(app, &req).await)
}

fn invalid() -> ApiError {
    ApiError::bad_request(
        "this verification code is invalid, used or expired; ask for a new one with POST /api/users/{id}/email-verification",
    )
}

async fn verify_email(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let code = json_body::<EmailVerification>(req)?.code()?;
    let now = chrono::Utc::now();
    let grant = app
        .mail
        .grant(MailKind::VerifyEmail, &sha256_hex(code.expose()))
        .await?
        .filter(|grant| grant.is_live(now.timestamp()))
        .ok_or_else(invalid)?;
    match app.mail.verify_email(&grant, now).await {
        Ok(()) => Ok(no_content()),
        Err(StoreError::Conflict(Constraint::CodeUsed | Constraint::CodeVoid)) => Err(invalid()),
        Err(other) => Err(other.into()),
    }
}
