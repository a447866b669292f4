//! `POST /api/tokens`: HTTP Basic credentials in, a new bearer token out.
//! Every call issues a new token (one per device) and updates `last_seen`.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::{basic_credentials, new_token, token_hash, verify_password};
use microblog_shared::domain::Username;
use microblog_shared::error::Challenge;
use microblog_shared::http::json;
use microblog_shared::representation::TokenRepr;
use microblog_shared::store::{Constraint, StoreError};
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_token(app, &req).await)
}

fn rejected() -> ApiError {
    ApiError::Unauthorized(Challenge::Basic, "invalid username or password".into())
}

async fn get_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (username, password) = basic_credentials(req)?;
    // The same reads and the same argon2 verify whether or not the name
    // exists, so neither the answer nor its timing tells.
    let username = Username::parse(&username).ok();
    let user = app.users.for_login(username.as_ref()).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !verify_password(password, stored).await {
        return Err(rejected());
    }
    let user = user.ok_or_else(rejected)?;
    let token = new_token();
    let now = chrono::Utc::now();
    let expires_at = now + app.config.token_ttl;
    match app
        .tokens
        .issue(&token_hash(&token), user.id, now, expires_at)
        .await
    {
        Err(StoreError::Conflict(Constraint::UserMissing)) => return Err(rejected()),
        issued => issued?,
    }
    let mut response = json(StatusCode::OK, &TokenRepr { token })?;
    // A token is a credential: no cache may keep it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
