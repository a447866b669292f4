//! The two post collections, newest first: a user's timeline and the
//! caller's home feed.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{invalid_cursor, split_page};
use crate::auth::{authenticate, Alongside, PathPost, PathUser, Screened};
use crate::domain::{Post, PostId, User, UserId};
use crate::error::ApiError;
use crate::http::json_with_etag;
use crate::pagination::{Collection, Cursor, PageRequest, Total};
use crate::representation::PostRepr;
use crate::App;

/// The post id a cursor of a post collection holds.
fn after_post(after: Option<Cursor>) -> Result<Option<PostId>, ApiError> {
    match after {
        Some(Cursor(post_id, None)) => Ok(Some(PostId::new(post_id))),
        Some(_) => Err(invalid_cursor()),
        None => Ok(None),
    }
}

/// `GET /api/users/{id}/posts`: token (with the caller's blocks) and author
/// (for the exact `post_count`) concurrently, one Query of the timeline,
/// one BatchGetItem of the page's posts. A 404 while a block stands
/// between the caller and the author, either way.
pub async fn list_timeline(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (author, safety)) = authenticate(app, req, Screened(PathUser)).await?;
    if safety.blocks_either(author.id) {
        return Err(ApiError::NotFound(format!(
            "the posts of user {} are not available to you: a block stands between you",
            author.id
        )));
    }
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
    let (posts, liked) = tokio::join!(
        app.posts.get_many(&ids),
        app.likes.liked_among(caller.user_id, &ids)
    );
    let (posts, liked) = (posts?, liked?);
    let next = ids.last().filter(|_| more).map(|id| Cursor(id.get(), None));
    let items = posts
        .iter()
        .map(|p| PostRepr::new(p, &author, liked.contains(&p.id)))
        .collect();
    let path = format!("/api/users/{}/posts", author.id);
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new(&path, &request, Total::Counted(total), items, next),
    )
}

/// `GET /api/feed`: the token and the set of popular authors concurrently,
/// one Query of the caller's feed, and, for the popular authors the caller
/// follows (one BatchGetItem of those edges), one Query of each one's
/// timeline, merged newest first; then one BatchGetItem of the page's posts
/// and their authors (current bodies and names) and, concurrently, one of
/// the caller's likes of them. The feed is not counted:
/// `total_items` is null. An entry whose post was deleted, and whose
/// removal the fan-out has not yet done, is left out of the page; so is
/// every post of a user the caller blocks, is blocked by or mutes (the
/// caller's safety item is read with the token), from the moment the block
/// or mute commits, whether or not the fan-out has removed its entries,
/// and every post of a suspended author (read with the page's posts).
pub async fn list_feed(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (popular, safety)) =
        authenticate(app, req, Screened(Alongside(app.feeds.popular_authors()))).await?;
    let request = PageRequest::from_request(req)?;
    let mut popular = popular?;
    popular.retain(|author| !safety.hides(*author));
    let merged = if popular.is_empty() {
        Vec::new()
    } else {
        app.feeds.followed_among(caller.user_id, &popular).await?
    };
    let window = match request.plan(Total::Uncounted)? {
        None => Vec::new(),
        Some((after, skip)) => {
            feed_window(
                app,
                caller.user_id,
                &merged,
                after_post(after)?,
                skip,
                &request,
            )
            .await?
        }
    };
    let (entries, more) = split_page(window, &request);
    let shown = entries.iter().filter(|(_, author)| !safety.hides(*author));
    let ids: Vec<PostId> = shown.clone().map(|(post, _)| *post).collect();
    let author_ids: Vec<UserId> = shown.map(|(_, author)| *author).collect();
    let (found, liked) = tokio::join!(
        app.posts.with_authors(&ids, &author_ids),
        app.likes.liked_among(caller.user_id, &ids)
    );
    let items = as_seen(&found?, &liked?, &caller.user);
    let next = entries
        .last()
        .filter(|_| more)
        .map(|(post, _)| Cursor(post.get(), None));
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new("/api/feed", &request, Total::Uncounted, items, next),
    )
}

