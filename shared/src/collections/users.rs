//! The user collections: all users (by id), a user's followers and the
//! users a user follows (newest follow first), and the users the caller
//! blocks or mutes (newest first), and who likes a post (newest first).

use super::{invalid_cursor, split_page};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::auth::{authenticate, Alongside, Own, PathPost, PathUser, Screened};
use crate::domain::{EdgeKind, Silence, UserId};
use crate::error::ApiError;
use crate::http::json_with_etag;
use crate::pagination::{Collection, Cursor, PageRequest, Total};
use crate::representation::UserRepr;
use crate::App;

/// `GET /api/users`: token and user count are read concurrently, then one
/// Query of the directory, then one BatchGetItem fetches the page's users.
pub async fn list_users(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, total) = authenticate(app, req, Alongside(app.users.count())).await?;
    let request = PageRequest::from_request(req)?;
    let total = total?;
    let window = match request.plan(Total::Counted(total))? {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = match after {
                Some(Cursor(id, None)) => Some(UserId::new(id)),
                Some(_) => return Err(invalid_cursor()),
                None => None,
            };
            app.users
                .directory_window(after, skip, request.fetch_limit())
                .await?
        }
    };
    let (ids, more) = split_page(window, &request);
    let users = app.users.get_many(&ids).await?;
    let next = ids.last().filter(|_| more).map(|id| Cursor(id.get(), None));
    let items = visible(&users, &caller.user);
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new("/api/users", &request, Total::Counted(total), items, next),
    )
}

/// `GET /api/users/{id}/followers` and `/followed`: token and user (for the
/// exact count) are read concurrently, then one Query of the edge index,
/// then one BatchGetItem fetches the page's users. `/blocked` and `/muted`
/// are the caller's own only: the token, then the caller's safety item (for
/// the exact count), then the same Query and BatchGetItem. A deleted user
/// is left out of the page.
pub async fn list_edges(
    app: &App,
    req: &Request,
    kind: EdgeKind,
) -> Result<Response<Body>, ApiError> {
    let (caller, owner, total, segment) = match kind {
        EdgeKind::Follower | EdgeKind::Following => {
            let (caller, owner) = authenticate(app, req, PathUser).await?;
            match kind {
                EdgeKind::Follower => (caller, owner.id, owner.follower_count, "followers"),
                _ => (caller, owner.id, owner.followed_count, "followed"),
            }
        }
        EdgeKind::Blocking | EdgeKind::Muting => {
            let (silence, segment, refusal) = match kind {
                EdgeKind::Blocking => {
                    (Silence::Block, "blocked", "only you can see whom you block")
                }
                _ => (Silence::Mute, "muted", "only you can see whom you mute"),
            };
            let (caller, owner) = authenticate(app, req, Own(refusal)).await?;
            let total = app.safety.of(owner).await?.count(silence);
            (caller, owner, total, segment)
        }
    };
    let request = PageRequest::from_request(req)?;
    let window = match request.plan(Total::Counted(total))? {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = match after {
                Some(Cursor(micros, Some(other))) => Some((micros, UserId::new(other))),
                Some(_) => return Err(invalid_cursor()),
                None => None,
            };
            app.follows
                .window(owner, kind, after, skip, request.fetch_limit())
                .await?
        }
    };
    let (edges, more) = split_page(window, &request);
    let ids: Vec<UserId> = edges.iter().map(|e| e.other).collect();
    let users = app.users.get_many(&ids).await?;
    let next = edges
        .last()
        .filter(|_| more)
        .map(|e| Cursor(e.followed_at_micros, Some(e.other.get())));
    // One's own blocks and mutes show suspended users too, so that they
    // can be undone.
    let items = match kind {
        EdgeKind::Blocking | EdgeKind::Muting => users.iter().map(UserRepr::public).collect(),
        EdgeKind::Follower | EdgeKind::Following => visible(&users, &caller.user),
    };
    let path = format!("/api/users/{owner}/{segment}");
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new(&path, &request, Total::Counted(total), items, next),
    )
}

/// `GET /api/posts/{id}/likes`: the token (with the caller's blocks) and
/// the post concurrently, one Query of the post's likes in the `by_time`
/// index (newest first), then one BatchGetItem of the page's users. A 404
/// when the post is hidden from the caller as `GET /api/posts/{id}` hides
/// it (a block either way, its author suspended: one GetItem of the
/// author);
/// `total_items` is the post's exact `like_count`.
pub async fn list_likes(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (post, safety)) = authenticate(app, req, Screened(PathPost)).await?;
    super::post_author_shown_to(app, &caller.user, &safety, &post).await?;
    let request = PageRequest::from_request(req)?;
    let total = Total::Counted(post.like_count);
    let window = match request.plan(total)? {
        None => Vec::new(),
        Some((after, skip)) => {
            let after = match after {
                Some(Cursor(micros, Some(user))) => Some((micros, UserId::new(user))),
                Some(_) => return Err(invalid_cursor()),
                None => None,
            };
            app.likes
                .window(post.id, after, skip, request.fetch_limit())
                .await?
        }
    };
    let (likes, more) = split_page(window, &request);
    let ids: Vec<UserId> = likes.iter().map(|like| like.user).collect();
    let users = app.users.get_many(&ids).await?;
    let next = likes
        .last()
        .filter(|_| more)
        .map(|like| Cursor(like.liked_at_micros, Some(like.user.get())));
    let path = format!("/api/posts/{}/likes", post.id);
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new(&path, &request, total, visible(&users, &caller.user), next),
    )
}

/// `users` as `viewer` may see them: suspended users only for moderators.
/// Counts include them (an exact count of what each viewer may see would
/// cost a read per suspended user).
fn visible(users: &[crate::domain::User], viewer: &crate::domain::User) -> Vec<UserRepr> {
    users
        .iter()
        .filter(|user| user.visible_to(viewer))
        .map(UserRepr::public)
        .collect()
}
