//! Moderators' acts, each one transaction with its audit record: closing a
//! report (and removing the post or suspending the user), lifting a
//! suspension, and an operator granting or revoking the moderator role.
//!
//! A moderator is a profile with `moderator = true`; a suspended user a
//! profile with `suspended_at`, whose session epoch the suspension raised
//! (every token and session of theirs dies at once). Audit records are
//! `AUDIT#<yyyy-mm-dd> / <µs, 20 digits>#<actor>#<subject>`, one partition a
//! day, kept forever: `actor`, `act`, `at`, and what it concerned
//! (`report_id`, `user_id`, `post_id`, `taken`, `note`).

use chrono::{DateTime, Utc};

use super::items::{key, n, s, user_key, Item, MODERATOR, SESSION_EPOCH, SUSPENDED_AT};
use super::posts::delete_writes;
use super::reports::{close_writes, report_key};
use super::{Constraint, StoreError, Table, Transaction};
use crate::domain::{
    timestamp, Decision, ModerationAction, Post, Report, ReportStatus, ReportTarget, Resolution,
    UserId,
};

/// The partition-key prefix of audit records.
pub const AUDIT_PREFIX: &str = "AUDIT#";

/// Who did something a record keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A moderator, through the API.
    Moderator(UserId),
    /// An operator, with the table's credentials (`microblog-local
    /// grant-moderator`).
    Operator,
}

impl Actor {
    fn name(self) -> String {
        match self {
            Actor::Moderator(id) => format!("moderator#{id}"),
            Actor::Operator => "operator".to_string(),
        }
    }
}

/// One audit record: who did what, when, to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Who.
    pub actor: Actor,
    /// What: `resolved`, `dismissed`, `unsuspended`, `granted_moderator`,
    /// `revoked_moderator`.
    pub act: &'static str,
    /// When.
    pub at: DateTime<Utc>,
    /// The report closed, if any.
    pub report: Option<Report>,
    /// The user concerned.
    pub user: Option<UserId>,
    /// The moderator's note.
    pub note: Option<String>,
}

impl AuditRecord {
    fn to_item(&self) -> Item {
        let micros = self.at.timestamp_micros().max(0);
        let subject = match (&self.report, self.user) {
            (Some(report), _) => format!("report#{}", report.id),
            (None, Some(user)) => format!("user#{user}"),
            (None, None) => "none".to_string(),
        };
        let mut item = key(
            format!("{AUDIT_PREFIX}{}", self.at.format("%Y-%m-%d")),
            format!("{micros:020}#{}#{subject}", self.actor.name()),
        );
        item.insert("actor".into(), s(self.actor.name()));
        item.insert("act".into(), s(self.act));
        item.insert("at".into(), s(timestamp(self.at)));
        if let Some(report) = &self.report {
            item.insert("report_id".into(), n(report.id));
            item.insert("target_kind".into(), s(report.target.kind()));
            item.insert("target_id".into(), n(report.target.id()));
            if let Some(decision) = &report.decision {
                item.insert("taken".into(), s(decision.action.as_str()));
            }
        }
        if let Some(user) = self.user {
            item.insert("user_id".into(), n(user));
        }
        if let Some(note) = &self.note {
            item.insert("note".into(), s(note));
        }
        item
    }
}

/// Store of moderators' acts.
#[derive(Debug, Clone)]
pub struct ModerationStore {
    table: Table,
}

