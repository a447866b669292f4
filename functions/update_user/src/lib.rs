//! `PUT /api/users/{id}`: the caller changes their own username, email or
//! about_me. Other fields are ignored.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate_as_path_user;
use microblog_shared::domain::{AboutMe, Email, Username};
use microblog_shared::http::{json, json_object, string_field};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::users::{ProfileChanges, Taken};
use microblog_shared::{respond, ApiError, App};
use serde_json::Value;

/// Times a PUT re-reads and retries when a concurrent PUT of the same
/// profile won the race, before answering 409.
const ATTEMPTS: usize = 3;

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_user(app, &req).await)
}

async fn update_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate_as_path_user(app, req, "you can only update your own profile").await?;
    let body = json_object(req)?;
    let changes = ProfileChanges {
        username: string_field(&body, "username")?
            .map(Username::parse)
            .transpose()?,
        email: string_field(&body, "email")?
            .map(Email::parse)
            .transpose()?,
        about_me: match body.get("about_me") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) => Some(Some(AboutMe::parse(text)?.into_inner())),
            Some(_) => return Err(ApiError::bad_request("about_me must be a string or null")),
        },
    };
    for _ in 0..ATTEMPTS {
        // Consistent: the transaction is conditioned on what we read.
        let current = app
            .users
            .get(id, true)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no user has the id {id}")))?;
        match app.users.update(&current, changes.clone()).await? {
            Ok(user) => return json(StatusCode::OK, &UserRepr::new(&user, true)),
            Err(Taken::Raced) => continue,
            Err(taken) => return Err(taken.into_error()),
        }
    }
    Err(Taken::Raced.into_error())
}
