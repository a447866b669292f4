//! The collections of the API, each a `{items, _meta, _links}` page read
//! with one bounded Query and one BatchGetItem.

mod notifications;
mod posts;
mod users;

pub use notifications::{list_notifications, mark_read, unread_count, UNREAD_CAP};
pub use posts::{list_feed, list_replies, list_timeline};
pub use users::{list_edges, list_likes, list_users};

use crate::domain::{NoSuchPost, Post, Safety, User};
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::store::Read;
use crate::App;

/// Splits a window read with [`PageRequest::fetch_limit`] into the page and
/// whether more items follow it.
fn split_page<T>(mut window: Vec<T>, request: &PageRequest) -> (Vec<T>, bool) {
    let more = window.len() > request.per_page as usize;
    window.truncate(request.per_page as usize);
    (window, more)
}

/// The 400 for a cursor this API did not issue for this collection.
pub fn invalid_cursor() -> ApiError {
    ApiError::bad_request("cursor is not valid; follow the next link as given, or use ?page=N")
}

/// The author of `post` when `viewer` (with their blocks and mutes,
/// `safety`) may see the post, as `GET /api/posts/{id}` decides: a 404 as
/// for a missing post when a block stands between them, either way, or
/// when the author is gone or suspended (to all but moderators). One
/// GetItem of the author.
pub async fn post_author_shown_to(
    app: &App,
    viewer: &User,
    safety: &Safety,
    post: &Post,
) -> Result<User, ApiError> {
    if safety.blocks_either(post.author_id) {
        return Err(NoSuchPost::id(post.id).into());
    }
    app.users
        .get(post.author_id, Read::Eventual)
        .await?
        .filter(|author| author.visible_to(viewer))
        .ok_or_else(|| NoSuchPost::id(post.id).into())
}
