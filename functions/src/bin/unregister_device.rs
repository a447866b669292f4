//! `DELETE /api/me/devices/{device_token}`: the caller's app stops pushes
//! to a device (on log-out, say); not registered is a 204 too.

use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, Nothing};
use microblog_shared::domain::DeviceToken;
use microblog_shared::error::ErrorBody;
use microblog_shared::http::{no_content, path_text};
use microblog_shared::{respond, ApiError, App};

microblog_functions::http_function!(handler);

/// Unregisters a device of the caller's; not registered is no error.
#[utoipa::path(
    delete, path = "/api/me/devices/{device_token}", operation_id = "unregister_device", tag = "notifications",
    security(("bearer" = [])),
    params(openapi::DevicePath),
    responses(
        (status = 204, description = "The device gets no more pushes for the caller."),
        (status = 400, description = "The device token is malformed.", body = ErrorBody),
        openapi::NoValidToken,
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(unregister_device(app, &req).await)
}

async fn unregister_device(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, ()) = authenticate(app, req, Nothing).await?;
    let token = DeviceToken::parse(&path_text(req, "device_token"))?;
    app.devices.unregister(caller.user_id, &token).await?;
    Ok(no_content())
}
