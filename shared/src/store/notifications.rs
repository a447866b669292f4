//! Notification inboxes, in the recipient's partition:
//!
//! - `USER#<id> / NOTIFS`: the inbox's id counter (`next_id`) and read
//!   marker (`read_up_to`);
//! - `USER#<id> / NOTIF#<id, 20 digits>`: one notification, newest last in
//!   key order, so a page is one Query read backwards;
//! - `USER#<id> / NOTIFIED#<kind>#<actor>#<post or 0>#<cause µs>`: the
//!   claim of one cause, naming its notification. Written in the same
//!   transaction as the notification and conditioned on not existing, it
//!   makes a redelivered stream record notify nothing; undoing the cause
//!   finds the notification through it.
//!
//! Only the `notify` worker writes notifications; requests read them and
//! move the read marker. All three kinds of item expire together (TTL).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::error::sdk_error;
use super::items::{
    edge_sk, get_count, get_s, get_u64, get_user_id, key, n, parse_timestamp, post_key, s,
    user_key, user_pk, Item, ItemError, EXPIRES_AT, SK,
};
use super::likes::like_key;
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{timestamp, Cause, EdgeKind, Notification, NotificationKind, PostId, UserId};

/// Sort key of an inbox's counter and read marker.
pub const INBOX: &str = "NOTIFS";
/// Prefix of the sort keys of notifications.
pub const NOTIFICATION_PREFIX: &str = "NOTIF#";
/// Prefix of the sort keys of claims.
pub const CLAIM_PREFIX: &str = "NOTIFIED#";
/// What the sort keys of every inbox item start with: an account's
/// clean-up deletes them by it.
pub const INBOX_ITEMS_PREFIX: &str = "NOTIF";

fn inbox_key(user: UserId) -> Item {
    key(user_pk(user), INBOX)
}

fn notification_key(user: UserId, id: u64) -> Item {
    key(user_pk(user), format!("{NOTIFICATION_PREFIX}{id:020}"))
}

fn claim_key(cause: &Cause) -> Item {
    key(
        user_pk(cause.recipient),
        format!(
            "{CLAIM_PREFIX}{}#{}#{}#{}",
            cause.kind.as_str(),
            cause.actor,
            cause.post.map_or(0, PostId::get),
            cause.at_micros
        ),
    )
}

/// An inbox's counter and read marker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inbox {
    /// The id of the newest notification it was ever given (0: none).
    pub last_id: u64,
    /// Every notification with an id up to this one is read.
    pub read_up_to: u64,
}

/// What marking an inbox read did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    /// The marker moved.
    Moved,
    /// It was at or past that notification already.
    Unchanged,
    /// No notification of this inbox has that id, or ever had.
    NoSuchNotification,
}

/// Store of notifications.
#[derive(Debug, Clone)]
pub struct NotificationStore {
    table: Table,
    ttl_days: u32,
}

impl NotificationStore {
    /// A store over `table` whose notifications last `ttl_days`.
    pub fn new(table: Table, ttl_days: u32) -> Self {
        NotificationStore {
            table,
            ttl_days: ttl_days.max(1),
        }
    }

