//! `PUT /api/tokens/reset`: `{"token", "new_password"}`, no authentication:
//! the code mailed by `POST /api/tokens/reset` sets a new password (under
//! the rules of a new password) and ends every session of the account. The
//! code works once and until it expires; a used, expired, unknown or
//! forged one, or one whose account changed its address or password since,
//! is a 400 that changes nothing.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::MailKind;
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::hash_password;
use microblog_shared::http::bodies::PasswordReset;
use microblog_shared::http::{json_body, no_content};
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Sets a new password with a code from a reset email; every session ends.
#[utoipa::path(
    put, path = "/api/tokens/reset", operation_id = "reset_password", tag = "tokens",
    request_body = PasswordReset,
    responses(
        (status = 204, description = "The password is changed and every session of the account has ended; log in with the new password."),
        (status = 400, description = "A field is missing, `new_password` breaks the password rules, or the code is invalid, used or expired (nothing changed).", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(reset_password(app, &req).await)
}

fn invalid() -> ApiError {
    ApiError::bad_request(
        "this reset code is invalid, used or expired; ask for a new one with POST /api/tokens/reset",
    )
}

async fn reset_password(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (code, new_password) = json_body::<PasswordReset>(req)?.check()?;
    let grant = app
        .mail
        .grant(MailKind::PasswordReset, &sha256_hex(code.expose()))
        .await?
        .filter(|grant| grant.is_live(chrono::Utc::now().timestamp()))
        .ok_or_else(invalid)?;
    let new_hash = hash_password(new_password).await?;
    match app.mail.reset_password(&grant, &new_hash).await {
        Ok(()) => {
            lambda_http::tracing::info!(user = %grant.user_id, "password reset by email code");
            Ok(no_content())
        }
        Err(StoreError::Conflict(Constraint::CodeUsed | Constraint::CodeVoid)) => Err(invalid()),
        Err(other) => Err(other.into()),
    }
}
