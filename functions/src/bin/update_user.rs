//! `PUT /api/users/{id}`: the caller changes their own username, email or
//! about_me. Other fields are ignored. With `If-Match`, the change applies
//! only to the representation the client read: 412 when the profile has
//! changed since (the check and the write are one conditional transaction).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_as_path_user;
use microblog_shared::domain::{NoSuchUser, ProfileChanges};
use microblog_shared::http::{etag_of_value, json_body, json_with_etag, IfMatch};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// Times a PUT re-reads and retries when a concurrent PUT of the same
/// profile won the race, before answering 409.
const ATTEMPTS: usize = 3;

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_user(app, &req).await)
}

async fn update_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate_as_path_user(app, req, "you can only update your own profile").await?;
    let changes: ProfileChanges = json_body(req)?;
    let precondition = IfMatch::from_request(req)?;
    let raced = StoreError::Conflict(Constraint::ProfileChanged);
    for _ in 0..ATTEMPTS {
        // Strong: the transaction is conditioned on what we read.
        let current = app
            .users
            .get(id, Read::Strong)
            .await?
            .ok_or(NoSuchUser::id(id))?;
        precondition.check(&etag_of_value(&UserRepr::private(&current))?, "profile")?;
        match app
            .users
            .update(&current, &changes, precondition.is_conditional())
            .await
        {
            Ok(user) => return json_with_etag(req, StatusCode::OK, &UserRepr::private(&user)),
            Err(e) if e == raced => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(raced.into())
}
