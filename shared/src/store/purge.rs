//! The clean-up of a deleted account, in bounded, resumable, idempotent
//! steps.
//!
//! `DELETE /api/users/{id}` removes the profile, the markers, the directory
//! entry and one from the user count at once, and in the same transaction
//! puts the job item `PURGE#<id>`. Each write of the job (its insert, then
//! each advance) is a stream record, and `purge_user` answers each record
//! with one step: at most `ACCOUNT_CLEANUP_STEP` (100) items of one phase
//! (one Query page; edges unlinked as concurrent transactions of 3 items, the
//! rest deleted 25 a BatchWriteItem), then an advance of the job (conditioned
//! on the step it read, so a redelivered record does its idempotent work
//! again and advances nothing). The phases, in order: the user's follow edges
//! both ways (each unlinked with the other user's count in one transaction,
//! so no count goes wrong), the user's blocks and mutes both ways (the
//! entries, records and the other users' sets), the reports the user made
//! (reports about them stay, for the audit), the likes the user gave (each
//! with its post's count), the posts and their timeline
//! entries, the user's own feed, the mailed codes, the notification inbox,
//! the push devices,
//! the sessions and their access tokens, and
//! last the popular-author mark, the safety item and the job itself. The edge
//! deletions' own stream records let `fan_out` take the user's posts out of
//! followers' feeds, as for any unfollow.

use aws_sdk_dynamodb::types::AttributeValue;

use super::devices::DEVICE_PREFIX;
use super::items::{
    edge_prefix, edge_sk, feed_pk, get_post_id, get_s, get_u64, get_user_id, key, n, post_key,
    purge_key, s, safety_key, timeline_key, token_key, user_key, user_pk, Item, ItemError, PK,
    POPULAR_PK, POST_PREFIX, SESSION_PREFIX, SK,
};
use super::likes::LikeStore;
use super::mail::{pointed_code, CODE_POINTER_PREFIX};
use super::notifications::INBOX_ITEMS_PREFIX;
use super::reports::{ReportStore, REPORTER_ENTRY_PREFIX};
use super::safety::{muted_by_key, safety_of, MUTED_BY_PREFIX};
use super::sessions::access_hashes_of;
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{EdgeKind, ReportId, UserId};

/// Edge transactions one step runs at once.
const CONCURRENT_UNLINKS: usize = 10;

/// What a clean-up job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgePhase {
    /// The users this one followed: each edge, and their follower count.
    Following,
    /// The users following this one: each edge, and their followed count.
    Followers,
    /// The users this one blocked: each entry, and their `blocked_by`.
    Blocks,
    /// The users who blocked this one: their entries and `blocking` sets.
    BlockedBy,
    /// The users this one muted: each entry and their `MUTED_BY` record.
    Mutes,
    /// The users who muted this one: their entries and `muting` sets.
    MutedBy,
    /// The reports this one made, open or closed (reports about them stay,
    /// for the audit).
    Reports,
    /// The posts this one likes: each like, its pointer and the post's
    /// `like_count`.
    Likes,
    /// The user's posts and timeline entries.
    Posts,
    /// The user's own home feed.
    Feed,
    /// The user's mailed codes (by their pointers) and the pointers.
    Codes,
    /// The user's notifications, their claims and the inbox's counter.
    Inbox,
    /// The user's push devices.
    Devices,
    /// The user's sessions and their access tokens.
    Sessions,
    /// The popular-author mark, then the job itself.
    Finish,
}

impl PurgePhase {
    /// Where every job starts.
    pub const FIRST: PurgePhase = PurgePhase::Following;
    const ALL: [PurgePhase; 15] = [
        PurgePhase::Following,
        PurgePhase::Followers,
        PurgePhase::Blocks,
        PurgePhase::BlockedBy,
        PurgePhase::Mutes,
        PurgePhase::MutedBy,
        PurgePhase::Reports,
        PurgePhase::Likes,
        PurgePhase::Posts,
        PurgePhase::Feed,
        PurgePhase::Codes,
        PurgePhase::Inbox,
        PurgePhase::Devices,
        PurgePhase::Sessions,
        PurgePhase::Finish,
    ];

