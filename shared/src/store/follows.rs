//! Follow edges. A follow is two items, one in each user's partition, so that
//! "whom does A follow" and "who follows B" are each one Query of the
//! `by_time` index (newest first), and "does A follow B" is one GetItem.
//! Both users' counts change in the same transaction as the edge, and a
//! follow is refused while a block stands either way ([`super::safety`]).

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::items::{
    edge_order, edge_prefix, edge_sk, key, n, s, safety_key, user_key, user_pk, BY_TIME_INDEX,
    EDGE_ORDER, SUSPENDED_AT,
};
use super::safety::NOT_BLOCKING;
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{Edge, EdgeKind, UserId};

/// Times an unfollow re-runs when a concurrent follow recreates the edge.
const UNFOLLOW_ATTEMPTS: usize = 5;

/// What a follow or unfollow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeChange {
    /// The edge was created or removed, and the counts moved.
    Changed,
    /// Nothing to do: already following, or not following.
    Unchanged,
    /// One of the two users does not exist.
    UnknownUser,
    /// The follower blocks the other user: no follow.
    Blocking,
    /// The other user blocks the follower: no follow.
    BlockedBy,
}

/// Which change to a follow edge a transaction makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeWrite {
    Follow,
    Unfollow,
}

/// Store of follow edges.
#[derive(Debug, Clone)]
pub struct FollowStore {
    table: Table,
}

/// `ADD delta` to a user's count, conditioned on the profile existing and,
/// when subtracting, on the count staying at zero or above: a count can
/// never go below zero, whatever the edges say; the edge conditions mean it
/// never has to.
fn count_update(table: &Table, user: UserId, attribute: &str, delta: i64) -> TransactWriteItem {
    table.update(user_key(user), |u| {
        let u = u
            .update_expression("ADD #count :delta")
            .expression_attribute_names("#count", attribute)
            .expression_attribute_values(":delta", n(delta));
        if delta < 0 {
            u.condition_expression("attribute_exists(pk) AND #count >= :one")
                .expression_attribute_values(":one", n(1))
        } else {
            // No one follows a suspended user: to all but moderators they
            // do not exist (their follow is a 404, as for a missing user).
            u.condition_expression(format!(
                "attribute_exists(pk) AND attribute_not_exists({SUSPENDED_AT})"
            ))
        }
    })
}

fn edge_key(owner: UserId, other: UserId, kind: EdgeKind) -> super::items::Item {
    key(user_pk(owner), edge_sk(kind, other))
}

