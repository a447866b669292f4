//! Posts: the post items, each author's timeline (pointers in the author's
//! partition, newest first) and the exact `post_count` on the profile. The
//! author's own feed entry is written with the post; followers' entries are
//! written by the stream-driven fan-out (see [`super::feed`]).

use chrono::{DateTime, Utc};

use super::items::sha256_hex;
use super::items::{
    self, feed_key, get_u64, get_user_id, idempotency_key, mentions_value, n, post_key, post_pk,
    reply_key, s, timeline_key, user_key, user_pk, EXPIRES_AT, IN_REPLY_TO_AUTHOR, POST,
    POST_COUNTER_PK, POST_PREFIX, REPLY_PREFIX, SK,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{
    timestamp, FeedEntry, IdempotencyKey, KeyUse, Mention, Post, PostBody, PostId, ReplyTo, User,
    UserId,
};

/// What a new post is made of, its rules checked and its references
/// resolved.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The text.
    pub body: PostBody,
    /// The post it answers, and that post's author.
    pub in_reply_to: Option<ReplyTo>,
    /// The users its body mentions.
    pub mentions: Vec<Mention>,
}

impl Draft {
    /// A post that answers nothing and mentions nobody.
    pub fn plain(body: PostBody) -> Self {
        Draft {
            body,
            in_reply_to: None,
            mentions: Vec::new(),
        }
    }
}

const ABSENT: Option<&str> = Some("attribute_not_exists(pk)");

/// Store of posts.
#[derive(Debug, Clone)]
pub struct PostStore {
    table: Table,
}

