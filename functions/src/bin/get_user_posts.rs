//! `GET /api/users/{id}/posts`: a user's posts, newest first, paginated. See
//! `microblog_shared::collections::list_timeline` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::collections::list_timeline;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_timeline(app, &req).await)
}
