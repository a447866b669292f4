//! The operations on users and follows. Each function below only carries
//! its operation's description for the document; the handler is the
//! function crate of the same name (the operation id).

#![allow(dead_code)]

use crate::domain::{ProfileChanges, Registration};
use crate::error::ErrorBody;
use crate::pagination::Collection;
use crate::representation::UserRepr;

/// Every user, in id order.
#[utoipa::path(
    get, path = "/api/users", operation_id = "get_users", tag = "users",
    security(("bearer" = [])),
    params(super::PageQuery, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of users (without their email addresses).",
            body = Collection<UserRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_users() {}

/// Registers a user. No authentication.
#[utoipa::path(
    post, path = "/api/users", operation_id = "create_user", tag = "users",
    request_body = Registration,
    responses(
        (status = 201, description = "The new user, with its email address.", body = UserRepr,
            headers(("Location" = String, description = "`/api/users/{id}`")),
            links(
                ("GetUser" = (operation_id = "get_user", parameters(("path.id" = "$response.body#/id")))),
                ("UpdateUser" = (operation_id = "update_user", parameters(("path.id" = "$response.body#/id")))),
                ("GetFollowers" = (operation_id = "get_followers", parameters(("path.id" = "$response.body#/id")))),
                ("GetFollowed" = (operation_id = "get_followed", parameters(("path.id" = "$response.body#/id")))),
                ("GetUserPosts" = (operation_id = "get_user_posts", parameters(("path.id" = "$response.body#/id")))),
                ("FollowUser" = (operation_id = "follow_user", parameters(("path.target_id" = "$response.body#/id")))),
                ("IsFollowing" = (operation_id = "is_following", parameters(("path.target_id" = "$response.body#/id")))),
            )),
        (status = 400, description = "A field is missing or breaks its rule, the body is not a JSON object, or the username or email is taken.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn create_user() {}

/// One user; the email address only for the user themself.
#[utoipa::path(
    get, path = "/api/users/{id}", operation_id = "get_user", tag = "users",
    security(("bearer" = [])),
    params(super::UserPath, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The user.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_user() {}

/// Changes the caller's own username, email or about_me; other fields are
/// ignored.
#[utoipa::path(
    put, path = "/api/users/{id}", operation_id = "update_user", tag = "users",
    security(("bearer" = [])),
    params(super::UserPath, super::IfMatchHeader),
    request_body = ProfileChanges,
    responses(
        (status = 200, description = "The updated user, with its email address.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 400, description = "A field breaks its rule, the body is not a JSON object, or the username or email is taken.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The id is not the caller's.", body = ErrorBody),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 409, description = "Concurrent updates of the profile kept winning; retry.", body = ErrorBody),
        (status = 412, description = "`If-Match` names a representation that is no longer the current one: GET it again.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn update_user() {}

/// The user's followers, newest follow first.
#[utoipa::path(
    get, path = "/api/users/{id}/followers", operation_id = "get_followers", tag = "follows",
    security(("bearer" = [])),
    params(super::UserPath, super::PageQuery, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of users.", body = Collection<UserRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_followers() {}

/// The users the user follows, newest follow first.
#[utoipa::path(
    get, path = "/api/users/{id}/followed", operation_id = "get_followed", tag = "follows",
    security(("bearer" = [])),
    params(super::UserPath, super::PageQuery, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of users.", body = Collection<UserRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_followed() {}

/// Whether user `id` follows user `target_id`.
#[utoipa::path(
    get, path = "/api/users/{id}/followed/{target_id}", operation_id = "is_following", tag = "follows",
    security(("bearer" = [])),
    params(super::EdgePath),
    responses(
        (status = 204, description = "`id` follows `target_id`."),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "`id` does not follow `target_id`, or either user does not exist.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn is_following() {}

/// The caller follows `target_id`; already following is no error.
#[utoipa::path(
    put, path = "/api/users/{id}/followed/{target_id}", operation_id = "follow_user", tag = "follows",
    security(("bearer" = [])),
    params(super::EdgePath),
    responses(
        (status = 204, description = "`id` follows `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn follow_user() {}

/// The caller stops following `target_id`; not following is no error.
#[utoipa::path(
    delete, path = "/api/users/{id}/followed/{target_id}", operation_id = "unfollow_user", tag = "follows",
    security(("bearer" = [])),
    params(super::EdgePath),
    responses(
        (status = 204, description = "`id` does not follow `target_id`."),
        (status = 400, description = "`target_id` is the caller.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "`id` is not the caller.", body = ErrorBody),
        (status = 404, description = "No user has the id `target_id`.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn unfollow_user() {}
