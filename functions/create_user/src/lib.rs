//! `POST /api/users`: registration. No authentication.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::auth::hash_password;
use microblog_shared::domain::{CompleteRegistration, NewUser, Registration};
use microblog_shared::http::{json, json_body};
use microblog_shared::representation::UserRepr;
use microblog_shared::{respond, ApiError, App};

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(create_user(app, &req).await)
}

async fn create_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let form: CompleteRegistration = json_body::<Registration>(req)?.try_into()?;
    app.users.precheck(&form.username, &form.email).await?;
    let new = NewUser {
        password_hash: hash_password(form.password).await?,
        username: form.username,
        email: form.email,
        about_me: form.about_me,
    };
    let user = app.users.create(new, chrono::Utc::now()).await?;
    let mut response = json(StatusCode::CREATED, &UserRepr::private(&user))?;
    let location = HeaderValue::try_from(format!("/api/users/{}", user.id))
        .expect("a path of digits is a valid header value");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
