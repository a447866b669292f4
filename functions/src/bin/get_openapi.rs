//! `GET /api/openapi.json`: the API's OpenAPI 3.1 document, built once per
//! cold start from the code (`microblog_functions::openapi`). No
//! authentication and no table: client generators and contract testers
//! fetch it before they have credentials.

use std::sync::OnceLock;

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use microblog_shared::App;

/// How long caches may keep the document: it changes only with a deploy.
const CACHE_CONTROL: &str = "public, max-age=300";

microblog_functions::http_function!(handler);

/// This document. No authentication.
#[utoipa::path(
    get, path = "/api/openapi.json", operation_id = "get_openapi", tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the API.", body = Object),
    )
)]
pub async fn handler(_app: &App, _req: Request) -> Result<Response<Body>, Error> {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(microblog_functions::openapi::json);
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, CACHE_CONTROL)
        .body(Body::Text(document.clone()))
        .expect("static status and headers are valid"))
}
