//! `GET /api/users/{id}`: one user. Costs two eventually consistent GetItems
//! (token, user), issued concurrently.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::authenticate;
use microblog_shared::http::{json, path_id};
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_user(app, &req).await)
}

async fn get_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req);
    let id = match path_id(req, "id") {
        Ok(id) => id,
        Err(not_found) => {
            caller.await?;
            return Err(not_found);
        }
    };
    let (caller, user) = tokio::join!(caller, app.users.get(id, false));
    let caller = caller?;
    let user = user?.ok_or_else(|| ApiError::not_found(format!("no user has the id {id}")))?;
    json(StatusCode::OK, &UserRepr::new(&user, caller.user_id == id))
}
