//! Transactions: each conditional item names the [`Constraint`] its
//! condition enforces, contention is retried with backoff, and a failed
//! condition comes back as that constraint.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::{
    ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder,
};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

use super::error::sdk_error;
use super::items::Item;
use super::{backoff, Constraint, StoreError, Table, TRANSACTION_ATTEMPTS};

/// A TransactWriteItems being built. Each conditional item names the
/// [`Constraint`] its condition enforces, so a cancelled transaction is
/// reported by meaning, never by position.
#[derive(Debug, Clone)]
pub struct Transaction {
    operation: &'static str,
    items: Vec<TransactWriteItem>,
    guards: Vec<Option<Constraint>>,
}

impl Transaction {
    /// An empty transaction; `operation` names it in logs.
    pub fn new(operation: &'static str) -> Self {
        Transaction {
            operation,
            items: Vec::new(),
            guards: Vec::new(),
        }
    }

    /// Adds a write whose condition, when it fails, cancels the transaction
    /// with `guard`.
    pub fn guarded(&mut self, write: TransactWriteItem, guard: Constraint) -> &mut Self {
        self.items.push(write);
        self.guards.push(Some(guard));
        self
    }

    /// Adds a write without a condition.
    pub fn always(&mut self, write: TransactWriteItem) -> &mut Self {
        self.items.push(write);
        self.guards.push(None);
        self
    }

    /// The constraint of the first item whose condition failed.
    fn refused_by(&self, codes: &[Option<String>]) -> Option<Constraint> {
        codes
            .iter()
            .zip(&self.guards)
            .find(|(code, _)| code.as_deref() == Some("ConditionalCheckFailed"))
            .and_then(|(_, guard)| *guard)
    }
}

impl Table {
    /// A Put of `item` for a transaction, under `condition` if any.
    pub fn put(&self, item: Item, condition: Option<&str>) -> TransactWriteItem {
        self.put_with(item, |p| {
            p.set_condition_expression(condition.map(str::to_string))
        })
    }

    /// A Put of `item` for a transaction; `build` adds its condition.
    pub fn put_with(
        &self,
        item: Item,
        build: impl FnOnce(PutBuilder) -> PutBuilder,
    ) -> TransactWriteItem {
        let put = build(Put::builder().table_name(self.name()).set_item(Some(item)))
            .build()
            .expect("table and item are set");
        TransactWriteItem::builder().put(put).build()
    }

    /// A Delete of `key` for a transaction; `build` adds its condition.
    pub fn delete(
        &self,
        key: Item,
        build: impl FnOnce(DeleteBuilder) -> DeleteBuilder,
    ) -> TransactWriteItem {
        let delete = build(Delete::builder().table_name(self.name()).set_key(Some(key)))
            .build()
            .expect("table and key are set");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// An Update of `key` for a transaction; `build` adds the expressions.
    pub fn update(
        &self,
        key: Item,
        build: impl FnOnce(UpdateBuilder) -> UpdateBuilder,
    ) -> TransactWriteItem {
        let update = build(Update::builder().table_name(self.name()).set_key(Some(key)))
            .build()
            .expect("table, key and update expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// A ConditionCheck of `key` for a transaction (IAM's
    /// `ConditionCheckItem`); `build` adds the condition.
    pub fn check(
        &self,
        key: Item,
        build: impl FnOnce(ConditionCheckBuilder) -> ConditionCheckBuilder,
    ) -> TransactWriteItem {
        let check = build(
            ConditionCheck::builder()
                .table_name(self.name())
                .set_key(Some(key)),
        )
        .build()
        .expect("table, key and condition are set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// Runs a TransactWriteItems, retrying while it is cancelled only by
    /// contention (another transaction on the same items). A failed
    /// condition is [`StoreError::Conflict`] with the constraint of the
    /// first item that failed; nothing was written.
    pub async fn transact(&self, transaction: Transaction) -> Result<(), StoreError> {
        let operation = transaction.operation;
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction.items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let codes: Vec<Option<String>> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(t)) => t
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_string))
                    .collect(),
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    backoff(attempt).await;
                    continue;
                }
                _ => return Err(sdk_error(operation, err)),
            };
            if codes
                .iter()
                .any(|c| c.as_deref() == Some("ConditionalCheckFailed"))
            {
                return match transaction.refused_by(&codes) {
                    Some(constraint) => Err(StoreError::Conflict(constraint)),
                    None => {
                        tracing::error!(
                            operation,
                            ?codes,
                            "an unconditional item failed its condition"
                        );
                        Err(StoreError::Internal)
                    }
                };
            }
            let contended = codes.iter().any(|c| {
                matches!(
                    c.as_deref(),
                    Some(
                        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                    )
                )
            });
            if !contended {
                return Err(sdk_error(operation, err));
            }
            backoff(attempt).await;
        }
        tracing::warn!(operation, "transaction still contended after every retry");
        Err(StoreError::BUSY)
    }
}
