//! Follow edges. A follow is two items, one in each user's partition, so that
//! "whom does A follow" and "who follows B" are each one Query of the
//! `by_time` index (newest first), and "does A follow B" is one GetItem.
//! Both users' counts change in the same transaction as the edge.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::items::{
    edge_order, edge_sk, key, n, user_key, user_pk, Edge, EdgeKind, BY_TIME_INDEX, EDGE_ORDER,
};
use super::{item_error, QueryWindow, Table};
use crate::error::ApiError;

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
}

/// Store of follow edges.
#[derive(Debug, Clone)]
pub struct FollowStore {
    table: Table,
}

fn count_update(table: &Table, user: u64, attribute: &str, delta: i64) -> TransactWriteItem {
    // The floor condition means a count can never go below zero, whatever
    // the edges say; the edge conditions mean it never has to.
    let condition = if delta < 0 {
        "attribute_exists(pk) AND #count >= :one"
    } else {
        "attribute_exists(pk)"
    };
    let mut update = Update::builder()
        .table_name(table.name())
        .set_key(Some(user_key(user)))
        .update_expression("ADD #count :delta")
        .condition_expression(condition)
        .expression_attribute_names("#count", attribute)
        .expression_attribute_values(":delta", n(delta));
    if delta < 0 {
        update = update.expression_attribute_values(":one", n(1));
    }
    TransactWriteItem::builder()
        .update(update.build().expect("table, key and expression are set"))
        .build()
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
        follower: u64,
        followed: u64,
        at_micros: u64,
    ) -> Result<EdgeChange, ApiError> {
        let edge = |owner, other, kind| {
            let put = Put::builder()
                .table_name(self.table.name())
                .set_item(Some(
                    Edge {
                        owner,
                        other,
                        kind,
                        followed_at_micros: at_micros,
                    }
                    .to_item(),
                ))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("table and item are set");
            TransactWriteItem::builder().put(put).build()
        };
        let transaction = vec![
            count_update(&self.table, follower, "followed_count", 1),
            count_update(&self.table, followed, "follower_count", 1),
            edge(follower, followed, EdgeKind::Following),
            edge(followed, follower, EdgeKind::Follower),
        ];
        Ok(match self.table.transact("Follow", transaction).await? {
            Ok(()) => EdgeChange::Changed,
            Err(c) if c.failed(0) || c.failed(1) => EdgeChange::UnknownUser,
            Err(_) => EdgeChange::Unchanged,
        })
    }

    /// Makes `follower` stop following `followed`. Idempotent like follow.
    pub async fn unfollow(&self, follower: u64, followed: u64) -> Result<EdgeChange, ApiError> {
        if follower == followed {
            return Err(ApiError::bad_request("you cannot unfollow yourself"));
        }
        let edge = |owner, other, kind| {
            let delete = Delete::builder()
                .table_name(self.table.name())
                .set_key(Some(key(user_pk(owner), edge_sk(kind, other))))
                .condition_expression("attribute_exists(pk)")
                .build()
                .expect("table and key are set");
            TransactWriteItem::builder().delete(delete).build()
        };
        // A cancelled unfollow looks at what is there: no edge means "not
        // following"; an edge means a concurrent follow landed in between,
        // so the unfollow runs again and removes it.
        for _ in 0..UNFOLLOW_ATTEMPTS {
            let transaction = vec![
                count_update(&self.table, follower, "followed_count", -1),
                count_update(&self.table, followed, "follower_count", -1),
                edge(follower, followed, EdgeKind::Following),
                edge(followed, follower, EdgeKind::Follower),
            ];
            let cancelled = match self.table.transact("Unfollow", transaction).await? {
                Ok(()) => return Ok(EdgeChange::Changed),
                Err(cancelled) => cancelled,
            };
            let edge_key = key(user_pk(follower), edge_sk(EdgeKind::Following, followed));
            let (edge, users) = tokio::join!(
                self.table.get(edge_key, true),
                self.both_exist(follower, followed)
            );
            match (edge?.is_some(), users?) {
                (_, false) => return Ok(EdgeChange::UnknownUser),
                (false, true) => return Ok(EdgeChange::Unchanged),
                (true, true) => tracing::debug!(
                    ?cancelled,
                    follower,
                    followed,
                    "a follow raced this unfollow"
                ),
            }
        }
        tracing::warn!(follower, followed, "unfollow kept racing follows");
        Err(ApiError::Unavailable)
    }

    /// Whether both users exist (two concurrent GetItems).
    pub async fn both_exist(&self, a: u64, b: u64) -> Result<bool, ApiError> {
        let (x, y) = tokio::join!(
            self.table.get(user_key(a), false),
            self.table.get(user_key(b), false)
        );
        Ok(x?.is_some() && y?.is_some())
    }

    /// Whether `follower` follows `followed`: one GetItem, confirmed by a
    /// consistent one on a miss so that a follow just made is seen.
    pub async fn is_following(&self, follower: u64, followed: u64) -> Result<bool, ApiError> {
        let edge = key(user_pk(follower), edge_sk(EdgeKind::Following, followed));
        Ok(self.table.get_confirming_miss(edge).await?.is_some())
    }

    /// A window of `owner`'s edges of `kind`, newest first: after the cursor
    /// `after` = (follow time, other id), or after skipping `skip` edges.
    pub async fn window(
        &self,
        owner: u64,
        kind: EdgeKind,
        after: Option<(u64, u64)>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<Edge>, ApiError> {
        let start = after.map(|(micros, other)| {
            let mut start = key(user_pk(owner), edge_sk(kind, other));
            start.insert(
                EDGE_ORDER.into(),
                super::items::s(edge_order(kind, micros, other)),
            );
            start
        });
        let items = self
            .table
            .query_window(
                QueryWindow {
                    index: Some(BY_TIME_INDEX),
                    partition: user_pk(owner),
                    sort_attribute: EDGE_ORDER,
                    sort_prefix: Some(kind.prefix()),
                    newest_first: true,
                },
                start,
                skip,
                limit,
            )
            .await?;
        items
            .iter()
            .map(|item| Edge::from_item(item).map_err(item_error))
            .collect()
    }
}
