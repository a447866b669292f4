//! Reading requests and building success responses.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::parse_user_id;
use crate::error::ApiError;

/// Largest request body accepted: 16 KiB is far above any valid user.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The body as a JSON object. Anything else is a 400; a body over
/// [`MAX_BODY_BYTES`] is a 413.
pub fn json_object(req: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the request body must be at most {MAX_BODY_BYTES} bytes"
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// An optional string field of a JSON body: absent or null is `None`, any
/// other non-string is a 400 naming the field.
pub fn string_field<'a>(
    body: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
    }
}

/// The user id in path parameter `name`.
pub fn path_id(req: &Request, name: &str) -> Result<u64, ApiError> {
    let params = req.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| ApiError::not_found(format!("the path has no {name}")))?;
    parse_user_id(raw)
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
mod tests {
    use super::*;

    fn with_body(body: &str) -> Request {
        lambda_http::http::Request::builder()
            .body(Body::Text(body.to_string()))
            .unwrap()
    }

    #[test]
    fn only_a_json_object_is_a_valid_body() {
        assert!(json_object(&with_body(r#"{"a": 1}"#)).is_ok());
        for bad in [
            "",
            "  ",
            "[]",
            "null",
            "3",
            "\"x\"",
            "{",
            "{\"a\":}",
            "username=x",
        ] {
            assert_eq!(
                json_object(&with_body(bad)).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_body_over_16_kib_is_a_413() {
        let big = format!(r#"{{"about_me": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(json_object(&with_body(&big)).unwrap_err().status(), 413);
    }

    #[test]
    fn a_string_field_of_another_type_is_a_400_naming_it() {
        let body = json_object(&with_body(r#"{"username": 5}"#)).unwrap();
        let err = string_field(&body, "username").unwrap_err();
        assert!(err.message().contains("username"));
        assert_eq!(string_field(&body, "email").unwrap(), None);
    }
}
