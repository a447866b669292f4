//! Reports and the open queue.
//!
//! A report is `REPORT#<id> / REPORT`. While it is open, three more items
//! stand for it, written and deleted in the same transactions as it: its
//! queue entry `REPORTS#open / OPEN#<id, 20 digits>` (a copy, so the queue
//! is one Query, oldest first, since ids grow), the reporter's marker
//! `USER#<reporter> / REPORTED#<post|user>#<target id>` (a copy too: one
//! open report per reporter and target, found by one GetItem), and one each
//! in two counts, the target's (`REPORTS#<post|user>#<id> / COUNT`) and the
//! queue's (`REPORTS#open / COUNT`). Every report, open or closed, also
//! leaves an entry with its reporter (`USER#<reporter> / REPORT#<id>`), so
//! deleting the reporter's account finds and removes them all.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{
    get_s, get_u64, get_user_id, key, n, parse_timestamp, post_key, s, user_key, user_pk, Item,
    ItemError, SK, SUSPENDED_AT,
};
use super::{Constraint, Order, QueryWindow, Read, StoreError, Table, Transaction};
use crate::domain::{
    timestamp, Decision, ModerationAction, Reason, Report, ReportId, ReportStatus, ReportTarget,
    UserId,
};

/// The partition of the open queue and its count.
pub const QUEUE_PK: &str = "REPORTS#open";
/// The sort-key prefix of the queue's entries.
const QUEUE_PREFIX: &str = "OPEN#";
/// The sort key of a count item.
const COUNT_SK: &str = "COUNT";
/// The attribute of a count item.
const OPEN_COUNT: &str = "open_count";
/// The next report id.
pub const REPORT_COUNTER_PK: &str = "COUNTER#report_id";
/// The sort-key prefix of a reporter's entries of their reports.
pub const REPORTER_ENTRY_PREFIX: &str = "REPORT#";

/// The key of report `id`.
pub fn report_key(id: ReportId) -> Item {
    key(format!("REPORT#{id}"), "REPORT")
}

fn queue_key(id: ReportId) -> Item {
    key(QUEUE_PK, format!("{QUEUE_PREFIX}{:020}", id.get()))
}

fn queue_count_key() -> Item {
    key(QUEUE_PK, COUNT_SK)
}

fn target_count_key(target: ReportTarget) -> Item {
    key(
        format!("REPORTS#{}#{}", target.kind(), target.id()),
        COUNT_SK,
    )
}

fn marker_key(reporter: UserId, target: ReportTarget) -> Item {
    key(
        user_pk(reporter),
        format!("REPORTED#{}#{}", target.kind(), target.id()),
    )
}

fn reporter_entry_key(reporter: UserId, id: ReportId) -> Item {
    key(
        user_pk(reporter),
        format!("{REPORTER_ENTRY_PREFIX}{:020}", id.get()),
    )
}

/// A report about to be made: everything but its id.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Who reports.
    pub reporter: UserId,
    /// What.
    pub target: ReportTarget,
    /// The reported user, or the reported post's author.
    pub target_user: UserId,
    /// Why.
    pub reason: Reason,
    /// The reporter's words.
    pub comment: Option<String>,
}

/// What [`ReportStore::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// A new report.
    New(Report),
    /// The reporter's open report on the target, made before.
    Existing(Report),
    /// The target does not exist (any more), or is a suspended user or
    /// their post.
    NoTarget,
    /// The reporter's account was deleted meanwhile.
    NoReporter,
}

/// Store of reports.
#[derive(Debug, Clone)]
pub struct ReportStore {
    table: Table,
}

