//! `GET /api/feed`: the caller's own posts and those of everyone they
//! follow, newest first, paginated. See
//! `microblog_shared::collections::list_feed` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::collections::list_feed;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_feed(app, &req).await)
}
