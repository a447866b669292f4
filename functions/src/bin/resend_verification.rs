//! `POST /api/users/{id}/email-verification`: mails the caller's address a
//! new verification code (202), for a mail that never came or a code that
//! expired. Only for oneself (403 otherwise); an address already verified
//! is a 409; at most `RATE_LIMIT_VERIFICATION_RESENDS` an hour (429
//! beyond). The mail goes out from the table's stream, like every mail.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Own};
use microblog_shared::domain::MailKind;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::json;
use microblog_shared::store::limits::Limited;
use microblog_shared::store::mail::new_job_id;
use microblog_shared::{respond, ApiError, App};
use serde::Serialize;
use utoipa::ToSchema;

microblog_functions::http_function!(handler);

/// The answer to an accepted resend.
#[derive(Serialize, ToSchema)]
pub struct VerificationSent {
    /// Where it goes: the caller's address.
    #[schema(format = Email)]
    pub email: String,
    /// What happens next.
    #[schema(example = "a new verification code is on its way to your address")]
    pub message: &'static str,
}

/// Mails the caller's address a new verification code.
#[utoipa::path(
    post, path = "/api/users/{id}/email-verification", operation_id = "resend_verification", tag = "users",
    security(("bearer" = [])),
    params(openapi::UserPath),
    responses(
        (status = 202, description = "A new code is on its way to the caller's address (valid `VERIFY_TOKEN_TTL_SECONDS`, default 48 hours); earlier codes keep working until they expire.", body = VerificationSent),
        openapi::NoValidToken,
        (status = 403, description = "The id is not the caller's.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 409, description = "The address is verified already.", body = ErrorBody),
        (status = 429, description = "Too many resends in the last hour; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(resend_verification(app, &req).await)
}

async fn resend_verification(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req, Own("you can only verify your own address"))
        .await?
        .0;
    let user = &caller.user;
    if user.email_verified {
        return Err(ApiError::Conflict(
            "your address is verified already".into(),
        ));
    }
    let now = chrono::Utc::now();
    let limit = app.config.rate_limits.verification_resends;
    if limit > 0 {
        let resends = Limited::verification_resends(user.id);
        if let Some(retry_after) = app.limits.take(&resends, limit, now).await? {
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "too many verification mails asked for; try again in {} s",
                    retry_after.as_secs()
                ),
                retry_after,
            });
        }
    }
    app.mail
        .request(
            &new_job_id(),
            MailKind::VerifyEmail,
            &user.email,
            Some(user.id),
            now,
        )
        .await?;
    json(
        StatusCode::ACCEPTED,
        &VerificationSent {
            email: user.email.clone(),
            message: "a new verification code is on its way to your address",
        },
    )
}