/// A window of (post, author) pairs of `owner`'s feed, newest first: the
/// feed's own entries merged with the timelines of the popular authors in
/// `merged`. Without any, the feed's window as it is; with some, each
/// source is read from the top to `skip + fetch_limit` and the merge skips
/// `skip` (bare page numbers are bounded, so this is too).
async fn feed_window(
    app: &App,
    owner: UserId,
    merged: &[UserId],
    after: Option<PostId>,
    skip: u64,
    request: &PageRequest,
) -> Result<Vec<(PostId, UserId)>, ApiError> {
    if merged.is_empty() {
        let entries = app
            .feeds
            .window(owner, after, skip, request.fetch_limit())
            .await?;
        return Ok(entries.iter().map(|e| (e.post_id, e.author_id)).collect());
    }
    let limit = u32::try_from(skip + u64::from(request.fetch_limit())).unwrap_or(u32::MAX);
    let mut window: Vec<(PostId, UserId)> = app
        .feeds
        .window(owner, after, 0, limit)
        .await?
        .iter()
        .map(|e| (e.post_id, e.author_id))
        .collect();
    for author in merged {
        let ids = app.posts.timeline_window(*author, after, 0, limit).await?;
        window.extend(ids.into_iter().map(|id| (id, *author)));
    }
    window.sort_unstable_by_key(|(post, _)| std::cmp::Reverse(*post));
    window.dedup_by_key(|(post, _)| *post);
    Ok(window
        .into_iter()
        .skip(skip as usize)
        .take(request.fetch_limit() as usize)
        .collect())
}

/// `posts` by `authors` as `viewer` sees them, `liked` naming those the
/// viewer likes; a post whose author is gone, or suspended (to all but
/// moderators), is left out.
fn as_seen(found: &(Vec<Post>, Vec<User>), liked: &[PostId], viewer: &User) -> Vec<PostRepr> {
    let (posts, authors) = found;
    posts
        .iter()
        .filter_map(|post| {
            let author = authors
                .iter()
                .find(|a| a.id == post.author_id && a.visible_to(viewer))?;
            Some(PostRepr::new(post, author, liked.contains(&post.id)))
        })
        .collect()
}

/// `GET /api/posts/{id}/replies`: the token (with the caller's blocks) and
/// the parent concurrently, one Query of the parent's reply entries (oldest
/// first, each naming its author), then one BatchGetItem of the page's
/// replies and their authors
/// and, concurrently, one of the caller's likes of them. A 404 when the
/// parent is hidden from the caller as `GET /api/posts/{id}` hides it (a
/// block either way, its author suspended: one GetItem of the author).
/// Replies by users the caller blocks, is blocked by or mutes, by suspended
/// users, and deleted replies are left out of the page (follow `next`);
/// `total_items` is the parent's `reply_count`.
pub async fn list_replies(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (caller, (parent, safety)) = authenticate(app, req, Screened(PathPost)).await?;
    super::post_author_shown_to(app, &caller.user, &safety, &parent).await?;
    let request = PageRequest::from_request(req)?;
    let total = Total::Counted(parent.reply_count);
    let window = match request.plan(total)? {
        None => Vec::new(),
        Some((after, skip)) => {
            app.posts
                .replies_window(parent.id, after_post(after)?, skip, request.fetch_limit())
                .await?
        }
    };
    let (entries, more) = split_page(window, &request);
    let next = entries
        .last()
        .filter(|_| more)
        .map(|(id, _)| Cursor(id.get(), None));
    let shown_entries = entries.iter().filter(|(_, author)| !safety.hides(*author));
    let ids: Vec<PostId> = shown_entries.clone().map(|(id, _)| *id).collect();
    let author_ids: Vec<UserId> = shown_entries.map(|(_, author)| *author).collect();
    let (found, liked) = tokio::join!(
        app.posts.with_authors(&ids, &author_ids),
        app.likes.liked_among(caller.user_id, &ids)
    );
    let (posts, authors) = found?;
    let items = as_seen(&(posts, authors), &liked?, &caller.user);
    let path = format!("/api/posts/{}/replies", parent.id);
    json_with_etag(
        req,
        StatusCode::OK,
        &Collection::new(&path, &request, total, items, next),
    )
}
