//! Reading requests and building success responses.

pub mod bodies;
mod body;
mod conditional;

use lambda_http::http::{header, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

pub use body::{json_body, MAX_BODY_BYTES};
pub use conditional::{etag_of, etag_of_value, json_with_etag, IfMatch};

use crate::domain::{PostId, UserId};
use crate::error::ApiError;

/// The post id in path parameter `name`.
pub fn path_post_id(req: &Request, name: &str) -> Result<PostId, ApiError> {
    let params = req.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| ApiError::not_found(format!("the path has no {name}")))?;
    Ok(PostId::parse(raw)?)
}

/// The user id in path parameter `name`.
pub fn path_id(req: &Request, name: &str) -> Result<UserId, ApiError> {
    let params = req.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| ApiError::not_found(format!("the path has no {name}")))?;
    Ok(UserId::parse(raw)?)
}

/// The text of path parameter `name`, percent-decoded (clients encode a
/// device token's `:` as `%3A`; API Gateway hands the segment over as
/// sent, and so does the local server); empty if the route has none, which
/// the validation of what it holds then refuses. A `%` not followed by two
/// hex digits, or bytes that are not UTF-8, stay as they are for that
/// validation to refuse.
pub fn path_text(req: &Request, name: &str) -> String {
    let raw = req
        .path_parameters()
        .first(name)
        .unwrap_or_default()
        .to_string();
    percent_decoded(&raw).unwrap_or(raw)
}

fn percent_decoded(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = raw.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The client's address as API Gateway saw it
/// (`requestContext.http.sourceIp`; locally, the peer address). Requests
/// without one (never from API Gateway) share one name.
pub fn source_ip(req: &Request) -> String {
    if let Some(RequestContext::ApiGatewayV2(context)) = req.request_context_ref() {
        if let Some(ip) = &context.http.source_ip {
            return ip.clone();
        }
    }
    "unknown".to_string()
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| {
        tracing::error!(error = %e, "serialising a response failed");
        ApiError::Internal
    })?;
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static status and header are valid"))
}

/// A 204 with no body.
pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("static status is valid")
}

#[cfg(test)]
mod path_tests {
    use super::percent_decoded;

    #[test]
    fn a_percent_encoded_segment_is_decoded_and_a_broken_one_is_not() {
        assert_eq!(percent_decoded("fcm%3Aabc-1").as_deref(), Some("fcm:abc-1"));
        assert_eq!(percent_decoded("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decoded("bad%3"), None);
        assert_eq!(percent_decoded("bad%zz"), None);
        assert_eq!(percent_decoded("%ff%fe"), None);
    }
}
