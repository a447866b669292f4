//! `PUT /api/me/devices/{device_token}`: the caller's app registers a
//! device to receive a push for each new notification. The registration
//! belongs to the caller's session: when it ends (logging out, logging out
//! everywhere, a password change, the account deleted), pushes stop and the
//! `notify` worker forgets the device. Registering again is a 204 that moves
//! the device to the current session.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Nothing};
use microblog_shared::domain::{DeviceToken, MAX_DEVICES};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::bodies::DeviceForm;
use microblog_shared::http::{json_body, no_content, path_text};
use microblog_shared::store::devices::Registered;
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Registers a device of the caller's for push notifications.
#[utoipa::path(
    put, path = "/api/me/devices/{device_token}", operation_id = "register_device", tag = "notifications",
    security(("bearer" = [])),
    params(openapi::DevicePath),
    request_body = DeviceForm,
    responses(
        (status = 204, description = "The device gets a push for each new notification while the caller's session lasts."),
        (status = 400, description = "`platform` is missing or not `ios` or `android`, the device token is malformed, the token has no session (log in again), or the body is not a JSON object.", body = ErrorBody),
        openapi::NoValidToken,
        (status = 409, description = "The caller has 20 devices registered already: unregister one first.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(register_device(app, &req).await)
}

async fn register_device(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    let token = DeviceToken::parse(&path_text(req, "device_token"))?;
    let platform = json_body::<DeviceForm>(req)?.platform()?;
    let session = caller.session_id.as_deref().ok_or_else(|| {
        ApiError::bad_request(
            "this access token belongs to no session, so a device cannot follow it: log in again",
        )
    })?;
    let now = chrono::Utc::now();
    match app
        .devices
        .register(caller.user_id, &token, platform, session, now)
        .await?
    {
        Registered::Done => Ok(no_content()),
        Registered::Full => Err(ApiError::Conflict(format!(
            "you have {MAX_DEVICES} devices registered: unregister one first"
        ))),
    }
}
