//! `GET /api/users`: every user in id order, paginated. See
//! `microblog_shared::collections::list_users` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::collections::list_users;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_users(app, &req).await)
}
