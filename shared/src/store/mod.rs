//! DynamoDB access: one concrete store per entity over a shared [`Table`].
//!
//! Every access is a key lookup or a bounded Query; nothing Scans. Writes that
//! touch more than one item go through [`Table::transact`], so a failure never
//! leaves half of a change behind.

mod batch;
pub mod client;
pub mod devices;
pub mod error;
pub mod feed;
pub mod follows;
pub mod items;
pub mod likes;
pub mod limits;
pub mod mail;
pub mod moderation;
pub mod notifications;
pub mod posts;
pub mod purge;
mod query;
pub mod reports;
pub mod safety;
pub mod schema;
pub mod sessions;
pub mod tokens;
mod transaction;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;

use error::sdk_error;
pub use error::{Constraint, StoreError};
use items::{get_u64, ById, Item};
pub use query::{Order, QueryWindow, SKIP_BATCH};
pub use transaction::Transaction;

/// A DynamoDB client bound to the one table.
#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: Arc<str>,
}

/// How a read sees recent writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Eventually consistent: half the price, may miss a write made less
    /// than a second ago.
    Eventual,
    /// Strongly consistent: sees every committed write; for reads whose
    /// answer must be current (read-modify-write, uniqueness).
    Strong,
}

/// Attempts a contended transaction gets before the client is told to retry.
pub(crate) const TRANSACTION_ATTEMPTS: u32 = 8;

impl Table {
    /// Binds `client` to the table called `name`.
    pub fn new(client: Client, name: impl Into<Arc<str>>) -> Self {
        Table {
            client,
            name: name.into(),
        }
    }

    /// The SDK client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One GetItem.
    pub async fn get(&self, key: Item, read: Read) -> Result<Option<Item>, StoreError> {
        self.client
            .get_item()
            .table_name(self.name())
            .set_key(Some(key))
            .consistent_read(read == Read::Strong)
            .send()
            .await
            .map(|out| out.item)
            .map_err(|e| sdk_error("GetItem", e))
    }

    /// The item of kind `T` with `id`. [`Read::Eventual`] confirms a miss
    /// with a strong read (see [`Table::get_confirming_miss`]).
    pub(crate) async fn get_by_id<T: ById>(
        &self,
        id: T::Id,
        read: Read,
    ) -> Result<Option<T>, StoreError> {
        let item = match read {
            Read::Strong => self.get(T::key_of(id), Read::Strong).await?,
            Read::Eventual => self.get_confirming_miss(T::key_of(id)).await?,
        };
        Ok(item.map(|item| T::from_item(&item)).transpose()?)
    }

    /// The items of kind `T` with `ids` (BatchGetItem), in the order of
    /// `ids`; ids with no item are skipped.
    pub(crate) async fn get_many_by_id<T: ById>(
        &self,
        ids: &[T::Id],
    ) -> Result<Vec<T>, StoreError> {
        let found = self
            .batch_get(
                ids.iter().map(|id| T::key_of(*id)).collect(),
                Read::Eventual,
            )
            .await?;
        let mut items = found
            .iter()
            .map(T::from_item)
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|item| ids.iter().position(|id| *id == item.id()));
        Ok(items)
    }

    /// An eventually consistent GetItem that, when it finds nothing, asks
    /// again with a strongly consistent read before answering "absent": a
    /// write made less than a second ago (a new token, a new user, a follow)
    /// is then never reported missing, while the common hit stays at half
    /// the price.
    pub async fn get_confirming_miss(&self, key: Item) -> Result<Option<Item>, StoreError> {
        match self.get(key.clone(), Read::Eventual).await? {
            Some(item) => Ok(Some(item)),
            None => self.get(key, Read::Strong).await,
        }
    }

    /// One conditional UpdateItem of `key` (half the price of a one-item
    /// transaction); `build` adds the expressions, and a failed condition
    /// is [`StoreError::Conflict`] with `guard`.
    pub async fn update_guarded(
        &self,
        key: Item,
        guard: Constraint,
        build: impl FnOnce(
            aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(self.name())
            .set_key(Some(key));
        match build(request).send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Conflict(guard))
            }
            Err(err) => Err(sdk_error("UpdateItem", err)),
        }
    }

    /// One PutItem of `item` under `condition` (half the price of a
    /// one-item transaction); a failed condition is
    /// [`StoreError::Conflict`] with `guard`.
    pub async fn put_guarded(
        &self,
        item: Item,
        guard: Constraint,
        condition: &str,
    ) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(self.name())
            .set_item(Some(item))
            .condition_expression(condition)
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Conflict(guard))
            }
            Err(err) => Err(sdk_error("PutItem", err)),
        }
    }

    /// Atomically adds `delta` to the number attribute `attribute` of the item
    /// at `key` and returns the new value (the atomic counter).
    pub async fn increment(
        &self,
        key: Item,
        attribute: &str,
        delta: i64,
    ) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(self.name())
            .set_key(Some(key))
            .update_expression("ADD #a :d")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":d", items::n(delta))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        let attributes = out.attributes.unwrap_or_default();
        Ok(get_u64(&attributes, attribute)?)
    }

    /// Puts `item`, replacing any item with its key (one PutItem).
    pub async fn put_now(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.name())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    /// Deletes the item at `key`, if any.
    pub async fn delete_now(&self, key: Item) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.name())
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}

/// The longest a contended transaction waits in backoff before its 503:
/// the sum of every [`backoff`] cap (1.91 s).
pub fn longest_contention_backoff() -> Duration {
    (0..TRANSACTION_ATTEMPTS)
        .map(|attempt| Duration::from_millis(backoff_cap(attempt)))
        .sum()
}

fn backoff_cap(attempt: u32) -> u64 {
    10u64 << attempt.min(6)
}

/// Full-jitter exponential backoff: up to 10 ms, 20 ms, 40 ms ... 640 ms.
pub(crate) async fn backoff(attempt: u32) {
    use rand::Rng;
    let cap = backoff_cap(attempt);
    let wait = rand::thread_rng().gen_range(1..=cap);
    tokio::time::sleep(Duration::from_millis(wait)).await;
}
