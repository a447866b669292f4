//! `GET /api/users/{id}/followed`: newest follow first, paginated. See
//! `microblog_shared::collections::list_edges` for the reads it makes.

use lambda_http::{Body, Error, Request, Response};
use microblog_shared::collections::list_edges;
use microblog_shared::domain::EdgeKind;
use microblog_shared::{respond, App};

microblog_functions::http_function!(handler);

/// The Lambda handler.
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(list_edges(app, &req, EdgeKind::Following).await)
}
