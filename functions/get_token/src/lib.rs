//! `POST /api/tokens`: HTTP Basic credentials in, a new bearer token out.
//! Every call issues a new token (one per device) and updates `last_seen`.
//! Failed logins are counted per (username, client address); past
//! `RATE_LIMIT_LOGIN_FAILURES` in 15 minutes the pair gets 429.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::{basic_credentials, new_token, token_hash, verify_password};
use microblog_shared::domain::Username;
use microblog_shared::error::Challenge;
use microblog_shared::http::{json, source_ip};
use microblog_shared::store::limits::Limited;
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
    let (given_name, password) = basic_credentials(req)?;
    let now = chrono::Utc::now();
    let limit = app.config.rate_limits.login_failures;
    let failures = Limited::login_failures(&given_name, &source_ip(req));
    // The same reads and the same argon2 verify whether or not the name
    // exists, so neither the answer nor its timing tells. The failure count
    // is read alongside: a locked (name, address) pair costs no hashing.
    let username = Username::parse(&given_name).ok();
    let (user, locked) = tokio::join!(app.users.for_login(username.as_ref()), async {
        match limit {
            0 => Ok(None),
            limit => app.limits.reached(&failures, limit, now).await,
        }
    });
    if let Some(retry_after) = locked? {
        // For whoever watches the logs: guessing in progress (no name logged).
        lambda_http::tracing::warn!(source = %source_ip(req), "login refused: too many failures for one username from this address");
        return Err(ApiError::TooManyRequests {
            message: format!(
                "too many failed logins for this username from your address; try again in {} s",
                retry_after.as_secs()
            ),
            retry_after,
        });
    }
    let user = user?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !verify_password(password, stored).await {
        if limit > 0 {
            app.limits.count(&failures, now).await?;
        }
        return Err(rejected());
    }
    let user = user.ok_or_else(rejected)?;
    let token = new_token();
    let expires_at = now + app.config.token_ttl;
    match app
        .tokens
        .issue(&token_hash(&token), user.id, now, expires_at)
        .await
    {
        Err(StoreError::Conflict(Constraint::UserMissing)) => return Err(rejected()),
        issued => issued?,
    }
    let mut response = json(StatusCode::OK, &serde_json::json!({ "token": token }))?;
    // A token is a credential: no cache may keep it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
