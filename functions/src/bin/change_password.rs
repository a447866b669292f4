//! `PUT /api/users/{id}/password`: `{"old_password", "new_password"}`.
//! A wrong old password is a 403; a new one breaking the password rules a
//! 400. On success (204) every other session of the user is revoked at
//! once, and the token used keeps working with its session.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, token_rejected, Own};
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::{hash_password, verify_password};
use microblog_shared::http::bodies::PasswordChange;
use microblog_shared::http::{json_body, no_content};
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Changes the caller's password; every other session is revoked.
#[utoipa::path(
    put, path = "/api/users/{id}/password", operation_id = "change_password", tag = "users",
    security(("bearer" = [])),
    params(openapi::UserPath),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the token used keeps working, every other session is revoked."),
        (status = 400, description = "A field is missing, the new password breaks its rule, or the body is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The id is not the caller's, or the old password is wrong.", body = ErrorBody),
        (status = 409, description = "The password or the sessions changed at the same time; retry.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(change_password(app, &req).await)
}

async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req, Own("you can only change your own password"))
        .await?
        .0;
    let (old, new) = json_body::<PasswordChange>(req)?.check()?;
    // The profile authentication read strongly: the hash is current.
    let stored = Some(caller.user.password_hash.clone());
    if !verify_password(old.into_inner(), stored).await.matched() {
        return Err(ApiError::Forbidden("the old password is wrong".into()));
    }
    let new_hash = hash_password(new).await?;
    match app
        .tokens
        .change_password(
            &caller.user,
            &new_hash,
            &caller.token_hash,
            caller.session_id.as_deref(),
        )
        .await
    {
        Ok(()) => Ok(no_content()),
        Err(StoreError::Conflict(Constraint::PasswordChanged)) => Err(ApiError::Conflict(
            "the password or the sessions changed at the same time; retry".into(),
        )),
        Err(StoreError::Conflict(Constraint::SessionMoved)) => Err(token_rejected()),
        Err(other) => Err(other.into()),
    }
}
