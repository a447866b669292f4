//! API Gateway's `$default` route: every request no other route serves gets
//! our JSON 404, or 405 with `Allow` when the path exists with other methods.
//! Touches no table.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::routes::unrouted;
use microblog_shared::{respond, App};

/// The Lambda handler.
pub async fn handler(_app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(Err(unrouted(req.method().as_str(), req.uri().path())))
}
