//! `POST /api/users`: registration. No authentication; at most
//! `RATE_LIMIT_SIGNUPS_PER_HOUR` valid sign-up attempts per client address
//! an hour.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::domain::{CompleteRegistration, NewUser};
use microblog_shared::error::ErrorBody;
use microblog_shared::hashing::hash_password;
use microblog_shared::http::bodies::Registration;
use microblog_shared::http::{json, json_body, source_ip};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::limits::Limited;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Registers a user. No authentication.
#[utoipa::path(
    post, path = "/api/users", operation_id = "create_user", tag = "users",
    request_body = Registration,
    responses(
        (status = 201, description = "The new user, with its email address.", body = UserRepr,
            headers(("Location" = String, description = "`/api/users/{id}`")),
            links(
                ("GetUser" = (operation_id = "get_user", parameters(("path.id" = "$response.body#/id")))),
                ("UpdateUser" = (operation_id = "update_user", parameters(("path.id" = "$response.body#/id")))),
                ("GetFollowers" = (operation_id = "get_followers", parameters(("path.id" = "$response.body#/id")))),
                ("GetFollowed" = (operation_id = "get_followed", parameters(("path.id" = "$response.body#/id")))),
                ("GetUserPosts" = (operation_id = "get_user_posts", parameters(("path.id" = "$response.body#/id")))),
                ("FollowUser" = (operation_id = "follow_user", parameters(("path.target_id" = "$response.body#/id")))),
                ("IsFollowing" = (operation_id = "is_following", parameters(("path.target_id" = "$response.body#/id")))),
            )),
        (status = 400, description = "A field is missing or breaks its rule, the body is not a JSON object, or the username or email is taken.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(create_user(app, &req).await)
}

async fn create_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let form: CompleteRegistration = json_body::<Registration>(req)?.try_into()?;
    // Counted before the pre-check, so that probing which emails have
    // accounts ("please use a different email address") is limited too.
    let limit = app.config.rate_limits.signups_per_hour;
    if limit > 0 {
        let signups = Limited::signups(&source_ip(req));
        if let Some(retry_after) = app.limits.take(&signups, limit, chrono::Utc::now()).await? {
            lambda_http::tracing::warn!(source = %source_ip(req), "sign-up refused: too many from this address");
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "too many sign-ups from your address; try again in {} s",
                    retry_after.as_secs()
                ),
                retry_after,
            });
        }
    }
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
