//! The two post collections, newest first: a user's timeline and the
//! caller's home feed.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{invalid_cursor, split_page};
use crate::auth::{authenticate, authenticate_and_load_user};
use crate::error::ApiError;
use crate::http::json;
use crate::pagination::{Collection, Cursor, PageRequest, Total};
use crate::representation::PostRepr;
use crate::App;

/// The post id a cursor of a post collection holds.
fn after_post(after: Option<Cursor>) -> Result<Option<u64>, ApiError> {
    match after {
        Some(Cursor(post_id, None)) => Ok(Some(post_id)),
        Some(_) => Err(invalid_cursor()),
        None => Ok(None),
    }
}

/// `GET /api/users/{id}/posts`: token and author (for the exact
/// `post_count`) concurrently, one Query of the timeline, one BatchGetItem
/// of the page's posts.
pub async fn list_timeline(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (_, author) = authenticate_and_load_user(app, req).await?;
    let request = PageRequest::from_request(req)?;
    let total = author.post_count;
    let window = match request.plan(Total::Counted(total))? {
        None => Vec::new(),
        Some((after, skip)) => {
            app.posts
                .timeline_window(author.id, after_post(after)?, skip, request.fetch_limit())
                .await?
        }
    };
    let (ids, more) = split_page(window, &request);
    let posts = app.posts.get_many(&ids).await?;
    let next = ids.last().filter(|_| more).map(|id| Cursor(*id, None));
    let items = posts.iter().map(|p| PostRepr::new(p, &author)).collect();
    let path = format!("/api/users/{}/posts", author.id);
    json(
        StatusCode::OK,
        &Collection::new(&path, &request, Total::Counted(total), items, next),
    )
}

/// `GET /api/feed`: the token, one Query of the caller's feed, one
/// BatchGetItem of the page's posts and their authors (current bodies and
/// names). The feed is not counted: `total_items` is null. An entry whose
/// post was deleted, and whose removal the fan-out has not yet done, is left
/// out of the page.
pub async fn list_feed(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = authenticate(app, req).await?;
    let request = PageRequest::from_request(req)?;
    let window = match request.plan(Total::Uncounted)? {
        None => Vec::new(),
        Some((after, skip)) => {
            app.feeds
                .window(
                    caller.user_id,
                    after_post(after)?,
                    skip,
                    request.fetch_limit(),
                )
                .await?
        }
    };
    let (entries, more) = split_page(window, &request);
    let ids: Vec<u64> = entries.iter().map(|e| e.post_id).collect();
    let author_ids: Vec<u64> = entries.iter().map(|e| e.author_id).collect();
    let (posts, authors) = app.posts.with_authors(&ids, &author_ids).await?;
    let items = posts
        .iter()
        .filter_map(|post| {
            let author = authors.iter().find(|a| a.id == post.author_id)?;
            Some(PostRepr::new(post, author))
        })
        .collect();
    let next = entries
        .last()
        .filter(|_| more)
        .map(|e| Cursor(e.post_id, None));
    json(
        StatusCode::OK,
        &Collection::new("/api/feed", &request, Total::Uncounted, items, next),
    )
}
