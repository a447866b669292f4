//! Likes: one item per (post, user) in the post's partition, ordered by
//! time in the `by_time` index (who likes a post, newest first), a pointer
//! in the user's partition (so deleting the account finds every like), and
//! the exact `like_count` on the post, moved in the same transaction as
//! both.

use super::items::{
    get_post_id, get_s, get_u64, get_user_id, key, n, post_key, post_pk, s, user_key, user_pk,
    Item, ItemError, BY_TIME_INDEX, EDGE_ORDER, PK, SK,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{Post, PostId, UserId};

/// Prefix of the sort keys (and `edge_order`) of a post's likes.
pub const LIKE_PREFIX: &str = "LIKE#";
/// Prefix of the sort keys of the pointers to the posts a user likes.
pub const LIKED_PREFIX: &str = "LIKED#";

/// What a like or an unlike changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeChange {
    /// It was written.
    Changed,
    /// It was so already: nothing was written.
    Unchanged,
    /// The post is gone.
    PostMissing,
    /// The liker's account is gone (deleted after the token was checked).
    LikerMissing,
}

/// One like of a post, as its stream record and the likes list show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Like {
    /// The post liked.
    pub post: PostId,
    /// Who likes it.
    pub user: UserId,
    /// The post's author.
    pub author: UserId,
    /// When, in microseconds since the epoch.
    pub liked_at_micros: u64,
}

/// Key of `user`'s like of `post`.
pub fn like_key(post: PostId, user: UserId) -> Item {
    key(post_pk(post), format!("{LIKE_PREFIX}{user}"))
}

/// Key of the pointer from `user`'s partition to their like of `post`.
pub fn liked_key(user: UserId, post: PostId) -> Item {
    key(user_pk(user), format!("{LIKED_PREFIX}{:020}", post.get()))
}

fn like_order(micros: u64, user: UserId) -> String {
    format!("{LIKE_PREFIX}{micros:020}#{:020}", user.get())
}

impl Like {
    fn to_item(self) -> Item {
        let mut item = like_key(self.post, self.user);
        item.insert(
            EDGE_ORDER.into(),
            s(like_order(self.liked_at_micros, self.user)),
        );
        item.insert("post_id".into(), n(self.post));
        item.insert("user_id".into(), n(self.user));
        item.insert("author_id".into(), n(self.author));
        item.insert("liked_at".into(), n(self.liked_at_micros));
        item
    }

    /// Reads a like item (from the table, the index or a stream image).
    pub fn from_item(item: &Item) -> Result<Like, ItemError> {
        Ok(Like {
            post: get_post_id(item, "post_id")?,
            user: get_user_id(item, "user_id")?,
            author: get_user_id(item, "author_id")?,
            liked_at_micros: get_u64(item, "liked_at")?,
        })
    }
}

/// Store of likes.
#[derive(Debug, Clone)]
pub struct LikeStore {
    table: Table,
}