    /// The name stored in the job item.
    pub fn name(self) -> &'static str {
        match self {
            PurgePhase::Following => "following",
            PurgePhase::Followers => "followers",
            PurgePhase::Blocks => "blocks",
            PurgePhase::BlockedBy => "blocked_by",
            PurgePhase::Mutes => "mutes",
            PurgePhase::MutedBy => "muted_by",
            PurgePhase::Reports => "reports",
            PurgePhase::Likes => "likes",
            PurgePhase::Posts => "posts",
            PurgePhase::Feed => "feed",
            PurgePhase::Codes => "codes",
            PurgePhase::Inbox => "inbox",
            PurgePhase::Devices => "devices",
            PurgePhase::Sessions => "sessions",
            PurgePhase::Finish => "finish",
        }
    }

    /// The phase stored as `name`.
    pub fn parse(name: &str) -> Option<PurgePhase> {
        PurgePhase::ALL.into_iter().find(|p| p.name() == name)
    }

    fn next(self) -> PurgePhase {
        let at = PurgePhase::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PurgePhase::ALL[(at + 1).min(PurgePhase::ALL.len() - 1)]
    }
}

/// A clean-up job as one of its stream records shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeJob {
    /// The deleted user.
    pub user_id: UserId,
    /// The phase to work on.
    pub phase: PurgePhase,
    /// Steps done so far; the advance is conditioned on it.
    pub step: u64,
}

/// Store of account clean-ups.
#[derive(Debug, Clone)]
pub struct PurgeStore {
    table: Table,
    step: u32,
}

impl PurgeStore {
    /// A store over `table` whose steps handle at most `step` items.
    pub fn new(table: Table, step: u32) -> Self {
        PurgeStore {
            table,
            step: step.max(1),
        }
    }

    /// Does one bounded step of `job` and advances it: to the next phase
    /// when this one found fewer items than a step may handle, else to the same
    /// phase again (a new stream record, so a new invocation).
    pub async fn step(&self, job: PurgeJob) -> Result<(), StoreError> {
        let user = job.user_id;
        let found = match job.phase {
            PurgePhase::Following => self.unlink_edges(user, EdgeKind::Following).await?,
            PurgePhase::Followers => self.unlink_edges(user, EdgeKind::Follower).await?,
            PurgePhase::Blocks => self.delete_blocks(user).await?,
            PurgePhase::BlockedBy => self.delete_blocked_by(user).await?,
            PurgePhase::Mutes => self.delete_mutes(user).await?,
            PurgePhase::MutedBy => self.delete_muted_by(user).await?,
            PurgePhase::Reports => self.delete_reports(user).await?,
            PurgePhase::Likes => self.delete_likes(user).await?,
            PurgePhase::Posts => self.delete_posts(user).await?,
            PurgePhase::Feed => self.delete_feed(user).await?,
            PurgePhase::Codes => self.delete_codes(user).await?,
            PurgePhase::Inbox => self.delete_prefixed(user, INBOX_ITEMS_PREFIX).await?,
            PurgePhase::Devices => self.delete_prefixed(user, DEVICE_PREFIX).await?,
            PurgePhase::Sessions => self.delete_sessions(user).await?,
            PurgePhase::Finish => {
                self.unmark_popular(user).await?;
                self.table.delete_now(safety_key(user)).await?;
                // The last write: a redelivered record of an earlier step
                // finds no job to advance, and its work is already done.
                return self.table.delete_now(purge_key(user)).await;
            }
        };
        let next = if found < self.step as usize {
            job.phase.next()
        } else {
            job.phase
        };
        self.advance(job, next).await
    }

    async fn advance(&self, job: PurgeJob, phase: PurgePhase) -> Result<(), StoreError> {
        let advanced = self
            .table
            .update_guarded(purge_key(job.user_id), Constraint::PurgeMoved, |u| {
                u.update_expression("SET phase = :phase, step = :next")
                    .condition_expression("step = :step")
                    .expression_attribute_values(":phase", s(phase.name()))
                    .expression_attribute_values(":next", n(job.step + 1))
                    .expression_attribute_values(":step", n(job.step))
            })
            .await;
        match advanced {
            // A redelivered record: this step had already advanced the job.
            Err(StoreError::Conflict(Constraint::PurgeMoved)) => Ok(()),
            outcome => outcome,
        }
    }

