//! The three user collections: all users (by id), a user's followers and the
//! users a user follows (newest follow first).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::auth::{authenticate, authenticate_and_load_user};
use crate::error::ApiError;
use crate::http::json;
use crate::pagination::{Collection, Cursor, PageRequest};
use crate::representation::UserRepr;
use crate::store::items::EdgeKind;
use crate::App;

/// `GET /api/users`: token and user count are read concurrently, then one
/// Query of the directory, then one BatchGetItem fetches the page's users.
pub async fn list_users(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, total) = tokio::join!(authenticate(app, req), app.users.count());
    caller?;
    let request = PageRequest::from_request(req)?;
    let total = total?;
    let ids = match request.plan(total) {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = after.map(|c| c.0);
            app.users
                .directory_window(after, skip, request.per_page)
                .await?
        }
    };
    let users = app.users.get_many(&ids).await?;
    let last = users.last().map(|u| Cursor(u.id, None));
    let items = users.iter().map(|u| UserRepr::new(u, false)).collect();
    json(
        StatusCode::OK,
        &Collection::new("/api/users", &request, total, items, last),
    )
}

/// `GET /api/users/{id}/followers` and `/followed`: token and user (for the
/// exact count) are read concurrently, then one Query of the edge index,
/// then one BatchGetItem fetches the page's users.
pub async fn list_edges(
    app: &App,
    req: &Request,
    kind: EdgeKind,
) -> Result<Response<Body>, ApiError> {
    let (_, owner) = authenticate_and_load_user(app, req).await?;
    let request = PageRequest::from_request(req)?;
    let id = owner.id;
    let (total, segment) = match kind {
        EdgeKind::Follower => (owner.follower_count, "followers"),
        EdgeKind::Following => (owner.followed_count, "followed"),
    };
    let edges = match request.plan(total) {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = match after {
                Some(Cursor(micros, Some(other))) => Some((micros, other)),
                Some(Cursor(_, None)) => {
                    return Err(ApiError::bad_request(
                        "cursor is not valid; follow the next link as given, or use ?page=N",
                    ))
                }
                None => None,
            };
            app.follows
                .window(id, kind, after, skip, request.per_page)
                .await?
        }
    };
    let ids: Vec<u64> = edges.iter().map(|e| e.other).collect();
    let users = app.users.get_many(&ids).await?;
    let last = edges
        .last()
        .map(|e| Cursor(e.followed_at_micros, Some(e.other)));
    let items = users.iter().map(|u| UserRepr::new(u, false)).collect();
    let path = format!("/api/users/{id}/{segment}");
    json(
        StatusCode::OK,
        &Collection::new(&path, &request, total, items, last),
    )
}
