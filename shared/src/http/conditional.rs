//! Conditional requests: entity tags on every representation a GET
//! answers, `If-None-Match` (304 Not Modified, no body) and `If-Match` (412
//! Precondition Failed) for PUTs.
//!
//! An entity tag is a hash of the representation's JSON, so it changes
//! exactly when the answer would: a rename, a new follower, a login
//! (`last_seen`), an edit, another page of a collection. It is strong: the
//! same tag means the same bytes. A PUT with `If-Match` compares it with the
//! tag of the representation as it is now (read strongly), and its write is
//! conditioned on the item still being in that state (see
//! `UserStore::update` and `PostStore::edit`), so the check and the write
//! are one atomic step: two devices editing one profile cannot silently
//! overwrite each other.

use lambda_http::http::header::{CACHE_CONTROL, ETAG, IF_MATCH, IF_NONE_MATCH, VARY};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::json;
use crate::error::ApiError;
use crate::store::items::sha256_hex;

/// The strong entity tag of a representation's JSON text: the first 128
/// bits of its SHA-256, quoted.
pub fn etag_of(body: &str) -> String {
    format!("\"{}\"", &sha256_hex(body)[..32])
}

/// The entity tag of `value` as [`json`] serialises it.
pub fn etag_of_value<T: Serialize>(value: &T) -> Result<String, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| {
        tracing::error!(error = %e, "serialising a representation failed");
        ApiError::Internal
    })?;
    Ok(etag_of(&body))
}

/// The entity tags of a list header (`"a", W/"b"`), or `None` for `*`.
/// Malformed entries match nothing.
fn tags(value: &str) -> Option<Vec<&str>> {
    if value.trim() == "*" {
        return None;
    }
    Some(
        value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// Whether `If-None-Match` matches `etag` (weak comparison: `W/` ignored).
fn none_match_hits(req: &Request, etag: &str) -> bool {
    let Some(header) = req.headers().get(IF_NONE_MATCH) else {
        return false;
    };
    let Ok(value) = header.to_str() else {
        return false;
    };
    match tags(value) {
        None => true,
        Some(tags) => tags
            .iter()
            .any(|t| t.strip_prefix("W/").unwrap_or(t) == etag),
    }
}

/// A 200 with `value` as JSON and its `ETag`, or a 304 with the `ETag` and
/// no body when the request's `If-None-Match` holds that tag already.
/// Either way `Cache-Control: private, no-cache` (a client may keep it, but
/// asks again before using it) and `Vary: Authorization` (what a user sees
/// depends on who asks).
pub fn json_with_etag<T: Serialize>(
    req: &Request,
    status: StatusCode,
    value: &T,
) -> Result<Response<Body>, ApiError> {
    let mut response = json(status, value)?;
    let etag = match response.body() {
        Body::Text(text) => etag_of(text),
        _ => return Ok(response),
    };
    if status == StatusCode::OK && none_match_hits(req, &etag) {
        response = Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::Empty)
            .expect("static status is valid");
    }
    let headers = response.headers_mut();
    headers.insert(
        ETAG,
        HeaderValue::from_str(&etag).expect("a quoted hex string is a valid header value"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    headers.insert(VARY, HeaderValue::from_static("Authorization"));
    Ok(response)
}

/// The precondition of a PUT's `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match`: the PUT applies to whatever is there.
    Absent,
    /// `If-Match: *`: the resource must exist (a 404 says it does not).
    Any,
    /// The current representation's tag must be one of these (strong
    /// comparison: a weak tag never matches).
    Tags(Vec<String>),
}

impl IfMatch {
    /// Reads `If-Match` from `req`; a header that is not text is a 400.
    pub fn from_request(req: &Request) -> Result<IfMatch, ApiError> {
        let Some(header) = req.headers().get(IF_MATCH) else {
            return Ok(IfMatch::Absent);
        };
        let value = header
            .to_str()
            .map_err(|_| ApiError::bad_request("If-Match must be a list of entity tags or *"))?;
        Ok(match tags(value) {
            None => IfMatch::Any,
            Some(tags) => IfMatch::Tags(tags.into_iter().map(str::to_string).collect()),
        })
    }

    /// Whether the PUT must be conditioned on the state it compared with.
    pub fn is_conditional(&self) -> bool {
        matches!(self, IfMatch::Tags(_))
    }

    /// Checks the precondition against the current representation's tag:
    /// a 412 naming the current tag when it fails.
    pub fn check(&self, current: &str, what: &str) -> Result<(), ApiError> {
        match self {
            IfMatch::Absent | IfMatch::Any => Ok(()),
            IfMatch::Tags(tags) if tags.iter().any(|t| t == current) => Ok(()),
            IfMatch::Tags(_) => Err(ApiError::PreconditionFailed(format!(
                "the {what} has changed since you read it (its ETag is now {current}); \
                 GET it again and reapply your change"
            ))),
        }
    }
}
