//! `PUT /api/users/{id}`: the caller changes their own username, email or
//! about_me. Other fields are ignored. With `If-Match`, the change applies
//! only to the representation the client read: 412 when the profile has
//! changed since (the check and the write are one conditional transaction).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Own};
use microblog_shared::domain::{NoSuchUser, ProfileUpdate};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::ProfileChanges;
use microblog_shared::http::{etag_of_value, json_body, json_with_etag, IfMatch};
use microblog_shared::representation::UserRepr;
use microblog_shared::store::{Constraint, Read, StoreError};
use microblog_shared::{respond, ApiError, App};

/// Times a PUT re-reads and retries when a concurrent PUT of the same
/// profile won the race, before answering 409.
const ATTEMPTS: usize = 3;

microblog_functions::http_function!(handler);

/// Changes the caller's own username, email or about_me; other fields are
/// ignored.
#[utoipa::path(
    put, path = "/api/users/{id}", operation_id = "update_user", tag = "users",
    security(("bearer" = [])),
    params(openapi::UserPath, openapi::IfMatchHeader),
    request_body = ProfileChanges,
    responses(
        (status = 200, description = "The updated user, with its email address.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 400, description = "A field breaks its rule, the body is not a JSON object, or the username or email is taken.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 403, description = "The id is not the caller's.", body = ErrorBody),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 409, description = "Concurrent updates of the profile kept winning; retry.", body = ErrorBody),
        (status = 412, description = "`If-Match` names a representation that is no longer the current one: GET it again.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(update_user(app, &req).await)
}

async fn update_user(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = authenticate(app, req, Own("you can only update your own profile"))
        .await?
        .1;
    let changes: ProfileUpdate = json_body::<ProfileChanges>(req)?.into();
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
