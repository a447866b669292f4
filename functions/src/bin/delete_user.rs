//! `DELETE /api/users/{id}` with `{"password": "..."}` (yourself only): 204.
//! At once the user is a 404, every token of theirs is dead and their
//! username and email are free; the table's stream then has `purge_user`
//! remove their follows (fixing the other users' counts), posts, feed and
//! sessions, in bounded steps. Ids are never reused.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::{authenticate_as_path_caller, verify_password};
use microblog_shared::domain::AccountDeletion;
use microblog_shared::http::{json_body, no_content};
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(delete_user(app, &req).await)
}

async fn delete_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller =
        authenticate_as_path_caller(app, req, "you can only delete your own account").await?;
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
