//! Blocks and mutes. Each user has one item, `USER#<id> / SAFETY`, holding
//! three number sets: `blocking`, `blocked_by` and `muting`. It is all a
//! request needs to screen a page (one GetItem, or one more key in
//! authentication's BatchGetItem), and the follow transaction checks it, so
//! a block holds from the moment it commits. Each block and mute is also an
//! entry in the owner's partition (`BLOCKING#<id>`, `MUTING#<id>`, with an
//! `edge_order`), so the owner's lists are Queries of the `by_time` index,
//! newest first, like follow lists. A mute also leaves a record with the
//! muted user (`MUTED_BY#<muter>`, no `edge_order`) so that deleting either
//! account can find and remove it.
//!
//! A block is one transaction: the entry, both users' sets, and the follow
//! edges between them, both ways, deleted with both users' counts; it is
//! conditioned on the edges being as read, so a follow racing it either
//! lands before (and is removed by it) or is refused after.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::items::{edge_sk, key, n, safety_key, user_key, user_pk, Item, ItemError, PK, SK};
use super::{Constraint, Read, StoreError, Table, Transaction};
use crate::domain::{
    Edge, EdgeKind, Safety, Silence, UserId, MAX_BLOCKED_BY, MAX_BLOCKS, MAX_MUTES,
};

/// Times a block reads again when a follow or unfollow raced it.
const BLOCK_ATTEMPTS: usize = 5;

/// What a block, unblock, mute or unmute did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceChange {
    /// Made or undone.
    Changed,
    /// Nothing to do: already so.
    Unchanged,
    /// The target (or the caller) does not exist.
    UnknownUser,
    /// The caller's set is at its limit ([`MAX_BLOCKS`], [`MAX_MUTES`]).
    ListFull,
    /// The target is blocked by [`MAX_BLOCKED_BY`] users already.
    BlockersFull,
}

/// Store of blocks and mutes.
#[derive(Debug, Clone)]
pub struct SafetyStore {
    table: Table,
}

fn one(id: UserId) -> AttributeValue {
    AttributeValue::Ns(vec![id.to_string()])
}

fn set_name(silence: Silence) -> &'static str {
    match silence {
        Silence::Block => "blocking",
        Silence::Mute => "muting",
    }
}

fn kind_of(silence: Silence) -> EdgeKind {
    match silence {
        Silence::Block => EdgeKind::Blocking,
        Silence::Mute => EdgeKind::Muting,
    }
}

fn follow_key(follower: UserId, followed: UserId) -> Item {
    key(user_pk(follower), edge_sk(EdgeKind::Following, followed))
}

fn entry_key(owner: UserId, other: UserId, silence: Silence) -> Item {
    key(user_pk(owner), edge_sk(kind_of(silence), other))
}

/// The sort-key prefix of the muted user's side of a mute: found only by
/// the clean-up of either account, so it carries no `edge_order`.
pub const MUTED_BY_PREFIX: &str = "MUTED_BY#";

/// The key of `muted`'s record that `muter` mutes them.
pub(crate) fn muted_by_key(muted: UserId, muter: UserId) -> Item {
    key(user_pk(muted), format!("{MUTED_BY_PREFIX}{muter}"))
}

/// The put of `owner`'s new entry of blocking or muting `other`, which
/// must not exist yet.
fn new_entry(
    table: &Table,
    owner: UserId,
    other: UserId,
    silence: Silence,
    at_micros: u64,
) -> TransactWriteItem {
    let entry = Edge {
        owner,
        other,
        kind: kind_of(silence),
        followed_at_micros: at_micros,
    };
    table.put(entry.to_item(), Some("attribute_not_exists(pk)"))
}

/// A check that `user`'s profile exists.
fn profile_exists(table: &Table, user: UserId) -> TransactWriteItem {
    table.check(user_key(user), |c| {
        c.condition_expression("attribute_exists(pk)")
    })
}

/// `ADD` of `id` to the set `attribute` of `owner`'s safety item, while the
/// set holds fewer than `max`.
fn add_to_set(
    table: &Table,
    owner: UserId,
    attribute: &str,
    id: UserId,
    max: usize,
) -> TransactWriteItem {
    table.update(safety_key(owner), |u| {
        u.update_expression("ADD #set :id")
            .condition_expression("attribute_not_exists(#set) OR size(#set) < :max")
            .expression_attribute_names("#set", attribute)
            .expression_attribute_values(":id", one(id))
            .expression_attribute_values(":max", n(max))
    })
}

fn remove_from_set(table: &Table, owner: UserId, attribute: &str, id: UserId) -> TransactWriteItem {
    table.update(safety_key(owner), |u| {
        u.update_expression("DELETE #set :id")
            .expression_attribute_names("#set", attribute)
            .expression_attribute_values(":id", one(id))
    })
}

