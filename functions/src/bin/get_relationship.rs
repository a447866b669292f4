//! `GET /api/users/{id}/relationship`: whether the caller follows user
//! `{id}` and whether `{id}` follows the caller, in one call, as a profile
//! screen needs for its follow button and its "follows you" badge, and
//! whether a block (either way) or a mute stands between them. The token
//! with the caller's blocks and mutes, and the user, are read at once
//! (authentication's BatchGetItem and a GetItem), then both edges at once:
//! two round trips. An edge missed by
//! the eventually consistent read is confirmed by a strong one, so a
//! follow made a moment ago is seen.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use microblog_functions::openapi;
use microblog_shared::auth::{authenticate, PathUser, Screened};
use microblog_shared::error::ErrorBody;
use microblog_shared::http::json_with_etag;
use microblog_shared::{respond, ApiError, App};
use serde::Serialize;
use utoipa::ToSchema;

microblog_functions::http_function!(handler);

/// How the caller and a user are related.
#[derive(Debug, Serialize, ToSchema)]
struct Relationship {
    /// The other user's id.
    #[schema(minimum = 1)]
    id: u64,
    /// Whether the caller follows them (always false for oneself).
    following: bool,
    /// Whether they follow the caller (always false for oneself).
    followed_by: bool,
    /// Whether the caller blocks them.
    blocking: bool,
    /// Whether they block the caller.
    blocked_by: bool,
    /// Whether the caller mutes them.
    muting: bool,
    /// Related resources.
    _links: RelationshipLinks,
}

/// The links of a relationship.
#[derive(Debug, Serialize, ToSchema)]
struct RelationshipLinks {
    /// This relationship: `/api/users/{id}/relationship`.
    #[serde(rename = "self")]
    self_: String,
    /// The other user: `/api/users/{id}`.
    user: String,
    /// Where the caller follows or unfollows them
    /// (`/api/users/{caller}/followed/{id}`); absent for oneself.
    #[serde(skip_serializing_if = "Option::is_none")]
    follow: Option<String>,
    /// Where the caller blocks or unblocks them
    /// (`/api/users/{caller}/blocked/{id}`); absent for oneself.
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<String>,
    /// Where the caller mutes or unmutes them
    /// (`/api/users/{caller}/muted/{id}`); absent for oneself.
    #[serde(skip_serializing_if = "Option::is_none")]
    mute: Option<String>,
}

/// Whether the caller follows user `id`, and whether `id` follows the
/// caller.
#[utoipa::path(
    get, path = "/api/users/{id}/relationship", operation_id = "get_relationship", tag = "follows",
    security(("bearer" = [])),
    params(openapi::UserPath, openapi::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The relationship.", body = Relationship, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        openapi::NoValidToken,
        (status = 404, description = "No user has this id.", body = ErrorBody),
        openapi::Unavailable,
    )
)]
pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    respond(get_relationship(app, &req).await)
}

async fn get_relationship(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (user, safety)) = authenticate(app, req, Screened(PathUser)).await?;
    let (me, them) = (caller.user_id, user.id);
    let (following, followed_by) = if me == them {
        (false, false)
    } else {
        let (following, followed_by) = tokio::join!(
            app.follows.is_following(me, them),
            app.follows.is_following(them, me)
        );
        (following?, followed_by?)
    };
    let relationship = Relationship {
        id: them.get(),
        following,
        followed_by,
        blocking: safety.blocking.contains(&them),
        blocked_by: safety.blocked_by.contains(&them),
        muting: safety.muting.contains(&them),
        _links: RelationshipLinks {
            self_: format!("/api/users/{them}/relationship"),
            user: format!("/api/users/{them}"),
            follow: (me != them).then(|| format!("/api/users/{me}/followed/{them}")),
            block: (me != them).then(|| format!("/api/users/{me}/blocked/{them}")),
            mute: (me != them).then(|| format!("/api/users/{me}/muted/{them}")),
        },
    };
    json_with_etag(req, StatusCode::OK, &relationship)
}