impl ModerationStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        ModerationStore { table }
    }

    /// Closes open `report` as `resolution` says, by `moderator` at `now`,
    /// in one transaction with its audit record and the action: for
    /// `remove_post`, `post` (the reported post, as read) deleted as its
    /// author's delete would; for `suspend_user`, the report's user
    /// suspended and their sessions ended. [`Constraint::ReportNotOpen`] if
    /// another moderator closed it first, `PostToRemoveMissing` or
    /// `UserToSuspendMissing` if what the action needs is gone; nothing is
    /// written then.
    pub async fn resolve(
        &self,
        report: &Report,
        resolution: &Resolution,
        moderator: UserId,
        post: Option<&Post>,
        now: DateTime<Utc>,
    ) -> Result<Report, StoreError> {
        let note = resolution.note.as_ref().map(|n| n.as_str().to_string());
        let closed = Report {
            status: resolution.status,
            decision: Some(Decision {
                moderator,
                action: resolution.action,
                note: note.clone(),
                at: now,
            }),
            ..report.clone()
        };
        let mut transaction = Transaction::new("ResolveReport");
        transaction.guarded(
            self.table.update(report_key(report.id), |u| {
                let u = u
                    .condition_expression("#status = :open")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_names("#action", "action")
                    .expression_attribute_values(":open", s(ReportStatus::Open.as_str()))
                    .expression_attribute_values(":status", s(resolution.status.as_str()))
                    .expression_attribute_values(":moderator", n(moderator))
                    .expression_attribute_values(":action", s(resolution.action.as_str()))
                    .expression_attribute_values(":at", s(timestamp(now)));
                let set = "SET #status = :status, moderator_id = :moderator, \
                           #action = :action, closed_at = :at";
                match &note {
                    Some(note) => u
                        .update_expression(format!("{set}, note = :note"))
                        .expression_attribute_values(":note", s(note)),
                    None => u.update_expression(set),
                }
            }),
            Constraint::ReportNotOpen,
        );
        close_writes(&self.table, &mut transaction, report);
        transaction.always(
            self.table.put(
                AuditRecord {
                    actor: Actor::Moderator(moderator),
                    act: resolution.status.as_str(),
                    at: now,
                    report: Some(closed.clone()),
                    user: Some(report.target_user),
                    note,
                }
                .to_item(),
                None,
            ),
        );
        match resolution.action {
            ModerationAction::None => {}
            ModerationAction::RemovePost => match (post, report.target) {
                (Some(post), ReportTarget::Post(id)) if post.id == id => delete_writes(
                    &self.table,
                    &mut transaction,
                    post,
                    Constraint::PostToRemoveMissing,
                ),
                _ => return Err(StoreError::Conflict(Constraint::PostToRemoveMissing)),
            },
            ModerationAction::SuspendUser => {
                transaction.guarded(
                    self.table.update(user_key(report.target_user), |u| {
                        u.update_expression(format!(
                            "SET {SUSPENDED_AT} = if_not_exists({SUSPENDED_AT}, :at) \
                             ADD {SESSION_EPOCH} :one"
                        ))
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":at", s(timestamp(now)))
                        .expression_attribute_values(":one", n(1))
                    }),
                    Constraint::UserToSuspendMissing,
                );
            }
        }
        self.table.transact(transaction).await.map(|()| closed)
    }

    /// Lifts `user`'s suspension, by `moderator` at `now`, with its audit
    /// record. [`Constraint::NotSuspended`] if the user is not suspended (or
    /// is gone). Their sessions stay ended: they log in again.
    pub async fn unsuspend(
        &self,
        user: UserId,
        moderator: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("Unsuspend");
        transaction
            .guarded(
                self.table.update(user_key(user), |u| {
                    u.update_expression(format!("REMOVE {SUSPENDED_AT}"))
                        .condition_expression(format!("attribute_exists({SUSPENDED_AT})"))
                }),
                Constraint::NotSuspended,
            )
            .always(self.audit_of_user(Actor::Moderator(moderator), "unsuspended", user, now));
        self.table.transact(transaction).await
    }

    /// Makes `user` a moderator (`on`) or not, by an operator at `now`,
    /// with its audit record. [`Constraint::UserMissing`] if no such user.
    pub async fn set_moderator(
        &self,
        user: UserId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::new("SetModerator");
        transaction
            .guarded(
                self.table.update(user_key(user), |u| {
                    let u = u.condition_expression("attribute_exists(pk)");
                    if on {
                        u.update_expression(format!("SET {MODERATOR} = :yes"))
                            .expression_attribute_values(
                                ":yes",
                                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
                            )
                    } else {
                        u.update_expression(format!("REMOVE {MODERATOR}"))
                    }
                }),
                Constraint::UserMissing,
            )
            .always(self.audit_of_user(
                Actor::Operator,
                if on {
                    "granted_moderator"
                } else {
                    "revoked_moderator"
                },
                user,
                now,
            ));
        self.table.transact(transaction).await
    }

    /// The put of the audit record of `act` by `actor` on `user` alone (no
    /// report, no note).
    fn audit_of_user(
        &self,
        actor: Actor,
        act: &'static str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> aws_sdk_dynamodb::types::TransactWriteItem {
        let record = AuditRecord {
            actor,
            act,
            at,
            report: None,
            user: Some(user),
            note: None,
        };
        self.table.put(record.to_item(), None)
    }
}
