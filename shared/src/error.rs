//! The one error type every handler returns, and its mapping to HTTP.
//!
//! The domain and the stores know nothing of HTTP: their errors become an
//! [`ApiError`] here and nowhere else (the `From` impls at the end), so a
//! handler's `?` does the work. Handlers then turn every `ApiError` into an
//! `Ok` response: an `Err` from a lambda_http handler would reach the client
//! as API Gateway's opaque 502, without our JSON body.

use std::time::Duration;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{NoSuchPost, NoSuchReport, NoSuchUser, ValidationError};
use crate::hashing::HashError;
use crate::store::{Constraint, StoreError};

/// Which credentials a 401 asks for, shown in `WWW-Authenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP Basic, asked for by `POST /api/tokens`.
    Basic,
    /// A bearer token, asked for by every other authenticated route.
    Bearer,
}

impl Challenge {
    fn header_value(self) -> &'static str {
        match self {
            Challenge::Basic => r#"Basic realm="Authentication Required""#,
            Challenge::Bearer => r#"Bearer realm="Authentication Required""#,
        }
    }
}

/// Everything a request can fail with, client mistakes and server faults alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request is malformed or breaks a validation rule.
    BadRequest(String),
    /// 401: missing, malformed, unknown, expired or revoked credentials.
    Unauthorized(Challenge, String),
    /// 403: authenticated, but not allowed to touch this resource.
    Forbidden(String),
    /// 404: no such resource or route.
    NotFound(String),
    /// 405: the path exists, the method does not; carries the allowed methods.
    MethodNotAllowed { allow: Vec<&'static str> },
    /// 408: the request (its body) did not arrive in time.
    RequestTimeout(String),
    /// 409: a concurrent change won; the client may retry.
    Conflict(String),
    /// 412: the `If-Match` of a PUT names a representation that is no
    /// longer the current one.
    PreconditionFailed(String),
    /// 413: the body exceeds the limit.
    PayloadTooLarge(String),
    /// 415: the body is not JSON (by its `Content-Type`).
    UnsupportedMediaType(String),
    /// 422: well-formed, but contradicts an earlier request (an
    /// `Idempotency-Key` reused with another body).
    Unprocessable(String),
    /// 429: this client made too many attempts (failed logins, sign-ups)
    /// from its address; it may try again after `retry_after`.
    TooManyRequests {
        /// What was limited, and how to go on.
        message: String,
        /// When the window closes (`Retry-After`, whole seconds).
        retry_after: Duration,
    },
    /// 500: a fault of ours. The detail is logged, never sent.
    Internal,
    /// 503: DynamoDB throttled us or stayed contended after retries; the
    /// client may retry after `retry_after` (`Retry-After`).
    Unavailable {
        /// How long to wait, rounded up to whole seconds in the header.
        retry_after: Duration,
    },
}

/// The body of every error answer. Its schema is named `MicroblogError`,
/// not `Error`, which client generators rename (openapi-generator makes it
/// `ModelError`: `Error` is a type of Swift, Kotlin, Dart ...).
#[derive(Serialize, ToSchema)]
#[schema(as = MicroblogError)]
pub struct ErrorBody<'a> {
    /// The HTTP reason phrase of the status (`Bad Request`, `Not Found` ...).
    #[schema(examples("Bad Request"))]
    pub error: &'a str,
    /// What went wrong and what to do about it, for people.
    #[schema(examples("username must be 3 to 64 characters long"))]
    pub message: &'a str,
}

impl ApiError {
    /// A 400 with the given message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    /// A 404 with the given message.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The human-readable `message` of the JSON body.
    pub fn message(&self) -> String {
        match self {
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(_, m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::PreconditionFailed(m)
            | ApiError::RequestTimeout(m)
            | ApiError::PayloadTooLarge(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::TooManyRequests { message: m, .. }
            | ApiError::Unprocessable(m) => m.clone(),
            ApiError::MethodNotAllowed { allow } => {
                format!("this route allows only {}", allow.join(", "))
            }
            ApiError::Internal => {
                "the server failed to handle this request; it has been logged".to_string()
            }
            ApiError::Unavailable { .. } => {
                "the service is busy; retry the request in a moment".to_string()
            }
        }
    }

    /// The complete JSON response: status, body and the headers the status needs.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let body = serde_json::to_string(&ErrorBody {
            error: status.canonical_reason().unwrap_or("Error"),
            message: &self.message(),
        })
        .expect("serialising two strings cannot fail");
        let mut response = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Text(body))
            .expect("static status and headers are valid");
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized(challenge, _) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge.header_value()),
                );
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::Unavailable { retry_after }
            | ApiError::TooManyRequests { retry_after, .. } => {
                let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            _ => {}
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status(), self.message())
    }
}

impl std::error::Error for ApiError {}