    async fn first_page(
        &self,
        partition: String,
        prefix: &'static str,
    ) -> Result<Vec<Item>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition,
            sort_attribute: SK,
            sort_prefix: Some(prefix),
            order: Order::OldestFirst,
        };
        self.table.query_first(&window, self.step).await
    }

    /// Unlinks up to a step's worth of `user`'s edges of `kind`; returns how many
    /// it found.
    async fn unlink_edges(&self, user: UserId, kind: EdgeKind) -> Result<usize, StoreError> {
        let edges = self.first_page(user_pk(user), edge_prefix(kind)).await?;
        let others = edges
            .iter()
            .map(|item| get_user_id(item, "other_id"))
            .collect::<Result<Vec<_>, ItemError>>()?;
        for chunk in others.chunks(CONCURRENT_UNLINKS) {
            let mut running = tokio::task::JoinSet::new();
            for other in chunk {
                let table = self.table.clone();
                let other = *other;
                running.spawn(async move { unlink(&table, user, other, kind).await });
            }
            while let Some(done) = running.join_next().await {
                done.map_err(|e| {
                    tracing::error!(error = %e, "an edge clean-up task failed");
                    StoreError::Internal
                })??;
            }
        }
        Ok(others.len())
    }

    /// Deletes up to a step's worth of `user`'s entries of `kind`; returns
    /// how many it found.
    async fn delete_entries(&self, user: UserId, kind: EdgeKind) -> Result<usize, StoreError> {
        let entries = self.first_page(user_pk(user), edge_prefix(kind)).await?;
        let keys = entries
            .iter()
            .map(|entry| Ok(key(get_s(entry, PK)?, get_s(entry, SK)?)))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(entries.len())
    }

    /// Deletes up to a step's worth of the reports `user` made, each with
    /// what stands for it while open ([`ReportStore::forget`]).
    async fn delete_reports(&self, user: UserId) -> Result<usize, StoreError> {
        let entries = self
            .first_page(user_pk(user), REPORTER_ENTRY_PREFIX)
            .await?;
        let ids = entries
            .iter()
            .map(|item| get_u64(item, "report_id").map(ReportId::new))
            .collect::<Result<Vec<_>, ItemError>>()?;
        let reports = ReportStore::new(self.table.clone());
        // One at a time: each open one changes the queue's one count item,
        // which concurrent transactions would contend for.
        for id in &ids {
            reports.forget(user, *id).await?;
        }
        Ok(ids.len())
    }

    /// Deletes up to a step's worth of `user`'s mutes: each target's
    /// `MUTED_BY` record, then the entries.
    async fn delete_mutes(&self, user: UserId) -> Result<usize, StoreError> {
        let entries = self
            .first_page(user_pk(user), edge_prefix(EdgeKind::Muting))
            .await?;
        let records = entries
            .iter()
            .map(|item| Ok(muted_by_key(get_user_id(item, "other_id")?, user)))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.table.batch_write(Vec::new(), records).await?;
        self.delete_entries(user, EdgeKind::Muting).await
    }

    /// For up to a step's worth of the users who muted `user`: `user` out
    /// of their `muting` set and their entry deleted, then the `MUTED_BY`
    /// records.
    async fn delete_muted_by(&self, user: UserId) -> Result<usize, StoreError> {
        let records = self.first_page(user_pk(user), MUTED_BY_PREFIX).await?;
        let muters = records
            .iter()
            .map(|item| get_user_id(item, "other_id"))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.forget_in_sets(&muters, "muting", user).await?;
        let mut keys: Vec<Item> = muters
            .iter()
            .map(|muter| key(user_pk(*muter), edge_sk(EdgeKind::Muting, user)))
            .collect();
        keys.extend(
            records
                .iter()
                .map(|r| Ok::<_, ItemError>(key(get_s(r, PK)?, get_s(r, SK)?)))
                .collect::<Result<Vec<_>, _>>()?,
        );
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(records.len())
    }

    /// Takes `user` out of the `blocked_by` set of up to a step's worth of
    /// the users `user` blocked, then deletes those entries (so a retry
    /// finds them again).
    async fn delete_blocks(&self, user: UserId) -> Result<usize, StoreError> {
        let entries = self
            .first_page(user_pk(user), edge_prefix(EdgeKind::Blocking))
            .await?;
        let targets = entries
            .iter()
            .map(|item| get_user_id(item, "other_id"))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.forget_in_sets(&targets, "blocked_by", user).await?;
        self.delete_entries(user, EdgeKind::Blocking).await
    }

    /// For up to a step's worth of the users who blocked `user`: their
    /// entry and `user` out of their `blocking` set; then those users out
    /// of `user`'s `blocked_by`, so the next step finds the rest.
    async fn delete_blocked_by(&self, user: UserId) -> Result<usize, StoreError> {
        let safety = match self.table.get(safety_key(user), Read::Strong).await? {
            Some(item) => safety_of(&item)?,
            None => return Ok(0),
        };
        let blockers: Vec<UserId> = safety
            .blocked_by
            .into_iter()
            .take(self.step as usize)
            .collect();
        if blockers.is_empty() {
            return Ok(0);
        }
        self.forget_in_sets(&blockers, "blocking", user).await?;
        let entries = blockers
            .iter()
            .map(|blocker| key(user_pk(*blocker), edge_sk(EdgeKind::Blocking, user)))
            .collect();
        self.table.batch_write(Vec::new(), entries).await?;
        let ids = blockers.iter().map(UserId::to_string).collect();
        self.table
            .update_guarded(safety_key(user), Constraint::PurgeMoved, |u| {
                u.update_expression("DELETE blocked_by :ids")
                    .expression_attribute_values(":ids", AttributeValue::Ns(ids))
            })
            .await?;
        Ok(blockers.len())
    }

    /// Deletes `user` from the set `attribute` of each of `owners`' safety
    /// items that exists (one UpdateItem each, ten at a time).
    async fn forget_in_sets(
        &self,
        owners: &[UserId],
        attribute: &'static str,
        user: UserId,
    ) -> Result<(), StoreError> {
        for chunk in owners.chunks(CONCURRENT_UNLINKS) {
            let mut running = tokio::task::JoinSet::new();
            for owner in chunk {
                let (table, owner) = (self.table.clone(), *owner);
                running.spawn(async move {
                    let forgotten = table
                        .update_guarded(safety_key(owner), Constraint::UserMissing, |u| {
                            u.update_expression("DELETE #set :id")
                                .condition_expression("attribute_exists(pk)")
                                .expression_attribute_names("#set", attribute)
                                .expression_attribute_values(
                                    ":id",
                                    AttributeValue::Ns(vec![user.to_string()]),
                                )
                        })
                        .await;
                    match forgotten {
                        Err(StoreError::Conflict(Constraint::UserMissing)) => Ok(()),
                        outcome => outcome,
                    }
                });
            }
            while let Some(done) = running.join_next().await {
                done.map_err(|e| {
                    tracing::error!(error = %e, "a block clean-up task failed");
                    StoreError::Internal
                })??;
            }
        }
        Ok(())
    }

    /// Takes back up to a step's worth of `user`'s likes, 10 transactions
    /// at a time, each with the post's count ([`LikeStore::unlike`]).
    async fn delete_likes(&self, user: UserId) -> Result<usize, StoreError> {
        let posts = LikeStore::new(self.table.clone())
            .liked_by(user, self.step)
            .await?;
        for chunk in posts.chunks(CONCURRENT_UNLINKS) {
            let mut running = tokio::task::JoinSet::new();
            for post in chunk {
                let likes = LikeStore::new(self.table.clone());
                let post = *post;
                running.spawn(async move { likes.unlike(user, post).await });
            }
            while let Some(done) = running.join_next().await {
                done.map_err(|e| {
                    tracing::error!(error = %e, "a like clean-up task failed");
                    StoreError::Internal
                })??;
            }
        }
        Ok(posts.len())
    }

    /// Deletes up to a step's worth of `user`'s posts with their timeline
    /// entries. The posts' removal records reach `fan_out`, which finds no
    /// followers left to update.
    async fn delete_posts(&self, user: UserId) -> Result<usize, StoreError> {
        let entries = self.first_page(user_pk(user), POST_PREFIX).await?;
        let mut keys = Vec::with_capacity(entries.len() * 2);
        for entry in &entries {
            let post = get_post_id(entry, "post_id")?;
            keys.push(post_key(post));
            keys.push(timeline_key(user, post));
        }
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(entries.len())
    }

    /// Deletes up to a step's worth entries of `user`'s own feed.
    async fn delete_feed(&self, user: UserId) -> Result<usize, StoreError> {
        let entries = self.first_page(feed_pk(user), POST_PREFIX).await?;
        let keys = entries
            .iter()
            .map(|entry| Ok(key(get_s(entry, "pk")?, get_s(entry, SK)?)))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(entries.len())
    }

    /// Deletes up to a step's worth of `user`'s mailed codes (void already:
    /// the profile is gone) with their pointers.
    async fn delete_codes(&self, user: UserId) -> Result<usize, StoreError> {
        let pointers = self.first_page(user_pk(user), CODE_POINTER_PREFIX).await?;
        let mut keys = Vec::with_capacity(pointers.len() * 2);
        for pointer in &pointers {
            keys.push(pointed_code(pointer)?);
            keys.push(key(get_s(pointer, PK)?, get_s(pointer, SK)?));
        }
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(pointers.len())
    }

    /// Deletes up to a step's worth of `user`'s items whose sort keys start
    /// with `prefix`: the inbox (notifications, their claims, the counter:
    /// the notifications others were given of this user's doings go as
    /// their causes do) or the push devices.
    async fn delete_prefixed(
        &self,
        user: UserId,
        prefix: &'static str,
    ) -> Result<usize, StoreError> {
        let items = self.first_page(user_pk(user), prefix).await?;
        let keys = items
            .iter()
            .map(|item| Ok(key(get_s(item, PK)?, get_s(item, SK)?)))
            .collect::<Result<Vec<_>, ItemError>>()?;
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(items.len())
    }

    /// Deletes up to a step's worth of `user`'s sessions with their access
    /// tokens (dead already: the profile is gone).
    async fn delete_sessions(&self, user: UserId) -> Result<usize, StoreError> {
        let sessions = self.first_page(user_pk(user), SESSION_PREFIX).await?;
        let mut keys = Vec::with_capacity(sessions.len() * 2);
        for session in &sessions {
            keys.extend(access_hashes_of(session).iter().map(|hash| token_key(hash)));
            keys.push(key(get_s(session, PK)?, get_s(session, SK)?));
        }
        self.table.batch_write(Vec::new(), keys).await?;
        Ok(sessions.len())
    }

    /// Takes `user` out of the set of popular authors, if the set exists.
    async fn unmark_popular(&self, user: UserId) -> Result<(), StoreError> {
        let removed = self
            .table
            .update_guarded(key(POPULAR_PK, "AUTHORS"), Constraint::PurgeMoved, |u| {
                u.update_expression("DELETE author_ids :id")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":id", AttributeValue::Ns(vec![user.to_string()]))
            })
            .await;
        match removed {
            Err(StoreError::Conflict(Constraint::PurgeMoved)) => Ok(()),
            outcome => outcome,
        }
    }
}