impl FollowStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        FollowStore { table }
    }

    /// Makes `follower` follow `followed`. Idempotent: an existing edge fails
    /// its `attribute_not_exists` condition, so a retry or a concurrent
    /// duplicate never counts twice.
    pub async fn follow(
        &self,
        follower: UserId,
        followed: UserId,
        at_micros: u64,
    ) -> Result<EdgeChange, StoreError> {
        let put_side = |owner, other, kind| {
            let item = Edge {
                owner,
                other,
                kind,
                followed_at_micros: at_micros,
            }
            .to_item();
            self.table.put(item, Some("attribute_not_exists(pk)"))
        };
        let mut transaction =
            self.edge_transaction(EdgeWrite::Follow, (follower, followed), put_side);
        // A block writes both users' safety items, so checking them
        // serialises the two: a block committed first refuses this follow;
        // a follow committed first is removed by the block.
        for (user, other, constraint) in [
            (follower, followed, Constraint::Blocking),
            (followed, follower, Constraint::Blocked),
        ] {
            transaction.guarded(
                self.table.check(safety_key(user), |c| {
                    c.condition_expression(NOT_BLOCKING)
                        .expression_attribute_values(":other", n(other))
                }),
                constraint,
            );
        }
        match self.table.transact(transaction).await {
            Ok(()) => Ok(EdgeChange::Changed),
            Err(StoreError::Conflict(Constraint::UserMissing)) => Ok(EdgeChange::UnknownUser),
            Err(StoreError::Conflict(Constraint::AlreadyFollowing)) => Ok(EdgeChange::Unchanged),
            Err(StoreError::Conflict(Constraint::Blocking)) => Ok(EdgeChange::Blocking),
            Err(StoreError::Conflict(Constraint::Blocked)) => Ok(EdgeChange::BlockedBy),
            Err(other) => Err(other),
        }
    }

    /// Makes `follower` stop following `followed`. Idempotent like follow.
    pub async fn unfollow(
        &self,
        follower: UserId,
        followed: UserId,
    ) -> Result<EdgeChange, StoreError> {
        let delete_side = |owner, other, kind| {
            self.table.delete(edge_key(owner, other, kind), |d| {
                d.condition_expression("attribute_exists(pk)")
            })
        };
        // A cancelled unfollow looks at what is there: no edge means "not
        // following"; an edge means a concurrent follow landed in between,
        // so the unfollow runs again and removes it.
        for _ in 0..UNFOLLOW_ATTEMPTS {
            let transaction =
                self.edge_transaction(EdgeWrite::Unfollow, (follower, followed), delete_side);
            match self.table.transact(transaction).await {
                Ok(()) => return Ok(EdgeChange::Changed),
                Err(StoreError::Conflict(Constraint::NotFollowing)) => {}
                Err(other) => return Err(other),
            }
            let (edge, users) = tokio::join!(
                self.table.get(
                    edge_key(follower, followed, EdgeKind::Following),
                    Read::Strong
                ),
                self.both_exist(follower, followed)
            );
            match (edge?.is_some(), users?) {
                (_, false) => return Ok(EdgeChange::UnknownUser),
                (false, true) => return Ok(EdgeChange::Unchanged),
                (true, true) => {
                    tracing::debug!(%follower, %followed, "a follow raced this unfollow")
                }
            }
        }
        tracing::warn!(%follower, %followed, "unfollow kept racing follows");
        Err(StoreError::BUSY)
    }

    /// The four writes of a follow or an unfollow: both users' counts and
    /// both sides of the edge, made by `side`, each guarded by what its
    /// condition means for `write`.
    fn edge_transaction(
        &self,
        write: EdgeWrite,
        (follower, followed): (UserId, UserId),
        side: impl Fn(UserId, UserId, EdgeKind) -> TransactWriteItem,
    ) -> Transaction {
        let (operation, delta, counts, edges) = match write {
            EdgeWrite::Follow => (
                "Follow",
                1,
                Constraint::UserMissing,
                Constraint::AlreadyFollowing,
            ),
            // A count's floor failing means the edge is gone too.
            EdgeWrite::Unfollow => (
                "Unfollow",
                -1,
                Constraint::NotFollowing,
                Constraint::NotFollowing,
            ),
        };
        let mut transaction = Transaction::new(operation);
        transaction
            .guarded(
                count_update(&self.table, follower, "followed_count", delta),
                counts,
            )
            .guarded(
                count_update(&self.table, followed, "follower_count", delta),
                counts,
            )
            .guarded(side(follower, followed, EdgeKind::Following), edges)
            .guarded(side(followed, follower, EdgeKind::Follower), edges);
        transaction
    }

    /// Whether both users exist: two concurrent, strongly consistent
    /// GetItems. Only a missing edge leads here, to choose between "not
    /// following" and "no such user"; a stale miss would answer the second
    /// for a user created a moment ago.
    pub async fn both_exist(&self, a: UserId, b: UserId) -> Result<bool, StoreError> {
        let (x, y) = tokio::join!(
            self.table.get(user_key(a), Read::Strong),
            self.table.get(user_key(b), Read::Strong)
        );
        Ok(x?.is_some() && y?.is_some())
    }

    /// Whether `follower` follows `followed`: one GetItem, confirmed by a
    /// consistent one on a miss so that a follow just made is seen.
    pub async fn is_following(
        &self,
        follower: UserId,
        followed: UserId,
    ) -> Result<bool, StoreError> {
        let edge = edge_key(follower, followed, EdgeKind::Following);
        Ok(self.table.get_confirming_miss(edge).await?.is_some())
    }

    /// A window of `owner`'s edges of `kind`, newest first: after the cursor
    /// `after` = (follow time, other id), or after skipping `skip` edges.
    pub async fn window(
        &self,
        owner: UserId,
        kind: EdgeKind,
        after: Option<(u64, UserId)>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<Edge>, StoreError> {
        let start = after.map(|(micros, other)| {
            let mut start = edge_key(owner, other, kind);
            start.insert(EDGE_ORDER.into(), s(edge_order(kind, micros, other)));
            start
        });
        let items = self
            .table
            .query_window(
                QueryWindow {
                    index: Some(BY_TIME_INDEX),
                    partition: user_pk(owner),
                    sort_attribute: EDGE_ORDER,
                    sort_prefix: Some(edge_prefix(kind)),
                    order: Order::NewestFirst,
                },
                start,
                skip,
                limit,
            )
            .await?;
        Ok(items
            .iter()
            .map(Edge::from_item)
            .collect::<Result<_, _>>()?)
    }
}
