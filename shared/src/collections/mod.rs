//! The collections of the API, each a `{items, _meta, _links}` page read
//! with one bounded Query and one BatchGetItem.

mod notifications;
mod posts;
mod users;

pub use notifications::{list_notifications, mark_read, unread_count, UNREAD_CAP};
pub use posts::{list_feed, list_replies, list_timeline};
pub use users::{list_edges, list_likes, list_users};

use crate::error::ApiError;
use crate::pagination::PageRequest;

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