impl PostStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        PostStore { table }
    }

    /// Publishes a post by `author_id`: an id from the atomic counter, then
    /// one transaction writes the post, its timeline entry, the author's own
    /// feed entry and `post_count + 1` ([`Constraint::UserMissing`] if the
    /// author is gone) and, with `key`, the key's record, valid until
    /// `key_expires` ([`Constraint::KeyUsed`] if a live one exists).
    ///
    /// A reply (`in_reply_to`) also puts its entry under the parent and
    /// adds one to the parent's `reply_count`, conditioned on the parent
    /// existing ([`Constraint::ParentMissing`]): a reply racing its
    /// parent's deletion is either refused or committed before it.
    pub async fn create(
        &self,
        author_id: UserId,
        draft: Draft,
        now: DateTime<Utc>,
        key: Option<(&IdempotencyKey, DateTime<Utc>)>,
    ) -> Result<Post, StoreError> {
        let Draft {
            body,
            in_reply_to,
            mentions,
        } = draft;
        let id = self
            .table
            .increment(items::key(POST_COUNTER_PK, "COUNTER"), "next_id", 1)
            .await
            .map(PostId::new)?;
        let post = Post {
            id,
            author_id,
            body: body.as_str().to_string(),
            created_at: now,
            edited_at: None,
            in_reply_to,
            mentions,
            like_count: 0,
            reply_count: 0,
        };
        let mut pointer = timeline_key(author_id, id);
        pointer.insert("post_id".into(), n(id));
        if let Some(parent) = in_reply_to {
            pointer.insert(IN_REPLY_TO_AUTHOR.into(), n(parent.author));
        }
        let own = FeedEntry {
            owner: author_id,
            post_id: id,
            author_id,
        };
        let mut transaction = Transaction::new("CreatePost");
        if let Some((key, expires)) = key {
            let mut record = idempotency_key(author_id, &sha256_hex(key.as_str()));
            record.insert("post_id".into(), n(id));
            record.insert("body".into(), s(&post.body));
            record.insert(EXPIRES_AT.into(), n(expires.timestamp()));
            let put = self.table.put_with(record, |p| {
                p.condition_expression("attribute_not_exists(pk) OR expires_at < :now")
                    .expression_attribute_values(":now", n(now.timestamp()))
            });
            transaction.guarded(put, Constraint::KeyUsed);
        }
        transaction
            .guarded(self.table.put(post.to_item(), ABSENT), Constraint::IdInUse)
            .always(self.table.put(pointer, None))
            .always(self.table.put(own.to_item(), None))
            .guarded(
                self.table.update(user_key(author_id), |u| {
                    u.update_expression("ADD post_count :one")
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":one", n(1))
                }),
                Constraint::UserMissing,
            );
        if let Some(parent) = in_reply_to {
            let mut entry = reply_key(parent.post, id);
            entry.insert("post_id".into(), n(id));
            entry.insert("author_id".into(), n(author_id));
            transaction
                .guarded(
                    self.table.update(post_key(parent.post), |u| {
                        u.update_expression("ADD reply_count :one")
                            .condition_expression("attribute_exists(pk)")
                            .expression_attribute_values(":one", n(1))
                    }),
                    Constraint::ParentMissing,
                )
                .always(self.table.put(entry, None));
        }
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::IdInUse)) => {
                tracing::error!(%id, "a freshly allocated post id was already in use");
                Err(StoreError::Internal)
            }
            outcome => outcome.map(|()| post),
        }
    }

    /// What `author_id` used `key` for, if the key is still live at `now`.
    /// A strong read: the answer decides whether to publish.
    pub async fn key_use(
        &self,
        author_id: UserId,
        key: &IdempotencyKey,
        now: DateTime<Utc>,
    ) -> Result<Option<KeyUse>, StoreError> {
        let found = self
            .table
            .get(
                idempotency_key(author_id, &sha256_hex(key.as_str())),
                Read::Strong,
            )
            .await?;
        let Some(item) = found else {
            return Ok(None);
        };
        // TTL deletes lazily: an expired record is as good as gone.
        if get_u64(&item, EXPIRES_AT)? < now.timestamp().max(0) as u64 {
            return Ok(None);
        }
        Ok(Some(KeyUse {
            post_id: items::get_post_id(&item, "post_id")?,
            body: items::get_s(&item, "body")?.to_string(),
        }))
    }

    /// One post. [`Read::Eventual`] confirms a miss with a strong read, so a
    /// post published a moment ago is found.
    pub async fn get(&self, id: PostId, read: Read) -> Result<Option<Post>, StoreError> {
        self.table.get_by_id(id, read).await
    }

    /// The posts with `ids` (BatchGetItem), in the order of `ids`; ids of
    /// deleted posts are skipped.
    pub async fn get_many(&self, ids: &[PostId]) -> Result<Vec<Post>, StoreError> {
        self.table.get_many_by_id(ids).await
    }

    /// The posts with `ids` and the users with `author_ids`, in one
    /// BatchGetItem (per 100 keys): what a page of a feed shows. Deleted
    /// posts and users are absent; posts keep the order of `ids`.
    pub async fn with_authors(
        &self,
        ids: &[PostId],
        author_ids: &[UserId],
    ) -> Result<(Vec<Post>, Vec<User>), StoreError> {
        let mut authors: Vec<UserId> = author_ids.to_vec();
        authors.sort_unstable();
        authors.dedup();
        let keys = ids
            .iter()
            .map(|id| post_key(*id))
            .chain(authors.iter().map(|id| user_key(*id)))
            .collect();
        let mut posts = Vec::new();
        let mut users = Vec::new();
        for item in self.table.batch_get(keys, Read::Eventual).await? {
            if item.get(SK) == Some(&s(POST)) {
                posts.push(Post::from_item(&item)?);
            } else {
                users.push(User::from_item(&item)?);
            }
        }
        posts.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok((posts, users))
    }

    /// Replaces the body of `post` ([`Constraint::PostMissing`] if it was
    /// deleted meanwhile). Feeds point at the post, so the edit shows in
    /// every feed at once. With `unchanged`, the edit is also conditioned on
    /// the body and edit time being those of `post` (else `PostMissing`
    /// too: read it again to tell): the state an `If-Match` was compared
    /// with, so the comparison and the write are atomic.
    pub async fn edit(
        &self,
        post: &Post,
        body: PostBody,
        mentions: Vec<Mention>,
        now: DateTime<Utc>,
        unchanged: bool,
    ) -> Result<Post, StoreError> {
        let edited = Post {
            body: body.as_str().to_string(),
            edited_at: Some(now),
            mentions,
            ..post.clone()
        };
        self.table
            .update_guarded(post_key(post.id), Constraint::PostMissing, |u| {
                let u = u
                    .update_expression(
                        "SET body = :body, edited_at = :edited, mentions = :mentions",
                    )
                    .expression_attribute_values(":body", s(&edited.body))
                    .expression_attribute_values(":edited", s(timestamp(now)))
                    .expression_attribute_values(":mentions", mentions_value(&edited.mentions));
                if !unchanged {
                    return u.condition_expression("attribute_exists(pk)");
                }
                let u = u.expression_attribute_values(":old_body", s(&post.body));
                match post.edited_at {
                    Some(at) => u
                        .condition_expression("body = :old_body AND edited_at = :old_edited")
                        .expression_attribute_values(":old_edited", s(timestamp(at))),
                    None => u.condition_expression(
                        "body = :old_body AND attribute_not_exists(edited_at)",
                    ),
                }
            })
            .await
            .map(|()| edited)
    }

    /// Deletes `post` with its timeline entry and the author's own feed
    /// entry, and `post_count - 1`, in one transaction
    /// ([`Constraint::PostMissing`] if it is already gone). Followers' feed
    /// entries are removed by the fan-out.
    pub async fn delete(&self, post: &Post) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("DeletePost");
        delete_writes(&self.table, &mut transaction, post, Constraint::PostMissing);
        self.table.transact(transaction).await
    }

    /// A window of `author_id`'s post ids, newest first: after the post
    /// `after` (a cursor) or after skipping `skip` (a bare page number).
    pub async fn timeline_window(
        &self,
        author_id: UserId,
        after: Option<PostId>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<PostId>, StoreError> {
        self.table
            .query_window_ids(
                Self::timeline(author_id),
                after.map(|id| timeline_key(author_id, id)),
                skip,
                limit,
                "post_id",
            )
            .await
            .map(|ids| ids.into_iter().map(PostId::new).collect())
    }

    /// Up to `limit` of `author_id`'s newest posts, as (id, the author of
    /// the post it replies to, if it is a reply).
    pub async fn newest(
        &self,
        author_id: UserId,
        limit: u32,
    ) -> Result<Vec<(PostId, Option<UserId>)>, StoreError> {
        let found = self
            .table
            .query_window(Self::timeline(author_id), None, 0, limit)
            .await?;
        found
            .iter()
            .map(|item| {
                let parent_author = match item.get(IN_REPLY_TO_AUTHOR) {
                    None => None,
                    Some(_) => Some(get_user_id(item, IN_REPLY_TO_AUTHOR)?),
                };
                Ok((items::get_post_id(item, "post_id")?, parent_author))
            })
            .collect()
    }

    /// A window of `parent`'s replies, as (reply, its author), oldest
    /// first: after the reply `after` (a cursor) or after skipping `skip`.
    pub async fn replies_window(
        &self,
        parent: PostId,
        after: Option<PostId>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<(PostId, UserId)>, StoreError> {
        let found = self
            .table
            .query_window(
                QueryWindow {
                    index: None,
                    partition: post_pk(parent),
                    sort_attribute: SK,
                    sort_prefix: Some(REPLY_PREFIX),
                    order: Order::OldestFirst,
                },
                after.map(|id| reply_key(parent, id)),
                skip,
                limit,
            )
            .await?;
        found
            .iter()
            .map(|item| {
                Ok((
                    items::get_post_id(item, "post_id")?,
                    get_user_id(item, "author_id")?,
                ))
            })
            .collect()
    }

    /// After `reply` (answering `parent`) was deleted: its entry under the
    /// parent goes, with one from the parent's `reply_count`, in one
    /// transaction conditioned on the entry existing, so a redelivered
    /// record takes nothing twice; with the parent gone, only the entry.
    pub async fn forget_reply(&self, parent: PostId, reply: PostId) -> Result<(), StoreError> {
        let entry = || {
            self.table.delete(reply_key(parent, reply), |d| {
                d.condition_expression("attribute_exists(pk)")
            })
        };
        let mut transaction = Transaction::new("ForgetReply");
        transaction.guarded(entry(), Constraint::ReplyGone).guarded(
            self.table.update(post_key(parent), |u| {
                u.update_expression("ADD reply_count :minus_one")
                    .condition_expression("attribute_exists(pk) AND reply_count >= :one")
                    .expression_attribute_values(":minus_one", n(-1))
                    .expression_attribute_values(":one", n(1))
            }),
            Constraint::ParentMissing,
        );
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::ReplyGone)) => Ok(()),
            Err(StoreError::Conflict(Constraint::ParentMissing)) => {
                self.table.delete_now(reply_key(parent, reply)).await
            }
            outcome => outcome,
        }
    }

    fn timeline(author_id: UserId) -> QueryWindow {
        QueryWindow {
            index: None,
            partition: user_pk(author_id),
            sort_attribute: SK,
            sort_prefix: Some(POST_PREFIX),
            order: Order::NewestFirst,
        }
    }
}

/// The writes deleting `post` (`missing` when it is already gone), its
/// timeline entry and the author's own feed entry, and `post_count - 1`:
/// for the author's delete and a moderator's removal alike.
pub(crate) fn delete_writes(
    table: &Table,
    transaction: &mut Transaction,
    post: &Post,
    missing: Constraint,
) {
    transaction
        .guarded(
            table.delete(post_key(post.id), |d| {
                d.condition_expression("attribute_exists(pk)")
            }),
            missing,
        )
        .always(table.delete(timeline_key(post.author_id, post.id), |d| d))
        .always(table.delete(feed_key(post.author_id, post.id), |d| d))
        .guarded(
            table.update(user_key(post.author_id), |u| {
                u.update_expression("ADD post_count :minus_one")
                    .condition_expression("attribute_exists(pk) AND post_count >= :one")
                    .expression_attribute_values(":minus_one", n(-1))
                    .expression_attribute_values(":one", n(1))
            }),
            Constraint::CountBelowZero,
        );
}
