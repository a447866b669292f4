//! `DELETE /api/users/{id}` with `{"password": "..."}` (yourself only): 204.
//! At once the user is a 404, every token of theirs is dead and their
//! username and email are free; the table's stream then has `purge_user`
//! remove their follows (fixing the other users' counts), posts, feed and
//! sessions, in bounded steps. Ids are never reused.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Own};
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::verify_password;
use microblog_shared::http::bodies::AccountDeletion;
use microblog_shared::http::{json_body, no_content};
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Deletes the caller's account, after checking its password.
#[utoipa::path(
    delete, path = "/api/users/{id}", operation_id = "delete_user", tag = "users",
    security(("bearer" = [])),
    params(openapi::UserPath),
    request_body = AccountDeletion,
    responses(
        (status = 204, description = "The account is deleted: a 404 from now on, its tokens dead, its name and email free."),
        (status = 400, description = "`password` is missing, or the body is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The id is not the caller's, or the password is wrong.", body = ErrorBody),
        (status = 409, description = "The password or the sessions changed at the same time; retry.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(delete_user(app, &req).await)
}

async fn delete_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req, Own("you can only delete your own account"))
        .await?
        .0;
    let password = json_body::<AccountDeletion>(req)?.password()?;
    // The profile authentication read strongly: the hash is current.
    let stored = Some(caller.user.password_hash.clone());
    if !verify_password(password.into_inner(), stored)
        .await
        .matched()
    {
        return Err(ApiError::Forbidden("the password is wrong".into()));
    }
    match app.users.delete(&caller.user, chrono::Utc::now()).await {
        Ok(()) => Ok(no_content()),
        Err(StoreError::Conflict(Constraint::PasswordChanged)) => Err(ApiError::Conflict(
            "the password or the sessions changed at the same time; retry".into(),
        )),
        Err(other) => Err(other.into()),
    }
}
