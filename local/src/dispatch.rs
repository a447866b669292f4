//! Which handler serves which function name: the local counterpart of
//! template.yaml's one Lambda function per route, from the functions crate.

use lambda_http::{Body, Request, Response};
use microblog_shared::App;

/// Runs the HTTP handler of `function`; `None` if no HTTP function has
/// that name.
pub async fn dispatch(
    app: &App,
    function: &str,
    req: Request,
) -> Option<Result<Response<Body>, lambda_http::Error>> {
    let handler = microblog_functions::http(function)?;
    Some(handler(app, req).await)
}
