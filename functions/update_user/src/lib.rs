//! `PUT /api/users/{id}`: the caller changes their own username, email or
//! about_me. Other fields are ignored.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_as_path_user;
use microblog_shared::domain::{NoSuchUser, ProfileChanges};
use microblog_shared::http::{json, json_body};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// Times a PUT re-reads and retries when a concurrent PUT of the same
/// profile won the race, before answering 409.
const ATTEMPTS: usize = 3;

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_user(app, &req).await)
}

async fn update_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate_as_path_user(app, req, "you can only update your own profile").await?;
    let changes: ProfileChanges = json_body(req)?;
    let raced = StoreError::Conflict(Constraint::ProfileChanged);
    for _ in 0..ATTEMPTS {
        // Strong: the transaction is conditioned on what we read.
        let current = app
            .users
            .get(id, Read::Strong)
            .await?
            .ok_or(NoSuchUser::id(id))?;
        match app.users.update(&current, &changes).await {
            Ok(user) => return json(StatusCode::OK, &UserRepr::private(&user)),
            Err(e) if e == raced => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(raced.into())
}
