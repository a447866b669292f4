//! `POST /api/tokens/reset`: `{"email"}`, no authentication. Always 202
//! with the same body, whether or not an account has the address: the
//! request writes one mail job either way (the same calls, so the timing
//! tells nothing either), and the `send_mail` worker decides, from the
//! table's stream, whether a code goes out. Limited per email address
//! (`RATE_LIMIT_RESETS_PER_EMAIL`) and per client address
//! (`RATE_LIMIT_RESETS_PER_ADDRESS`), each an hour; 429 beyond.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::MailKind;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::ResetRequest;
use microblog_shared::http::{json, json_body, source_ip};
use microblog_shared::store::limits::Limited;
use microblog_shared::store::mail::new_job_id;
use microblog_shared::{respond, ApiError, App};
use serde::Serialize;
use utoipa::ToSchema;

microblog_functions::http_function!(handler);

/// The answer to every accepted reset request.
#[derive(Serialize, ToSchema)]
pub struct ResetAccepted {
    /// The same text whoever has the address.
    #[schema(example = "if an account has this address, a reset code is on its way to it")]
    pub message: &'static str,
}

const ACCEPTED: ResetAccepted = ResetAccepted {
    message: "if an account has this address, a reset code is on its way to it",
};

/// Asks for a password reset code by email. No authentication.
#[utoipa::path(
    post, path = "/api/tokens/reset", operation_id = "request_password_reset", tag = "tokens",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted, whether or not an account has the address: if one has (and may reset through it: the address is verified, or the one the account was created with), a single-use code is mailed to it, valid for `RESET_TOKEN_TTL_SECONDS` (default 15 minutes).", body = ResetAccepted),
        (status = 400, description = "`email` is missing or not an address, or the body is not a JSON object.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 429, description = "Too many reset requests for this address or from this client; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(request_password_reset(app, &req).await)
}

async fn request_password_reset(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let email = json_body::<ResetRequest>(req)?.email()?;
    let limits = &app.config.rate_limits;
    let source = source_ip(req);
    let (per_email, per_client) = (
        Limited::resets_for_email(email.as_str()),
        Limited::resets_from(&source),
    );
    let now = chrono::Utc::now();
    let asked = [
        (&per_email, limits.resets_per_email),
        (&per_client, limits.resets_per_address),
    ];
    if let Err(refusal) = app.limits.reserve(&asked, now).await? {
        let whose = if refusal.limit == 0 {
            "for this email address"
        } else {
            "from your address"
        };
        lambda_http::tracing::warn!(%source, "reset request refused: too many {whose}");
        return Err(ApiError::TooManyRequests {
            message: format!(
                "too many reset requests {whose}; try again in {} s",
                refusal.retry_after.as_secs()
            ),
            retry_after: refusal.retry_after,
        });
    }
    app.mail
        .request(
            &new_job_id(),
            MailKind::PasswordReset,
            email.as_str(),
            None,
            now,
        )
        .await?;
    json(StatusCode::ACCEPTED, &ACCEPTED)
}