/// Deletes both halves of the edge between the deleted `user` and `other`
/// (`kind` as seen from `user`) and takes one from `other`'s matching count,
/// in one transaction conditioned on `user`'s half existing: done once
/// whatever is redelivered. If `other` is gone too (being deleted at the
/// same time), only the halves go.
async fn unlink(
    table: &Table,
    user: UserId,
    other: UserId,
    kind: EdgeKind,
) -> Result<(), StoreError> {
    let (theirs, count) = match kind {
        EdgeKind::Following => (EdgeKind::Follower, "follower_count"),
        EdgeKind::Follower => (EdgeKind::Following, "followed_count"),
        // One-sided entries with no count: their own phases remove them.
        EdgeKind::Blocking | EdgeKind::Muting => return Ok(()),
    };
    let mine = || key(user_pk(user), edge_sk(kind, other));
    let their_half = || key(user_pk(other), edge_sk(theirs, user));
    let mut transaction = Transaction::new("PurgeEdge");
    transaction
        .guarded(
            table.delete(mine(), |d| d.condition_expression("attribute_exists(pk)")),
            Constraint::NotFollowing,
        )
        .always(table.delete(their_half(), |d| d))
        .guarded(
            table.update(user_key(other), |u| {
                u.update_expression("ADD #count :minus_one")
                    .condition_expression("attribute_exists(pk) AND #count >= :one")
                    .expression_attribute_names("#count", count)
                    .expression_attribute_values(":minus_one", n(-1))
                    .expression_attribute_values(":one", n(1))
            }),
            Constraint::UserMissing,
        );
    match table.transact(transaction).await {
        Ok(()) | Err(StoreError::Conflict(Constraint::NotFollowing)) => Ok(()),
        Err(StoreError::Conflict(Constraint::UserMissing)) => {
            let mut halves = Transaction::new("PurgeEdge");
            halves
                .always(table.delete(mine(), |d| d))
                .always(table.delete(their_half(), |d| d));
            table.transact(halves).await
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_run_in_order_and_end_at_finish() {
        let mut phase = PurgePhase::FIRST;
        let mut seen = vec![phase];
        while phase != PurgePhase::Finish {
            phase = phase.next();
            seen.push(phase);
        }
        assert_eq!(seen, PurgePhase::ALL);
        assert_eq!(PurgePhase::Finish.next(), PurgePhase::Finish);
        for phase in PurgePhase::ALL {
            assert_eq!(PurgePhase::parse(phase.name()), Some(phase));
        }
        assert_eq!(PurgePhase::parse("nonsense"), None);
    }
}
