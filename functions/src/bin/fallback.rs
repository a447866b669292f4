//! API Gateway's `$default` route: every request no other route serves gets
//! our JSON 404, or 405 with `Allow` when the path exists with other methods.
//! Touches no table.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use microblog_shared::routes::unrouted;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(_app: &App, req: Request) -> Result<Response<Body>, Error> {
    // The path as the client sent it (API Gateway's `rawPath`): the URL
    // lambda_http builds has its dot segments resolved, so `/a/../b`
    // would be reported as `/b`.
    let path = match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    };
    respond(Err(unrouted(req.method().as_str(), path)))
}