impl Report {
    fn to_item(&self, key: Item) -> Item {
        let mut item = key;
        item.insert("id".into(), n(self.id));
        item.insert("reporter_id".into(), n(self.reporter));
        item.insert("target_kind".into(), s(self.target.kind()));
        item.insert("target_id".into(), n(self.target.id()));
        item.insert("target_user_id".into(), n(self.target_user));
        item.insert("reason".into(), s(self.reason.as_str()));
        if let Some(comment) = &self.comment {
            item.insert("comment".into(), s(comment));
        }
        item.insert("created_at".into(), s(timestamp(self.created_at)));
        item.insert("status".into(), s(self.status.as_str()));
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Report, ItemError> {
        let bad =
            |name: &str, value: &str| ItemError(format!("attribute {name} is not valid: {value}"));
        let kind = get_s(item, "target_kind")?;
        let target = ReportTarget::from_parts(kind, get_u64(item, "target_id")?)
            .ok_or_else(|| bad("target_kind", kind))?;
        let reason = get_s(item, "reason")?;
        let status_text = get_s(item, "status")?;
        let status = ReportStatus::parse(status_text).ok_or_else(|| bad("status", status_text))?;
        let decision = match item.get("moderator_id") {
            None => None,
            Some(_) => {
                let action = get_s(item, "action")?;
                Some(Decision {
                    moderator: get_user_id(item, "moderator_id")?,
                    action: ModerationAction::parse(action).ok_or_else(|| bad("action", action))?,
                    note: optional_s(item, "note")?,
                    at: parse_timestamp(item, "closed_at")?,
                })
            }
        };
        Ok(Report {
            id: ReportId::new(get_u64(item, "id")?),
            reporter: get_user_id(item, "reporter_id")?,
            target,
            target_user: get_user_id(item, "target_user_id")?,
            reason: Reason::parse(reason).ok_or_else(|| bad("reason", reason))?,
            comment: optional_s(item, "comment")?,
            created_at: parse_timestamp(item, "created_at")?,
            status,
            decision,
        })
    }
}

fn optional_s(item: &Item, name: &str) -> Result<Option<String>, ItemError> {
    match item.get(name) {
        None => Ok(None),
        Some(_) => get_s(item, name).map(|v| Some(v.to_string())),
    }
}

fn count_change(
    table: &Table,
    key: Item,
    delta: i64,
) -> aws_sdk_dynamodb::types::TransactWriteItem {
    table.update(key, |u| {
        u.update_expression("ADD #count :delta")
            .expression_attribute_names("#count", OPEN_COUNT)
            .expression_attribute_values(":delta", n(delta))
    })
}

/// The writes that take open report `report` out of the queue, the
/// reporter's marker and both counts; for a transaction that also changes
/// or deletes the report itself.
pub(crate) fn close_writes(table: &Table, transaction: &mut Transaction, report: &Report) {
    transaction
        .always(table.delete(queue_key(report.id), |d| d))
        .always(table.delete(marker_key(report.reporter, report.target), |d| d))
        .always(count_change(table, target_count_key(report.target), -1))
        .always(count_change(table, queue_count_key(), -1));
}

impl ReportStore {
    /// A store over `table`.
    pub fn new(table: Table) -> Self {
        ReportStore { table }
    }

