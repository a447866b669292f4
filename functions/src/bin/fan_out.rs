//! `fan_out`: invoked with batches of the table's stream records, it keeps
//! every home feed in step with posts and follows:
//!
//! - a post published: an entry in each follower's feed;
//! - a post deleted: its entry out of each follower's feed;
//! - A follows B: B's newest posts into A's feed;
//! - A unfollows B: B's posts out of A's feed.
//!
//! Except for popular authors (`POPULAR_FOLLOWERS` followers or more, once
//! reached): their posts are merged into their followers' feeds when read
//! (`list_feed`), so publishing costs the same for them as for anyone.
//!
//! Every step is idempotent (puts and deletes of whole entries), so a
//! redelivered record changes nothing. Records are applied in order; at the
//! first one that fails the rest of the batch is left alone and that record
//! is reported (`ReportBatchItemFailures`), so Lambda retries from it and
//! the order of a follow and its unfollow is never swapped. After the
//! retries the template allows, the batch goes to the on-failure queue.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Error, LambdaEvent};
use microblog_functions::in_order;
use microblog_shared::domain::{FeedEntry, PostId, UserId};
use microblog_shared::store::items::{key_of, KeyOf};
use microblog_shared::store::StoreError;
use microblog_shared::App;
use serde::Deserialize;

/// Newest posts of a newly followed user brought into the follower's feed.
pub const BACKFILL_POSTS: u32 = 50;

/// What a stream record means for the feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `author` published `post`.
    Published { post: PostId, author: UserId },
    /// `author` deleted `post`.
    Deleted { post: PostId, author: UserId },
    /// `follower` started following `followed`.
    Followed { follower: UserId, followed: UserId },
    /// `follower` stopped following `followed`.
    Unfollowed { follower: UserId, followed: UserId },
    /// Nothing for the feeds (profiles, tokens, edits, feed entries ...).
    Nothing,
}

#[derive(Deserialize)]
struct Keys {
    pk: String,
    sk: String,
}

#[derive(Deserialize)]
struct PostImage {
    id: u64,
    author_id: u64,
}

/// What `record` means; `Err` for a record that cannot be read, which is a
/// bug of ours (or not our table).
pub fn change_of(record: &EventRecord) -> Result<Change, String> {
    let keys: Keys = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|e| format!("unreadable keys: {e}"))?;
    let inserted = record.event_name == "INSERT";
    let removed = record.event_name == "REMOVE";
    match key_of(&keys.pk, &keys.sk) {
        KeyOf::Post(_) if inserted || removed => {
            let image = if inserted {
                &record.change.new_image
            } else {
                &record.change.old_image
            };
            let post: PostImage = serde_dynamo::from_item(image.clone())
                .map_err(|e| format!("unreadable post image: {e}"))?;
            let (post, author) = (PostId::new(post.id), UserId::new(post.author_id));
            Ok(if inserted {
                Change::Published { post, author }
            } else {
                Change::Deleted { post, author }
            })
        }
        KeyOf::Following { follower, followed } if inserted => {
            Ok(Change::Followed { follower, followed })
        }
        KeyOf::Following { follower, followed } if removed => {
            Ok(Change::Unfollowed { follower, followed })
        }
        _ => Ok(Change::Nothing),
    }
}

/// Whether `author` is popular: marked so already, or with at least
/// `POPULAR_FOLLOWERS` followers now (and then marked). A popular author's
/// posts are merged into feeds when read, never written into each.
async fn popular(app: &App, author: UserId) -> Result<bool, StoreError> {
    if app.feeds.popular_authors().await?.contains(&author) {
        return Ok(true);
    }
    if app.feeds.follower_count(author).await? >= app.config.popular_followers {
        app.feeds.mark_popular(author).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Brings the feeds in step with `change`.
pub async fn apply(app: &App, change: Change) -> Result<(), StoreError> {
    match change {
        Change::Published { author, .. } | Change::Deleted { author, .. }
            if popular(app, author).await? =>
        {
            // Merged at read time; a deleted post is left out of pages.
            Ok(())
        }
        Change::Followed { followed, .. } if popular(app, followed).await? => Ok(()),
        Change::Published { post, author } => {
            let entries: Vec<FeedEntry> = app
                .feeds
                .followers(author)
                .await?
                .into_iter()
                .map(|owner| FeedEntry {
                    owner,
                    post_id: post,
                    author_id: author,
                })
                .collect();
            app.feeds.add(&entries).await
        }
        Change::Deleted { post, author } => {
            let followers = app.feeds.followers(author).await?;
            app.feeds.remove_post(post, &followers).await
        }
        Change::Followed { follower, followed } => {
            let entries: Vec<FeedEntry> = app
                .posts
                .newest(followed, BACKFILL_POSTS)
                .await?
                .into_iter()
                .map(|post_id| FeedEntry {
                    owner: follower,
                    post_id,
                    author_id: followed,
                })
                .collect();
            app.feeds.add(&entries).await
        }
        Change::Unfollowed { follower, followed } => {
            app.feeds.remove_author(follower, followed).await
        }
        Change::Nothing => Ok(()),
    }
}

microblog_functions::stream_function!(handler);

/// The Lambda handler: applies the batch's records in order and reports the
/// first that failed, so the batch is retried from there.
pub async fn handler(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    Ok(in_order(records, "fan-out", |record| async move {
        let change = change_of(record)?;
        apply(app, change).await.map_err(|e| e.to_string())
    })
    .await)
}