/// A broken rule is the client's to fix: 400, naming the field.
impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        ApiError::BadRequest(err.to_string())
    }
}

impl From<NoSuchUser> for ApiError {
    fn from(err: NoSuchUser) -> Self {
        ApiError::NotFound(err.to_string())
    }
}

impl From<NoSuchPost> for ApiError {
    fn from(err: NoSuchPost) -> Self {
        ApiError::NotFound(err.to_string())
    }
}

impl From<NoSuchReport> for ApiError {
    fn from(err: NoSuchReport) -> Self {
        ApiError::NotFound(err.to_string())
    }
}

/// Store failures were logged where their context was; a conflict a client
/// can fix or retry says so, anything else reveals nothing.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Constraint::UsernameTaken) => {
                ApiError::bad_request("please use a different username")
            }
            StoreError::Conflict(Constraint::EmailTaken) => {
                ApiError::bad_request("please use a different email address")
            }
            StoreError::Conflict(Constraint::ProfileChanged) => ApiError::Conflict(
                "the profile was changed by another request at the same time; retry".into(),
            ),
            StoreError::Conflict(constraint) => {
                // The operation should have turned this into an outcome.
                tracing::error!(?constraint, "a store conflict reached the client");
                ApiError::Internal
            }
            StoreError::Unavailable { retry_after } => ApiError::Unavailable { retry_after },
            StoreError::Internal => ApiError::Internal,
        }
    }
}

/// Hashing failed on our side (already logged).
impl From<HashError> for ApiError {
    fn from(_: HashError) -> Self {
        ApiError::Internal
    }
}

/// Turns a handler's result into the response every route returns: `Ok` for
/// API errors too, so API Gateway passes our JSON through.
pub fn respond(
    result: Result<Response<Body>, ApiError>,
) -> Result<Response<Body>, lambda_http::Error> {
    Ok(result.unwrap_or_else(ApiError::into_response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn an_error_body_names_the_reason_phrase_and_the_message() {
        let response = ApiError::bad_request("must include username").into_response();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            body_json(&response),
            serde_json::json!({"error": "Bad Request", "message": "must include username"})
        );
    }

    #[test]
    fn a_401_carries_the_challenge_of_its_scheme() {
        let basic = ApiError::Unauthorized(Challenge::Basic, "x".into()).into_response();
        assert_eq!(
            basic.headers()["www-authenticate"],
            r#"Basic realm="Authentication Required""#
        );
        let bearer = ApiError::Unauthorized(Challenge::Bearer, "x".into()).into_response();
        assert_eq!(
            bearer.headers()["www-authenticate"],
            r#"Bearer realm="Authentication Required""#
        );
        assert_eq!(body_json(&bearer)["error"], "Unauthorized");
    }

    #[test]
    fn a_405_lists_the_allowed_methods() {
        let response = ApiError::MethodNotAllowed {
            allow: vec!["GET", "PUT"],
        }
        .into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, PUT");
        assert_eq!(body_json(&response)["error"], "Method Not Allowed");
    }

    #[test]
    fn a_503_says_when_to_retry_in_whole_seconds() {
        let response = ApiError::from(StoreError::Unavailable {
            retry_after: Duration::from_millis(1500),
        })
        .into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "2");
    }

    #[test]
    fn a_429_says_when_the_window_closes_and_a_415_is_json_too() {
        let response = ApiError::TooManyRequests {
            message: "too many failed logins".into(),
            retry_after: Duration::from_secs(300),
        }
        .into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "300");
        assert_eq!(body_json(&response)["error"], "Too Many Requests");
        let response = ApiError::UnsupportedMediaType("send JSON".into()).into_response();
        assert_eq!(response.status(), 415);
        assert_eq!(body_json(&response)["error"], "Unsupported Media Type");
    }

    #[test]
    fn domain_and_store_errors_become_the_status_a_client_can_act_on() {
        let invalid = ValidationError::Missing(&["username"]);
        assert_eq!(ApiError::from(invalid).status(), 400);
        assert_eq!(
            ApiError::from(NoSuchUser::id(crate::domain::UserId::new(5))).status(),
            404
        );
        let taken = ApiError::from(StoreError::Conflict(Constraint::EmailTaken));
        assert_eq!(taken.message(), "please use a different email address");
        let raced = StoreError::Conflict(Constraint::ProfileChanged);
        assert_eq!(ApiError::from(raced).status(), 409);
        let unexplained = StoreError::Conflict(Constraint::AlreadyFollowing);
        assert_eq!(ApiError::from(unexplained), ApiError::Internal);
    }

    #[test]
    fn an_internal_error_reveals_nothing_of_its_cause() {
        let response = ApiError::Internal.into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(body_json(&response)["error"], "Internal Server Error");
    }
}