/// The write a block makes to `user`'s profile: one from each count whose
/// edge it removes, or, when it removes none, a check that the profile
/// exists. One item either way (a transaction touches an item once).
fn profile_write(table: &Table, user: UserId, followed: bool, follower: bool) -> TransactWriteItem {
    let counts: Vec<&str> = [(followed, "followed_count"), (follower, "follower_count")]
        .into_iter()
        .filter_map(|(removed, count)| removed.then_some(count))
        .collect();
    if counts.is_empty() {
        return profile_exists(table, user);
    }
    let adds: Vec<String> = counts.iter().map(|c| format!("{c} :minus_one")).collect();
    let floors: Vec<String> = counts.iter().map(|c| format!("{c} >= :one")).collect();
    table.update(user_key(user), |u| {
        u.update_expression(format!("ADD {}", adds.join(", ")))
            .condition_expression(format!("attribute_exists(pk) AND {}", floors.join(" AND ")))
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":one", n(1))
    })
}

impl SafetyStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        SafetyStore { table }
    }

    /// `user`'s blocks and mutes, read strongly: a block or mute made a
    /// moment ago is seen.
    pub async fn of(&self, user: UserId) -> Result<Safety, StoreError> {
        match self.table.get(safety_key(user), Read::Strong).await? {
            Some(item) => Ok(safety_of(&item)?),
            None => Ok(Safety::default()),
        }
    }

    /// `blocker` blocks `target` (idempotent), removing the follows between
    /// them both ways with their counts, in one transaction.
    pub async fn block(
        &self,
        blocker: UserId,
        target: UserId,
        at_micros: u64,
    ) -> Result<SilenceChange, StoreError> {
        for _ in 0..BLOCK_ATTEMPTS {
            let keys = vec![
                follow_key(blocker, target),
                follow_key(target, blocker),
                user_key(blocker),
                user_key(target),
            ];
            let found = self.table.batch_get(keys.clone(), Read::Strong).await?;
            let exists = |k: &Item| {
                found
                    .iter()
                    .any(|i| i.get(PK) == k.get(PK) && i.get(SK) == k.get(SK))
            };
            if !exists(&keys[2]) || !exists(&keys[3]) {
                return Ok(SilenceChange::UnknownUser);
            }
            let (forward, backward) = (exists(&keys[0]), exists(&keys[1]));
            let transaction = self.block_transaction(blocker, target, at_micros, forward, backward);
            match self.table.transact(transaction).await {
                Ok(()) => return Ok(SilenceChange::Changed),
                Err(StoreError::Conflict(Constraint::AlreadySilenced)) => {
                    return Ok(SilenceChange::Unchanged)
                }
                Err(StoreError::Conflict(Constraint::SilenceListFull)) => {
                    return Ok(SilenceChange::ListFull)
                }
                Err(StoreError::Conflict(Constraint::BlockersFull)) => {
                    return Ok(SilenceChange::BlockersFull)
                }
                Err(StoreError::Conflict(Constraint::BlockRaced)) => {
                    tracing::debug!(%blocker, %target, "a follow or deletion raced this block")
                }
                Err(other) => return Err(other),
            }
        }
        tracing::warn!(%blocker, %target, "block kept racing follows");
        Err(StoreError::BUSY)
    }

    fn block_transaction(
        &self,
        blocker: UserId,
        target: UserId,
        at_micros: u64,
        forward: bool,
        backward: bool,
    ) -> Transaction {
        let table = &self.table;
        let mut transaction = Transaction::new("Block");
        transaction
            .guarded(
                new_entry(table, blocker, target, Silence::Block, at_micros),
                Constraint::AlreadySilenced,
            )
            .guarded(
                add_to_set(table, blocker, "blocking", target, MAX_BLOCKS),
                Constraint::SilenceListFull,
            )
            .guarded(
                add_to_set(table, target, "blocked_by", blocker, MAX_BLOCKED_BY),
                Constraint::BlockersFull,
            )
            .guarded(
                profile_write(table, blocker, forward, backward),
                Constraint::BlockRaced,
            )
            .guarded(
                profile_write(table, target, backward, forward),
                Constraint::BlockRaced,
            );
        for (follower, followed, follows) in
            [(blocker, target, forward), (target, blocker, backward)]
        {
            if follows {
                let delete =
                    |k| table.delete(k, |d| d.condition_expression("attribute_exists(pk)"));
                transaction
                    .guarded(
                        delete(follow_key(follower, followed)),
                        Constraint::BlockRaced,
                    )
                    .guarded(
                        delete(key(
                            user_pk(followed),
                            edge_sk(EdgeKind::Follower, follower),
                        )),
                        Constraint::BlockRaced,
                    );
            } else {
                transaction.guarded(
                    table.check(follow_key(follower, followed), |c| {
                        c.condition_expression("attribute_not_exists(pk)")
                    }),
                    Constraint::BlockRaced,
                );
            }
        }
        transaction
    }

    /// `blocker` stops blocking `target` (idempotent). Follows removed by
    /// the block stay removed.
    pub async fn unblock(
        &self,
        blocker: UserId,
        target: UserId,
    ) -> Result<SilenceChange, StoreError> {
        let mut transaction = self.undo(blocker, target, Silence::Block);
        transaction.guarded(
            self.table.update(safety_key(target), |u| {
                u.update_expression("DELETE blocked_by :id")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":id", one(blocker))
            }),
            Constraint::UserMissing,
        );
        match self.table.transact(transaction).await {
            Err(StoreError::Conflict(Constraint::UserMissing)) => {
                // The target's account was cleaned up: only the caller's side.
                self.run_undo(self.undo(blocker, target, Silence::Block))
                    .await
            }
            outcome => Self::undone(outcome),
        }
    }

    /// `muter` mutes `target` (idempotent).
    pub async fn mute(
        &self,
        muter: UserId,
        target: UserId,
        at_micros: u64,
    ) -> Result<SilenceChange, StoreError> {
        let table = &self.table;
        let exists = |user| profile_exists(table, user);
        let mut muted_by = muted_by_key(target, muter);
        muted_by.insert("other_id".into(), n(muter));
        let mut transaction = Transaction::new("Mute");
        transaction
            .guarded(
                new_entry(table, muter, target, Silence::Mute, at_micros),
                Constraint::AlreadySilenced,
            )
            .always(table.put(muted_by, None))
            .guarded(
                add_to_set(table, muter, "muting", target, MAX_MUTES),
                Constraint::SilenceListFull,
            )
            .guarded(exists(muter), Constraint::UserMissing)
            .guarded(exists(target), Constraint::UserMissing);
        match table.transact(transaction).await {
            Ok(()) => Ok(SilenceChange::Changed),
            Err(StoreError::Conflict(Constraint::AlreadySilenced)) => Ok(SilenceChange::Unchanged),
            Err(StoreError::Conflict(Constraint::SilenceListFull)) => Ok(SilenceChange::ListFull),
            Err(StoreError::Conflict(Constraint::UserMissing)) => Ok(SilenceChange::UnknownUser),
            Err(other) => Err(other),
        }
    }

    /// `muter` stops muting `target` (idempotent; the target may be gone).
    pub async fn unmute(&self, muter: UserId, target: UserId) -> Result<SilenceChange, StoreError> {
        let mut transaction = self.undo(muter, target, Silence::Mute);
        transaction.always(self.table.delete(muted_by_key(target, muter), |d| d));
        self.run_undo(transaction).await
    }

    /// The owner's side of undoing a block or mute: the entry (which must
    /// exist) and the id out of the owner's set.
    fn undo(&self, owner: UserId, target: UserId, silence: Silence) -> Transaction {
        let mut transaction = Transaction::new(match silence {
            Silence::Block => "Unblock",
            Silence::Mute => "Unmute",
        });
        transaction
            .guarded(
                self.table.delete(entry_key(owner, target, silence), |d| {
                    d.condition_expression("attribute_exists(pk)")
                }),
                Constraint::NotSilenced,
            )
            .always(remove_from_set(
                &self.table,
                owner,
                set_name(silence),
                target,
            ));
        transaction
    }

    async fn run_undo(&self, transaction: Transaction) -> Result<SilenceChange, StoreError> {
        Self::undone(self.table.transact(transaction).await)
    }

    fn undone(outcome: Result<(), StoreError>) -> Result<SilenceChange, StoreError> {
        match outcome {
            Ok(()) => Ok(SilenceChange::Changed),
            Err(StoreError::Conflict(Constraint::NotSilenced)) => Ok(SilenceChange::Unchanged),
            Err(other) => Err(other),
        }
    }
}