impl LikeStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        LikeStore { table }
    }

    /// `user` likes `post`: the like, its pointer and `like_count + 1` in
    /// one transaction, conditioned on the post and the liker existing and
    /// the like not.
    pub async fn like(
        &self,
        user: UserId,
        post: &Post,
        now_micros: u64,
    ) -> Result<LikeChange, StoreError> {
        let like = Like {
            post: post.id,
            user,
            author: post.author_id,
            liked_at_micros: now_micros,
        };
        let mut pointer = liked_key(user, post.id);
        pointer.insert("post_id".into(), n(post.id));
        let mut transaction = Transaction::new("Like");
        transaction
            .guarded(
                self.table
                    .put(like.to_item(), Some("attribute_not_exists(pk)")),
                Constraint::AlreadyLiked,
            )
            .always(self.table.put(pointer, None))
            .guarded(
                self.table.update(post_key(post.id), |u| {
                    u.update_expression("ADD like_count :one")
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":one", n(1))
                }),
                Constraint::PostMissing,
            )
            // A like committed after its liker's account clean-up unliked
            // everything would never be taken back.
            .guarded(
                self.table.check(user_key(user), |c| {
                    c.condition_expression("attribute_exists(pk)")
                }),
                Constraint::UserMissing,
            );
        match self.table.transact(transaction).await {
            Ok(()) => Ok(LikeChange::Changed),
            Err(StoreError::Conflict(Constraint::AlreadyLiked)) => Ok(LikeChange::Unchanged),
            Err(StoreError::Conflict(Constraint::PostMissing)) => Ok(LikeChange::PostMissing),
            Err(StoreError::Conflict(Constraint::UserMissing)) => Ok(LikeChange::LikerMissing),
            Err(e) => Err(e),
        }
    }

    /// `user` no longer likes `post`: the like, its pointer and
    /// `like_count - 1` in one transaction, conditioned on the like
    /// existing. When the post is gone (its clean-up is under way), the
    /// like and pointer go without a count ([`LikeChange::PostMissing`]).
    pub async fn unlike(&self, user: UserId, post: PostId) -> Result<LikeChange, StoreError> {
        let outcome = self.unlike_counting(user, post, true).await;
        match outcome {
            Err(StoreError::Conflict(Constraint::PostMissing)) => {
                match self.unlike_counting(user, post, false).await {
                    Ok(LikeChange::Changed) => Ok(LikeChange::PostMissing),
                    other => other,
                }
            }
            other => other,
        }
    }

    async fn unlike_counting(
        &self,
        user: UserId,
        post: PostId,
        count: bool,
    ) -> Result<LikeChange, StoreError> {
        let mut transaction = Transaction::new("Unlike");
        transaction
            .guarded(
                self.table.delete(like_key(post, user), |d| {
                    d.condition_expression("attribute_exists(pk)")
                }),
                Constraint::NotLiked,
            )
            .always(self.table.delete(liked_key(user, post), |d| d));
        if count {
            transaction.guarded(
                self.table.update(post_key(post), |u| {
                    u.update_expression("ADD like_count :minus_one")
                        .condition_expression("attribute_exists(pk) AND like_count >= :one")
                        .expression_attribute_values(":minus_one", n(-1))
                        .expression_attribute_values(":one", n(1))
                }),
                Constraint::PostMissing,
            );
        }
        match self.table.transact(transaction).await {
            Ok(()) => Ok(LikeChange::Changed),
            Err(StoreError::Conflict(Constraint::NotLiked)) => {
                // A pointer left by nothing (cannot happen: both are
                // written together) must not keep an account's clean-up
                // finding it.
                self.table.delete_now(liked_key(user, post)).await?;
                Ok(LikeChange::Unchanged)
            }
            Err(e) => Err(e),
        }
    }

    /// Which of `posts` `user` likes: one strongly consistent BatchGetItem
    /// (a like shows on the next read).
    pub async fn liked_among(
        &self,
        user: UserId,
        posts: &[PostId],
    ) -> Result<Vec<PostId>, StoreError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let keys = posts.iter().map(|post| like_key(*post, user)).collect();
        self.table
            .batch_get(keys, Read::Strong)
            .await?
            .iter()
            .map(|item| Ok(get_post_id(item, "post_id")?))
            .collect()
    }

    /// Whether `user` likes `post` (strongly consistent).
    pub async fn likes(&self, user: UserId, post: PostId) -> Result<bool, StoreError> {
        Ok(self
            .table
            .get(like_key(post, user), Read::Strong)
            .await?
            .is_some())
    }

    /// A window of `post`'s likes, newest first: after the cursor `after`
    /// = (like time, user id), or after skipping `skip`.
    pub async fn window(
        &self,
        post: PostId,
        after: Option<(u64, UserId)>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<Like>, StoreError> {
        let start = after.map(|(micros, user)| {
            let mut start = like_key(post, user);
            start.insert(EDGE_ORDER.into(), s(like_order(micros, user)));
            start
        });
        let items = self
            .table
            .query_window(
                QueryWindow {
                    index: Some(BY_TIME_INDEX),
                    partition: post_pk(post),
                    sort_attribute: EDGE_ORDER,
                    sort_prefix: Some(LIKE_PREFIX),
                    order: Order::NewestFirst,
                },
                start,
                skip,
                limit,
            )
            .await?;
        Ok(items
            .iter()
            .map(Like::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Deletes up to `limit` of what is left in a deleted post's partition
    /// (its likes, with their pointers, and the entries of its replies);
    /// returns how many items it found. Read strongly: run until it finds
    /// none, after the post is gone, it leaves nothing, since every write
    /// there is conditioned on the post existing.
    pub async fn clear_deleted_post(&self, post: PostId, limit: u32) -> Result<usize, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: post_pk(post),
            sort_attribute: SK,
            sort_prefix: None,
            order: Order::OldestFirst,
        };
        let found = self.table.query_first(&window, limit).await?;
        let mut keys = Vec::with_capacity(found.len() * 2);
        for item in &found {
            let sk = get_s(item, SK)?;
            if sk.starts_with(LIKE_PREFIX) {
                keys.push(liked_key(get_user_id(item, "user_id")?, post));
            }
            keys.push(key(get_s(item, PK)?, sk));
        }
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(found.len())
    }

    /// Up to `limit` of the posts `user` likes (the pointers, read
    /// strongly): an account's clean-up unlikes each.
    pub async fn liked_by(&self, user: UserId, limit: u32) -> Result<Vec<PostId>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: user_pk(user),
            sort_attribute: SK,
            sort_prefix: Some(LIKED_PREFIX),
            order: Order::OldestFirst,
        };
        self.table
            .query_first(&window, limit)
            .await?
            .iter()
            .map(|item| Ok(get_post_id(item, "post_id")?))
            .collect()
    }
}
