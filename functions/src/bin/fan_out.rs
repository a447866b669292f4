//! `fan_out`: invoked with batches of the table's stream records, it keeps
//! every home feed in step with posts and follows:
//!
//! - a post published: an entry in each follower's feed (a reply to
//!   someone else: only in the feeds of followers who follow them too);
//! - a post deleted: its entry out of each follower's feed;
//! - A follows B: B's newest posts into A's feed (replies by the same
//!   rule);
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
use microblog_functions::images::{event_of, image, ItemEvent, PostImage};
use microblog_functions::in_order;
use microblog_shared::domain::{FeedEntry, PostId, UserId};
use microblog_shared::store::items::KeyOf;
use microblog_shared::store::StoreError;
use microblog_shared::App;

/// Newest posts of a newly followed user brought into the follower's feed.
pub const BACKFILL_POSTS: u32 = 50;

/// What a stream record means for the feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `author` published `post`; a reply names the author it answers.
    Published {
        post: PostId,
        author: UserId,
        answers: Option<UserId>,
    },
    /// `author` deleted `post`.
    Deleted { post: PostId, author: UserId },
    /// `follower` started following `followed`.
    Followed { follower: UserId, followed: UserId },
    /// `follower` stopped following `followed`.
    Unfollowed { follower: UserId, followed: UserId },
    /// Nothing for the feeds (profiles, tokens, edits, feed entries ...).
    Nothing,
}

/// What `record` means; `Err` for a record that cannot be read, which is a
/// bug of ours (or not our table).
pub fn change_of(record: &EventRecord) -> Result<Change, String> {
    let (event, key) = event_of(record)?;
    match (key, event) {
        (KeyOf::Post(_), ItemEvent::Inserted) => {
            let post: PostImage = image(record, true)?;
            Ok(Change::Published {
                post: post.post(),
                author: post.author(),
                answers: post.parent().map(|(_, author)| author),
            })
        }
        (KeyOf::Post(_), ItemEvent::Removed) => {
            let post: PostImage = image(record, false)?;
            Ok(Change::Deleted {
                post: post.post(),
                author: post.author(),
            })
        }
        (KeyOf::Following { follower, followed }, ItemEvent::Inserted) => {
            Ok(Change::Followed { follower, followed })
        }
        (KeyOf::Following { follower, followed }, ItemEvent::Removed) => {
            Ok(Change::Unfollowed { follower, followed })
        }
        _ => Ok(Change::Nothing),
    }
}

/// The authors marked popular (`POPULAR_FOLLOWERS` followers or more, once
/// reached): their posts are merged into feeds when read, never written into
/// each. Read once for a batch, on its first record that needs it, and kept
/// in step with what the batch marks: one GetItem a batch, not one a post.
#[derive(Debug, Default)]
pub struct Popular(Option<Vec<UserId>>);

impl Popular {
    async fn set(&mut self, app: &App) -> Result<&mut Vec<UserId>, StoreError> {
        if self.0.is_none() {
            self.0 = Some(app.feeds.popular_authors().await?);
        }
        Ok(self.0.get_or_insert_with(Vec::new))
    }

    /// Whether `author` is marked popular.
    async fn marked(&mut self, app: &App, author: UserId) -> Result<bool, StoreError> {
        Ok(self.set(app).await?.contains(&author))
    }

    /// Marks `author` popular (idempotent).
    async fn mark(&mut self, app: &App, author: UserId) -> Result<(), StoreError> {
        app.feeds.mark_popular(author).await?;
        self.set(app).await?.push(author);
        Ok(())
    }

    /// Whether `author` is popular: marked, or with `POPULAR_FOLLOWERS`
    /// followers now by the count on their profile (and then marked).
    async fn check(&mut self, app: &App, author: UserId) -> Result<bool, StoreError> {
        if self.marked(app, author).await? {
            return Ok(true);
        }
        if app.feeds.follower_count(author).await? >= app.config.popular_followers {
            self.mark(app, author).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `author`'s followers to fan a post out to, or `None` when the author
    /// is popular (marked, or found to have `POPULAR_FOLLOWERS` followers by
    /// this read, which is bounded by that number, and then marked).
    async fn fan_out_to(
        &mut self,
        app: &App,
        author: UserId,
    ) -> Result<Option<Vec<UserId>>, StoreError> {
        if self.marked(app, author).await? {
            return Ok(None);
        }
        let threshold = app.config.popular_followers;
        let followers = app.feeds.followers_up_to(author, threshold).await?;
        if followers.len() as u64 >= threshold {
            self.mark(app, author).await?;
            return Ok(None);
        }
        Ok(Some(followers))
    }
}

/// Brings the feeds in step with `change`, `popular` the batch's view of
/// the popular authors.
pub async fn apply(app: &App, popular: &mut Popular, change: Change) -> Result<(), StoreError> {
    match change {
        Change::Followed { followed, .. } if popular.check(app, followed).await? => Ok(()),
        Change::Published {
            post,
            author,
            answers,
        } => {
            // A popular author's posts are merged at read time.
            let Some(mut owners) = popular.fan_out_to(app, author).await? else {
                return Ok(());
            };
            // A reply to someone else reaches only the followers who also
            // follow the one it answers (as on Twitter and Mastodon).
            if let Some(answered) = answers.filter(|answered| *answered != author) {
                owners = app.feeds.following_among(&owners, answered).await?;
            }
            let entries: Vec<FeedEntry> = owners
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
            // Merged at read time; a deleted post is left out of pages.
            let Some(followers) = popular.fan_out_to(app, author).await? else {
                return Ok(());
            };
            app.feeds.remove_post(post, &followers).await
        }
        Change::Followed { follower, followed } => {
            let newest = app.posts.newest(followed, BACKFILL_POSTS).await?;
            // The same rule for replies as when they were published.
            let mut answered: Vec<UserId> = newest
                .iter()
                .filter_map(|(_, answers)| *answers)
                .filter(|answered| *answered != followed && *answered != follower)
                .collect();
            answered.sort_unstable();
            answered.dedup();
            let followed_too = app.feeds.followed_among(follower, &answered).await?;
            let entries: Vec<FeedEntry> = newest
                .into_iter()
                .filter(|(_, answers)| match answers {
                    Some(a) if *a != followed && *a != follower => followed_too.contains(a),
                    _ => true,
                })
                .map(|(post_id, _)| FeedEntry {
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
    let popular = tokio::sync::Mutex::new(Popular::default());
    let popular = &popular;
    Ok(in_order(records, "fan-out", |record| async move {
        let change = change_of(record)?;
        apply(app, &mut *popular.lock().await, change)
            .await
            .map_err(|e| e.to_string())
    })
    .await)
}
