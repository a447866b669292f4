//! The operations on posts, timelines and the feed, and on tokens. Each
//! function below only carries its operation's description for the
//! document; the handler is the function crate of the same name (the
//! operation id).

#![allow(dead_code)]

use crate::domain::PostForm;
use crate::error::ErrorBody;
use crate::pagination::Collection;
use crate::representation::{PostRepr, TokenGrant};

/// Publishes a post by the caller.
#[utoipa::path(
    post, path = "/api/posts", operation_id = "create_post", tag = "posts",
    security(("bearer" = [])),
    params(super::IdempotencyKeyHeader),
    request_body = PostForm,
    responses(
        (status = 201, description = "The post (also for a retry with the same `Idempotency-Key`).", body = PostRepr,
            headers(("Location" = String, description = "`/api/posts/{id}`")),
            links(
                ("GetPost" = (operation_id = "get_post", parameters(("path.id" = "$response.body#/id")))),
                ("UpdatePost" = (operation_id = "update_post", parameters(("path.id" = "$response.body#/id")))),
                ("DeletePost" = (operation_id = "delete_post", parameters(("path.id" = "$response.body#/id")))),
            )),
        (status = 400, description = "`body` is missing or breaks its rule, the body is not a JSON object, or the `Idempotency-Key` is malformed.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 409, description = "The post this `Idempotency-Key` published has been deleted since.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 422, description = "This `Idempotency-Key` was used for a post with another body.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn create_post() {}

/// One post, with its author's current name.
#[utoipa::path(
    get, path = "/api/posts/{id}", operation_id = "get_post", tag = "posts",
    security(("bearer" = [])),
    params(super::PostPath, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The post.", body = PostRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "No post has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_post() {}

/// Replaces the body of one of the caller's posts.
#[utoipa::path(
    put, path = "/api/posts/{id}", operation_id = "update_post", tag = "posts",
    security(("bearer" = [])),
    params(super::PostPath, super::IfMatchHeader),
    request_body = PostForm,
    responses(
        (status = 200, description = "The edited post.", body = PostRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 400, description = "`body` is missing or breaks its rule, or the body is not a JSON object.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The post is not the caller's.", body = ErrorBody),
        (status = 404, description = "No post has this id.", body = ErrorBody),
        (status = 412, description = "`If-Match` names a representation that is no longer the current one: GET it again.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn update_post() {}

/// Deletes one of the caller's posts.
#[utoipa::path(
    delete, path = "/api/posts/{id}", operation_id = "delete_post", tag = "posts",
    security(("bearer" = [])),
    params(super::PostPath),
    responses(
        (status = 204, description = "The post is deleted."),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The post is not the caller's.", body = ErrorBody),
        (status = 404, description = "No post has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn delete_post() {}

/// A user's posts, newest first.
#[utoipa::path(
    get, path = "/api/users/{id}/posts", operation_id = "get_user_posts", tag = "posts",
    security(("bearer" = [])),
    params(super::UserPath, super::PageQuery, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of posts.", body = Collection<PostRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 404, description = "No user has this id.", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_user_posts() {}

/// The caller's home feed: their own posts and those of everyone they
/// follow, newest first. Not counted: `total_items` and `total_pages` are
/// null.
#[utoipa::path(
    get, path = "/api/feed", operation_id = "get_feed", tag = "posts",
    security(("bearer" = [])),
    params(super::PageQuery, super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "A page of posts.", body = Collection<PostRepr>, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 400, description = "A malformed `page`, `per_page` or `cursor`, or a bare page too deep.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_feed() {}

/// A new session for the user of the Basic credentials: an access token
/// and a refresh token; each call opens another (one per device).
#[utoipa::path(
    post, path = "/api/tokens", operation_id = "get_token", tag = "tokens",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The session's tokens.", body = TokenGrant,
            headers(("Cache-Control" = String, description = "`no-store`")),
            links(("RevokeToken" = (operation_id = "revoke_token", description = "Send the token as `Authorization: Bearer <token>`.")))),
        (status = 401, description = "Missing, malformed or wrong credentials.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Basic realm=\"Authentication Required\"`"))),
        (status = 429, description = "Too many failed logins for this username from this address; retry after the window.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds until the window closes"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_token() {}

/// Logs out the session of the bearer token presented: its access token and
/// its refresh token stop working; other sessions are untouched.
#[utoipa::path(
    delete, path = "/api/tokens", operation_id = "revoke_token", tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token is revoked."),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn revoke_token() {}

/// This document. No authentication.
#[utoipa::path(
    get, path = "/api/openapi.json", operation_id = "get_openapi", tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the API.", body = Object),
    )
)]
fn get_openapi() {}
