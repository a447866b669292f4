//! Home feeds: one item collection per user (`FEED#<id>`), newest post
//! first, each entry a pointer to a post. The author's own entry is written
//! with the post (see [`super::posts`]); everything else here is the work of
//! the stream-driven fan-out, and idempotent, so a redelivered stream record
//! writes nothing new: a put of an entry that exists rewrites the same
//! item, a delete of one that is gone deletes nothing.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{
    edge_prefix, edge_sk, feed_key, feed_pk, get_post_id, get_u64, get_user_id, key, n, user_key,
    user_pk, ItemError, POPULAR_PK, POST_PREFIX, SK,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table};
use crate::domain::{EdgeKind, FeedEntry, PostId, UserId};

/// Store of feeds.
#[derive(Debug, Clone)]
pub struct FeedStore {
    table: Table,
}

impl FeedStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        FeedStore { table }
    }

    fn feed(owner: UserId) -> QueryWindow {
        QueryWindow {
            index: None,
            partition: feed_pk(owner),
            sort_attribute: SK,
            sort_prefix: Some(POST_PREFIX),
            order: Order::NewestFirst,
        }
    }

    /// A window of `owner`'s feed, newest first: after the post `after` (a
    /// cursor) or after skipping `skip` entries (a bare page number).
    pub async fn window(
        &self,
        owner: UserId,
        after: Option<PostId>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let found = self
            .table
            .query_window(
                Self::feed(owner),
                after.map(|post_id| feed_key(owner, post_id)),
                skip,
                limit,
            )
            .await?;
        Ok(found
            .iter()
            .map(FeedEntry::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Writes `entries` (BatchWriteItem).
    pub async fn add(&self, entries: &[FeedEntry]) -> Result<(), StoreError> {
        let items = entries.iter().map(|e| e.to_item()).collect();
        self.table.batch_write(items, Vec::new()).await
    }

    /// Deletes the entries of `post_id` from the feeds of `owners`.
    pub async fn remove_post(&self, post_id: PostId, owners: &[UserId]) -> Result<(), StoreError> {
        let keys = owners
            .iter()
            .map(|owner| feed_key(*owner, post_id))
            .collect();
        self.table.batch_write(Vec::new(), keys).await
    }

    /// Deletes every entry of `author_id`'s posts from `owner`'s feed (after
    /// an unfollow): one Query of the feed, filtered by author.
    pub async fn remove_author(&self, owner: UserId, author_id: UserId) -> Result<(), StoreError> {
        let found = self
            .table
            .query_all(&Self::feed(owner), Some(("author_id", n(author_id))))
            .await?;
        let keys = found
            .iter()
            .map(|item| Ok(feed_key(owner, get_post_id(item, "post_id")?)))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.table.batch_write(Vec::new(), keys).await
    }

    /// `user_id`'s followers, at most `limit` of them: the fan-out's read,
    /// bounded by `POPULAR_FOLLOWERS` (whoever has that many is popular, and
    /// their posts are not fanned out), so it also tells whether the author
    /// is, without reading the count.
    pub async fn followers_up_to(
        &self,
        user_id: UserId,
        limit: u64,
    ) -> Result<Vec<UserId>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: user_pk(user_id),
            sort_attribute: SK,
            sort_prefix: Some(edge_prefix(EdgeKind::Follower)),
            order: Order::OldestFirst,
        };
        let found = self.table.query_up_to(&window, limit).await?;
        Ok(found
            .iter()
            .map(|item| get_user_id(item, "other_id"))
            .collect::<Result<_, _>>()?)
    }

    /// `user_id`'s exact follower count (0 for a user that is gone).
    pub async fn follower_count(&self, user_id: UserId) -> Result<u64, StoreError> {
        match self.table.get(user_key(user_id), Read::Eventual).await? {
            Some(item) => Ok(get_u64(&item, "follower_count")?),
            None => Ok(0),
        }
    }

    /// Every author marked popular: their posts are not fanned out but
    /// merged into feeds when read. A small set (authors with at least
    /// `POPULAR_FOLLOWERS` followers), one item.
    pub async fn popular_authors(&self) -> Result<Vec<UserId>, StoreError> {
        let Some(item) = self.table.get(popular_key(), Read::Eventual).await? else {
            return Ok(Vec::new());
        };
        match item.get("author_ids") {
            None => Ok(Vec::new()),
            Some(AttributeValue::Ns(ids)) => ids
                .iter()
                .map(|id| {
                    id.parse().map(UserId::new).map_err(|_| {
                        ItemError(format!("popular author id {id} is not a u64")).into()
                    })
                })
                .collect(),
            Some(_) => Err(ItemError("author_ids is not a number set".into()).into()),
        }
    }

    /// Marks `author_id` popular (idempotent). An author stays popular once
    /// marked: posts already fanned out stay in feeds, later ones merge.
    pub async fn mark_popular(&self, author_id: UserId) -> Result<(), StoreError> {
        self.table
            .update_guarded(popular_key(), Constraint::UserMissing, |u| {
                u.update_expression("ADD author_ids :id")
                    .expression_attribute_values(
                        ":id",
                        AttributeValue::Ns(vec![author_id.to_string()]),
                    )
            })
            .await
    }

    /// Which of `authors` `reader` follows: one BatchGetItem of the edges.
    pub async fn followed_among(
        &self,
        reader: UserId,
        authors: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        let keys = authors
            .iter()
            .filter(|author| **author != reader)
            .map(|author| key(user_pk(reader), edge_sk(EdgeKind::Following, *author)))
            .collect();
        let found = self.table.batch_get(keys, Read::Eventual).await?;
        Ok(found
            .iter()
            .map(|item| get_user_id(item, "other_id"))
            .collect::<Result<_, _>>()?)
    }
}

impl FeedStore {
    /// Which of `readers` follow `author` (BatchGetItem of their edges, 100
    /// a call): who, among an author's followers, sees a reply to `author`.
    pub async fn following_among(
        &self,
        readers: &[UserId],
        author: UserId,
    ) -> Result<Vec<UserId>, StoreError> {
        let keys = readers
            .iter()
            .map(|reader| key(user_pk(*reader), edge_sk(EdgeKind::Following, author)))
            .collect();
        let found = self.table.batch_get(keys, Read::Eventual).await?;
        found
            .iter()
            .map(|item| {
                let pk = super::items::get_s(item, super::items::PK)?;
                pk.strip_prefix(super::items::USER_PREFIX)
                    .and_then(|id| id.parse().ok())
                    .map(UserId::new)
                    .ok_or_else(|| ItemError(format!("edge pk {pk} is not USER#<id>")).into())
            })
            .collect()
    }
}

fn popular_key() -> super::items::Item {
    key(POPULAR_PK, "AUTHORS")
}