    /// The reporter's open report on `target`, if any (one strong GetItem
    /// of the marker, which is a copy of it).
    pub async fn open_of(
        &self,
        reporter: UserId,
        target: ReportTarget,
    ) -> Result<Option<Report>, StoreError> {
        match self
            .table
            .get(marker_key(reporter, target), Read::Strong)
            .await?
        {
            Some(item) => Ok(Some(Report::from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Files `new` as an open report made at `now`: the report id from its
    /// counter, then one transaction of the report, its queue entry, marker
    /// and reporter's entry, both counts, and checks that the target (and a
    /// post's author) exists and is not suspended, and that the reporter
    /// exists. A concurrent report of the same reporter on the
    /// same target makes this one [`Filed::Existing`].
    pub async fn create(&self, new: NewReport, now: DateTime<Utc>) -> Result<Filed, StoreError> {
        let id = ReportId::new(
            self.table
                .increment(key(REPORT_COUNTER_PK, "COUNTER"), "next_id", 1)
                .await?,
        );
        let report = Report {
            id,
            reporter: new.reporter,
            target: new.target,
            target_user: new.target_user,
            reason: new.reason,
            comment: new.comment,
            created_at: now,
            status: ReportStatus::Open,
            decision: None,
        };
        let exists = |d: aws_sdk_dynamodb::types::builders::ConditionCheckBuilder| {
            d.condition_expression("attribute_exists(pk)")
        };
        // A suspended user, or one whose account is gone, is no target: to
        // anyone but a moderator they do not exist.
        let shown = |d: aws_sdk_dynamodb::types::builders::ConditionCheckBuilder| {
            d.condition_expression(format!(
                "attribute_exists(pk) AND attribute_not_exists({SUSPENDED_AT})"
            ))
        };
        let mut reporter_entry = reporter_entry_key(report.reporter, id);
        reporter_entry.insert("report_id".into(), n(id));
        let mut transaction = Transaction::new("CreateReport");
        transaction
            .guarded(
                self.table.put(
                    report.to_item(report_key(id)),
                    Some("attribute_not_exists(pk)"),
                ),
                Constraint::IdInUse,
            )
            .always(self.table.put(report.to_item(queue_key(id)), None))
            .guarded(
                self.table.put(
                    report.to_item(marker_key(report.reporter, report.target)),
                    Some("attribute_not_exists(pk)"),
                ),
                Constraint::AlreadyReported,
            )
            .always(self.table.put(reporter_entry, None))
            .always(count_change(
                &self.table,
                target_count_key(report.target),
                1,
            ))
            .always(count_change(&self.table, queue_count_key(), 1))
            .guarded(
                self.table.check(user_key(report.target_user), shown),
                Constraint::ReportTargetMissing,
            )
            .guarded(
                self.table.check(user_key(report.reporter), exists),
                Constraint::UserMissing,
            );
        if let ReportTarget::Post(post) = report.target {
            transaction.guarded(
                self.table.check(post_key(post), exists),
                Constraint::ReportTargetMissing,
            );
        }
        match self.table.transact(transaction).await {
            Ok(()) => Ok(Filed::New(report)),
            Err(StoreError::Conflict(Constraint::AlreadyReported)) => {
                match self.open_of(report.reporter, report.target).await? {
                    Some(existing) => Ok(Filed::Existing(existing)),
                    // Closed between the two reads: this one was not made.
                    None => Err(StoreError::BUSY),
                }
            }
            Err(StoreError::Conflict(Constraint::ReportTargetMissing)) => Ok(Filed::NoTarget),
            Err(StoreError::Conflict(Constraint::UserMissing)) => Ok(Filed::NoReporter),
            Err(other) => Err(other),
        }
    }

    /// Report `id`, read as `read` says.
    pub async fn get(&self, id: ReportId, read: Read) -> Result<Option<Report>, StoreError> {
        match self.table.get(report_key(id), read).await? {
            Some(item) => Ok(Some(Report::from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// How many reports are open (one GetItem).
    pub async fn open_count(&self) -> Result<u64, StoreError> {
        count_of(self.table.get(queue_count_key(), Read::Eventual).await?)
    }

    /// A window of the open queue, oldest first: after report `after` (a
    /// cursor) or after skipping `skip`.
    pub async fn open_window(
        &self,
        after: Option<ReportId>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<Report>, StoreError> {
        let window = QueryWindow {
            index: None,
            partition: QUEUE_PK.to_string(),
            sort_attribute: SK,
            sort_prefix: Some(QUEUE_PREFIX),
            order: Order::OldestFirst,
        };
        let items = self
            .table
            .query_window(window, after.map(queue_key), skip, limit)
            .await?;
        Ok(items
            .iter()
            .map(Report::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// The oldest open report, if any (one Query of one item).
    pub async fn oldest_open(&self) -> Result<Option<Report>, StoreError> {
        Ok(self.open_window(None, 0, 1).await?.into_iter().next())
    }

    /// The open reports on each of `targets`, in their order.
    pub async fn open_counts(&self, targets: &[ReportTarget]) -> Result<Vec<u64>, StoreError> {
        let keys: Vec<Item> = targets.iter().map(|t| target_count_key(*t)).collect();
        let found = self.table.batch_get(keys.clone(), Read::Eventual).await?;
        keys.iter()
            .map(|wanted| {
                let item = found
                    .iter()
                    .find(|item| item.get("pk") == wanted.get("pk"))
                    .cloned();
                count_of(item)
            })
            .collect()
    }

    /// Deletes report `id` of `reporter` (their account is being deleted),
    /// with whatever stands for it while open, and the reporter's entry.
    /// Idempotent: a report already gone costs one read.
    pub async fn forget(&self, reporter: UserId, id: ReportId) -> Result<(), StoreError> {
        for _ in 0..3 {
            let Some(report) = self.get(id, Read::Strong).await? else {
                return self
                    .table
                    .delete_now(reporter_entry_key(reporter, id))
                    .await;
            };
            let mut transaction = Transaction::new("ForgetReport");
            transaction.guarded(
                self.table.delete(report_key(id), |d| {
                    d.condition_expression("#status = :status")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":status", s(report.status.as_str()))
                }),
                Constraint::ReportNotOpen,
            );
            if report.status == ReportStatus::Open {
                close_writes(&self.table, &mut transaction, &report);
            }
            transaction.always(self.table.delete(reporter_entry_key(reporter, id), |d| d));
            match self.table.transact(transaction).await {
                // Closed by a moderator between the read and the write.
                Err(StoreError::Conflict(Constraint::ReportNotOpen)) => continue,
                outcome => return outcome,
            }
        }
        Err(StoreError::BUSY)
    }
}

fn count_of(item: Option<Item>) -> Result<u64, StoreError> {
    match item {
        None => Ok(0),
        Some(item) => match item.get(OPEN_COUNT) {
            None => Ok(0),
            // A count is never below zero; a negative one would be a bug.
            Some(AttributeValue::N(raw)) => Ok(raw.parse::<i64>().unwrap_or(0).max(0) as u64),
            Some(_) => Err(ItemError(format!("{OPEN_COUNT} is not a number")).into()),
        },
    }
}