/// The condition a follow puts on the follower's safety item and, with
/// the ids swapped, on the followed user's: it does not block the other
/// (`:other`, a number). A block writes both items, so either check
/// serialises the follow with it.
pub(crate) const NOT_BLOCKING: &str = "attribute_not_exists(pk) OR NOT contains(blocking, :other)";

/// Reads a safety item.
pub(crate) fn safety_of(item: &Item) -> Result<Safety, ItemError> {
    let set = |name: &str| -> Result<_, ItemError> {
        match item.get(name) {
            None => Ok(Default::default()),
            Some(AttributeValue::Ns(ids)) => ids
                .iter()
                .map(|id| {
                    id.parse()
                        .map(UserId::new)
                        .map_err(|_| ItemError(format!("{name} holds {id}, not a user id")))
                })
                .collect(),
            Some(_) => Err(ItemError(format!("{name} is not a number set"))),
        }
    };
    Ok(Safety {
        blocking: set("blocking")?,
        blocked_by: set("blocked_by")?,
        muting: set("muting")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_safety_item_reads_its_three_sets_and_refuses_anything_else() {
        let mut item = safety_key(UserId::new(1));
        item.insert(
            "blocking".into(),
            AttributeValue::Ns(vec!["2".into(), "3".into()]),
        );
        item.insert("muting".into(), one(UserId::new(4)));
        let safety = safety_of(&item).unwrap();
        assert_eq!(safety.blocking, [UserId::new(2), UserId::new(3)].into());
        assert!(safety.blocked_by.is_empty());
        assert_eq!(safety.muting, [UserId::new(4)].into());
        item.insert("blocked_by".into(), AttributeValue::S("5".into()));
        assert!(safety_of(&item).is_err());
    }
}
