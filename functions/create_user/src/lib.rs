//! `POST /api/users`: registration. No authentication.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::hash_password;
use microblog_shared::domain::{AboutMe, Email, Password, Username};
use microblog_shared::http::{json, json_object, string_field};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::users::NewUser;
use microblog_shared::{respond, ApiError, App};
use serde_json::Value;

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(create_user(app, &req).await)
}

async fn create_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = json_object(req)?;
    let (Some(username), Some(email), Some(password)) = (
        string_field(&body, "username")?,
        string_field(&body, "email")?,
        string_field(&body, "password")?,
    ) else {
        return Err(ApiError::bad_request(
            "must include username, email and password fields",
        ));
    };
    let username = Username::parse(username)?;
    let email = Email::parse(email)?;
    let password = Password::parse(password)?;
    let about_me = match body.get("about_me") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(AboutMe::parse(text)?.into_inner()),
        Some(_) => return Err(ApiError::bad_request("about_me must be a string or null")),
    };
    if let Some(taken) = app.users.precheck(&username, &email).await? {
        return Err(taken.into_error());
    }
    let password_hash = hash_password(password).await?;
    let new = NewUser {
        username,
        email,
        password_hash,
        about_me,
    };
    let user = app
        .users
        .create(new, chrono::Utc::now())
        .await?
        .map_err(|taken| taken.into_error())?;
    let mut response = json(StatusCode::CREATED, &UserRepr::new(&user, true))?;
    let location = format!("/api/users/{}", user.id)
        .parse()
        .expect("a path of digits is a valid header value");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
