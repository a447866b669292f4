//! `POST /api/email-verifications`: `{"token", "password"?}`, no
//! authentication (the link may be opened anywhere): the code mailed to an
//! address marks it verified (204), once. For an address changed since
//! sign-up the account's password is required too: a stolen access token
//! can change the address to the thief's and receive its code, and a
//! verified address receives password resets, so the code alone would hand
//! the account over. Password attempts count against the login limits.
//! A used, expired, unknown or forged code, or one for an address the
//! account no longer has, is a 400 that changes nothing.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::{MailKind, Secret, User};
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::verify_password;
use microblog_shared::http::bodies::EmailVerification;
use microblog_shared::http::{json_body, no_content, source_ip};
use microblog_shared::store::items::sha256_hex;
use microblog_shared::store::limits::Limited;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Marks an address verified with the code mailed to it.
#[utoipa::path(
    post, path = "/api/email-verifications", operation_id = "verify_email", tag = "users",
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address the code was sent to is verified (`email_verified` in the user's own representation)."),
        (status = 400, description = "`token` is missing or not a code, the body is not a JSON object, the code is invalid, used, expired or for an address the account no longer has (nothing changed), or the address was changed since sign-up and `password` is missing.", body = ErrorBody),
        (status = 403, description = "The password is wrong.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords for this account from this address (the login limits); retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
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
    let (code, password) = json_body::<EmailVerification>(req)?.check()?;
    let now = chrono::Utc::now();
    let grant = app
        .mail
        .grant(MailKind::VerifyEmail, &sha256_hex(code.expose()))
        .await?
        .filter(|grant| grant.is_live(now.timestamp()))
        .ok_or_else(invalid)?;
    let user = app
        .users
        .get(grant.user_id, Read::Strong)
        .await?
        .ok_or_else(invalid)?;
    let checked_hash = if user.email_changed {
        Some(confirm_password(app, req, &user, password).await?)
    } else {
        None
    };
    match app
        .mail
        .verify_email(&grant, checked_hash.as_deref(), now)
        .await
    {
        Ok(()) => Ok(no_content()),
        Err(StoreError::Conflict(Constraint::CodeUsed | Constraint::CodeVoid)) => Err(invalid()),
        Err(other) => Err(other.into()),
    }
}

/// Checks `password` against `user`'s, under the login limits (an attempt
/// reserved before the check, given back when it is right); the hash it
/// was checked against.
async fn confirm_password(
    app: &App,
    req: &Request,
    user: &User,
    password: Option<Secret>,
) -> Result<String, ApiError> {
    let password = password.ok_or_else(|| {
        ApiError::bad_request(
            "this address was changed since sign-up: send the account's password with the code to verify it",
        )
    })?;
    let source = source_ip(req);
    let limits = &app.config.rate_limits;
    let (pair, address) = (
        Limited::login_failures(&user.username, &source),
        Limited::source_login_failures(&source),
    );
    let attempts = [
        (&pair, limits.login_failures),
        (&address, limits.login_failures_per_address),
    ];
    let reservation = match app.limits.reserve(&attempts, chrono::Utc::now()).await? {
        Ok(reservation) => reservation,
        Err(refusal) => {
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "too many wrong passwords; try again in {} s",
                    refusal.retry_after.as_secs()
                ),
                retry_after: refusal.retry_after,
            })
        }
    };
    let hash = user.password_hash.clone();
    if !verify_password(password.into_inner(), Some(hash.clone()))
        .await
        .matched()
    {
        return Err(ApiError::Forbidden("the password is wrong".into()));
    }
    if let Err(e) = app.limits.give_back(reservation).await {
        lambda_http::tracing::warn!(error = %e, "could not give back a password attempt");
    }
    Ok(hash)
}
