//! The operations on sessions and accounts: the caller's own user, refresh,
//! logging out everywhere, a password change and an account deletion. Each
//! function below only carries its operation's description for the
//! document; the handler is the function crate of the same name.

#![allow(dead_code)]

use crate::domain::{AccountDeletion, PasswordChange, RefreshRequest};
use crate::error::ErrorBody;
use crate::representation::{TokenGrant, UserRepr};

/// The caller's own user, email included.
#[utoipa::path(
    get, path = "/api/me", operation_id = "get_me", tag = "users",
    security(("bearer" = [])),
    params(super::IfNoneMatchHeader),
    responses(
        (status = 200, description = "The caller, with their email address.", body = UserRepr, headers(("ETag" = String, description = "The representation's strong entity tag"), ("Cache-Control" = String, description = "`private, no-cache`"))),
        (status = 304, description = "Not modified: `If-None-Match` holds the current ETag; no body.", headers(("ETag" = String, description = "The current entity tag"))),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn get_me() {}

/// Deletes the caller's account, after checking its password.
#[utoipa::path(
    delete, path = "/api/users/{id}", operation_id = "delete_user", tag = "users",
    security(("bearer" = [])),
    params(super::UserPath),
    request_body = AccountDeletion,
    responses(
        (status = 204, description = "The account is deleted: a 404 from now on, its tokens dead, its name and email free."),
        (status = 400, description = "`password` is missing, or the body is not a JSON object.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The id is not the caller's, or the password is wrong.", body = ErrorBody),
        (status = 409, description = "The password or the sessions changed at the same time; retry.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn delete_user() {}

/// Changes the caller's password; every other session is revoked.
#[utoipa::path(
    put, path = "/api/users/{id}/password", operation_id = "change_password", tag = "users",
    security(("bearer" = [])),
    params(super::UserPath),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the token used keeps working, every other session is revoked."),
        (status = 400, description = "A field is missing, the new password breaks its rule, or the body is not a JSON object.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The id is not the caller's, or the old password is wrong.", body = ErrorBody),
        (status = 409, description = "The password or the sessions changed at the same time; retry.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn change_password() {}

/// Logs the caller out everywhere: every token and refresh token stops working.
#[utoipa::path(
    delete, path = "/api/users/{id}/tokens", operation_id = "revoke_sessions", tag = "tokens",
    security(("bearer" = [])),
    params(super::UserPath),
    responses(
        (status = 204, description = "Every session of the user is revoked."),
        (status = 401, description = "No valid token.", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 403, description = "The id is not the caller's.", body = ErrorBody),
        (status = 404, description = "The id is not a user id (a positive integer).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn revoke_sessions() {}

/// A new token pair for a refresh token; the one presented stops working.
#[utoipa::path(
    put, path = "/api/tokens", operation_id = "refresh_token", tag = "tokens",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and refresh token.", body = TokenGrant,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`refresh_token` is missing, or the body is not a JSON object.", body = ErrorBody),
        (status = 401, description = "The refresh token is invalid, expired, revoked or was used already (which revokes its session).", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Authentication Required\"`"))),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (`Content-Type: application/json` or `+json`).", body = ErrorBody),
        (status = 503, description = "DynamoDB is unavailable; retry.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
fn refresh_token() {}