    /// Puts the notification of `cause` in its recipient's inbox, unless
    /// it is there already (a redelivered record), its cause is gone since
    /// (an unlike, an unfollow or a deletion that its own record will
    /// undo, or already did), or the recipient is. One UpdateItem takes the
    /// next id; one transaction puts the claim and the notification and
    /// checks the cause and the recipient. Returns the notification when it
    /// was written.
    pub async fn notify(
        &self,
        cause: Cause,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError> {
        let expires = (now + chrono::Duration::days(i64::from(self.ttl_days))).timestamp();
        let id = self.next_id(cause.recipient, expires).await?;
        let notification = Notification {
            id,
            kind: cause.kind,
            actor: cause.actor,
            post: cause.post,
            created_at,
        };
        let mut item = notification_key(cause.recipient, id);
        item.insert("id".into(), n(id));
        item.insert("kind".into(), s(cause.kind.as_str()));
        item.insert("actor_id".into(), n(cause.actor));
        if let Some(post) = cause.post {
            item.insert("post_id".into(), n(post));
        }
        item.insert("created_at".into(), s(timestamp(created_at)));
        item.insert(EXPIRES_AT.into(), n(expires));
        let mut claim = claim_key(&cause);
        claim.insert("notification_id".into(), n(id));
        claim.insert(EXPIRES_AT.into(), n(expires));
        let mut transaction = Transaction::new("Notify");
        transaction
            .guarded(
                self.table.put(claim, Some("attribute_not_exists(pk)")),
                Constraint::AlreadyNotified,
            )
            .always(self.table.put(item, None))
            .guarded(self.cause_check(&cause), Constraint::CauseGone)
            .guarded(
                self.table.check(user_key(cause.recipient), |c| {
                    c.condition_expression("attribute_exists(pk)")
                }),
                Constraint::UserMissing,
            );
        match self.table.transact(transaction).await {
            Ok(()) => Ok(Some(notification)),
            Err(StoreError::Conflict(
                Constraint::AlreadyNotified | Constraint::CauseGone | Constraint::UserMissing,
            )) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The next id of `recipient`'s inbox (`ADD next_id 1`), whose counter
    /// then lives as long as the notification it numbers: a counter written
    /// for a recipient deleted meanwhile (whose notification the
    /// transaction then refuses) expires like the rest of the inbox.
    async fn next_id(&self, recipient: UserId, expires: i64) -> Result<u64, StoreError> {
        let out = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(inbox_key(recipient)))
            .update_expression("ADD next_id :one SET expires_at = :expires")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(expires))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(get_u64(&out.attributes.unwrap_or_default(), "next_id")?)
    }

    /// The check that `cause` still stands: the same like, the same follow
    /// (by their times), the post.
    fn cause_check(&self, cause: &Cause) -> aws_sdk_dynamodb::types::TransactWriteItem {
        let at = n(cause.at_micros);
        match (cause.kind, cause.post) {
            (NotificationKind::Like, Some(post)) => {
                self.table.check(like_key(post, cause.actor), |c| {
                    c.condition_expression("liked_at = :at")
                        .expression_attribute_values(":at", at)
                })
            }
            (NotificationKind::Follow, _) => self.table.check(
                key(
                    user_pk(cause.actor),
                    edge_sk(EdgeKind::Following, cause.recipient),
                ),
                |c| {
                    c.condition_expression("followed_at = :at")
                        .expression_attribute_values(":at", at)
                },
            ),
            (_, post) => self
                .table
                .check(post_key(post.unwrap_or(PostId::new(0))), |c| {
                    c.condition_expression("attribute_exists(pk)")
                }),
        }
    }

    /// Takes back the notification of `cause`, if it was written: its claim
    /// (read strongly) names it, and both go in one transaction.
    pub async fn withdraw(&self, cause: Cause) -> Result<(), StoreError> {
        let Some(claim) = self.table.get(claim_key(&cause), Read::Strong).await? else {
            return Ok(());
        };
        let id = get_u64(&claim, "notification_id")?;
        let mut transaction = Transaction::new("Withdraw");
        transaction
            .always(
                self.table
                    .delete(notification_key(cause.recipient, id), |d| d),
            )
            .always(self.table.delete(claim_key(&cause), |d| d));
        self.table.transact(transaction).await
    }

    /// `user`'s inbox counter and read marker (strongly consistent).
    pub async fn inbox(&self, user: UserId) -> Result<Inbox, StoreError> {
        let Some(item) = self.table.get(inbox_key(user), Read::Strong).await? else {
            return Ok(Inbox::default());
        };
        Ok(Inbox {
            last_id: get_count(&item, "next_id")?,
            read_up_to: get_count(&item, "read_up_to")?,
        })
    }

    /// A window of `user`'s notifications, newest first: after the one
    /// with id `after` (a cursor) or after skipping `skip`. Expired ones
    /// (TTL deletes late) are included: the caller leaves them out.
    pub async fn window(
        &self,
        user: UserId,
        after: Option<u64>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<(Notification, u64)>, StoreError> {
        let found = self
            .table
            .query_window(
                QueryWindow {
                    index: None,
                    partition: user_pk(user),
                    sort_attribute: SK,
                    sort_prefix: Some(NOTIFICATION_PREFIX),
                    order: Order::NewestFirst,
                },
                after.map(|id| notification_key(user, id)),
                skip,
                limit,
            )
            .await?;
        found
            .iter()
            .map(|item| Ok((notification_of(item)?, get_u64(item, EXPIRES_AT)?)))
            .collect()
    }

    /// The actors of up to `limit` of `user`'s notifications newer than
    /// `read_up_to` that have not expired at `now`, and whether there are
    /// more: one Query of keys and actors only.
    pub async fn unread(
        &self,
        user: UserId,
        read_up_to: u64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(Vec<UserId>, bool), StoreError> {
        let out = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .filter_expression("expires_at >= :now")
            .projection_expression("actor_id")
            .expression_attribute_values(":pk", s(user_pk(user)))
            .expression_attribute_values(
                ":from",
                s(format!(
                    "{NOTIFICATION_PREFIX}{:020}",
                    read_up_to.saturating_add(1)
                )),
            )
            .expression_attribute_values(":to", s(format!("{NOTIFICATION_PREFIX}~")))
            .expression_attribute_values(":now", n(now.timestamp()))
            .scan_index_forward(false)
            .limit(limit as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let actors = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| get_user_id(item, "actor_id"))
            .collect::<Result<Vec<_>, ItemError>>()?;
        Ok((actors, out.last_evaluated_key.is_some()))
    }

    /// Marks `user`'s notifications up to `up_to` read: one conditional
    /// UpdateItem (the marker never moves back, and never past the newest
    /// notification the inbox was given).
    pub async fn mark_read(&self, user: UserId, up_to: u64) -> Result<Marked, StoreError> {
        let moved = self
            .table
            .update_guarded(inbox_key(user), Constraint::NotificationMissing, |u| {
                u.update_expression("SET read_up_to = :id")
                    .condition_expression(
                        "next_id >= :id AND (attribute_not_exists(read_up_to) OR read_up_to < :id)",
                    )
                    .expression_attribute_values(":id", n(up_to))
            })
            .await;
        match moved {
            Ok(()) => Ok(Marked::Moved),
            Err(StoreError::Conflict(Constraint::NotificationMissing)) => {
                let inbox = self.inbox(user).await?;
                Ok(match inbox.last_id >= up_to {
                    true => Marked::Unchanged,
                    false => Marked::NoSuchNotification,
                })
            }
            Err(e) => Err(e),
        }
    }
}

fn notification_of(item: &Item) -> Result<Notification, ItemError> {
    let kind = get_s(item, "kind")?;
    Ok(Notification {
        id: get_u64(item, "id")?,
        kind: NotificationKind::parse(kind)
            .ok_or_else(|| ItemError(format!("unknown notification kind {kind}")))?,
        actor: get_user_id(item, "actor_id")?,
        post: match item.get("post_id") {
            Some(AttributeValue::N(_)) => Some(PostId::new(get_u64(item, "post_id")?)),
            _ => None,
        },
        created_at: parse_timestamp(item, "created_at")?,
    })
}
