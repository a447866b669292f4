//! DynamoDB access: one concrete store per entity over a shared [`Table`].
//!
//! Every access is a key lookup or a bounded Query; nothing Scans. Writes that
//! touch more than one item go through [`Table::transact`], so a failure never
//! leaves half of a change behind.

pub mod client;
pub mod error;
pub mod feed;
pub mod follows;
pub mod items;
pub mod posts;
pub mod schema;
pub mod tokens;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::{DeleteBuilder, PutBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use error::sdk_error;
pub use error::{Constraint, StoreError};
use items::{get_u64, Item};

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
const TRANSACTION_ATTEMPTS: u32 = 8;

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

    /// Reads `keys` with BatchGetItem, 100 keys a call, retrying unprocessed
    /// keys with backoff. Missing items are simply absent from the result;
    /// the order is not the keys' order.
    pub async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            found.extend(self.batch_get_100(chunk.to_vec()).await?);
        }
        Ok(found)
    }

    async fn batch_get_100(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "building BatchGetItem request");
                StoreError::Internal
            })?;
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let out = self
                .client
                .batch_get_item()
                .request_items(self.name(), pending.clone())
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", e))?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(self.name()).unwrap_or_default());
            }
            match out
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.name()))
                .filter(|k| !k.keys().is_empty())
            {
                None => return Ok(found),
                Some(rest) => {
                    pending = rest;
                    backoff(attempt).await;
                }
            }
        }
        tracing::error!("BatchGetItem left keys unprocessed after every retry");
        Err(StoreError::BUSY)
    }

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

    /// Puts `puts` and deletes `deletes` with BatchWriteItem, 25 requests a
    /// call, retrying unprocessed ones with backoff. Not atomic: for
    /// idempotent work only (a put of the same item, a delete of a key),
    /// which a retry of the whole call completes.
    pub async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Item>) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
        let requests: Vec<WriteRequest> = puts
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build();
                put.map(|p| WriteRequest::builder().put_request(p).build())
            })
            .chain(deletes.into_iter().map(|key| {
                let delete = DeleteRequest::builder().set_key(Some(key)).build();
                delete.map(|d| WriteRequest::builder().delete_request(d).build())
            }))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                tracing::error!(error = %e, "building BatchWriteItem request");
                StoreError::Internal
            })?;
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt == TRANSACTION_ATTEMPTS {
                    tracing::error!("BatchWriteItem left writes unprocessed after every retry");
                    return Err(StoreError::BUSY);
                }
                if attempt > 0 {
                    backoff(attempt - 1).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.name(), pending)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(self.name()))
                    .unwrap_or_default();
                attempt += 1;
            }
        }
        Ok(())
    }

    /// Every item of `window` (all pages), keeping only those whose
    /// attribute `filter.0` equals `filter.1` (DynamoDB still reads, and
    /// bills, the others). For bounded item collections only: a user's
    /// followers, a feed.
    pub async fn query_all(
        &self,
        window: &QueryWindow,
        filter: Option<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let mut query = self.window_query(window, start.take(), 1000, Projection::All);
            if let Some((attribute, value)) = &filter {
                query = query
                    .filter_expression("#filter = :filter")
                    .expression_attribute_names("#filter", *attribute)
                    .expression_attribute_values(":filter", value.clone());
            }
            let out = query.send().await.map_err(|e| sdk_error("Query", e))?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(found),
            }
        }
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
async fn backoff(attempt: u32) {
    use rand::Rng;
    let cap = backoff_cap(attempt);
    let wait = rand::thread_rng().gen_range(1..=cap);
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

/// What a windowed Query reads: one partition (of the table or an index),
/// optionally only sort keys with a prefix, in one direction.
#[derive(Debug, Clone)]
pub struct QueryWindow {
    /// The index to query, or the table.
    pub index: Option<&'static str>,
    /// The `pk` value.
    pub partition: String,
    /// The sort key attribute of the table or index.
    pub sort_attribute: &'static str,
    /// Only sort keys starting with this.
    pub sort_prefix: Option<&'static str>,
    /// Descending sort key order.
    pub newest_first: bool,
}

/// What a Query returns of each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Projection {
    /// Only the key, to skip past items cheaply.
    Keys,
    /// Every attribute.
    All,
}

/// Largest page a Query is asked for while skipping to a bare page number.
pub const SKIP_BATCH: u64 = 1000;

impl Table {
    fn window_query(
        &self,
        window: &QueryWindow,
        start: Option<Item>,
        limit: i32,
        projection: Projection,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let mut query = self
            .client
            .query()
            .table_name(self.name())
            .set_index_name(window.index.map(str::to_string))
            .expression_attribute_names("#pk", items::PK)
            .expression_attribute_values(":pk", items::s(&window.partition))
            .scan_index_forward(!window.newest_first)
            .set_exclusive_start_key(start)
            .limit(limit);
        query = match window.sort_prefix {
            Some(prefix) => query
                .key_condition_expression("#pk = :pk AND begins_with(#sort, :prefix)")
                .expression_attribute_names("#sort", window.sort_attribute)
                .expression_attribute_values(":prefix", items::s(prefix)),
            None => query.key_condition_expression("#pk = :pk"),
        };
        if projection == Projection::Keys {
            // The last evaluated key is all we need from skipped entries; a
            // projection keeps the read small (it still costs by item size).
            query = query.projection_expression("#pk");
        }
        query
    }

    /// Reads up to `limit` items of `window`, starting after the key `start`
    /// (a cursor) and then skipping `skip` items (a bare page number). A
    /// cursor costs O(limit) reads; a skip costs O(skip) small reads.
    pub async fn query_window(
        &self,
        window: QueryWindow,
        mut start: Option<Item>,
        mut skip: u64,
        limit: u32,
    ) -> Result<Vec<Item>, StoreError> {
        while skip > 0 {
            let out = self
                .window_query(
                    &window,
                    start.take(),
                    skip.min(SKIP_BATCH) as i32,
                    Projection::Keys,
                )
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            skip = skip.saturating_sub(out.count as u64);
            // No last evaluated key: the partition ended within the skip.
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(Vec::new()),
            }
        }
        let mut found = Vec::with_capacity(limit as usize);
        loop {
            let want = limit as usize - found.len();
            let out = self
                .window_query(&window, start.take(), want as i32, Projection::All)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            found.extend(out.items.unwrap_or_default());
            // A Query stops early at 1 MB; continue from where it stopped.
            match out.last_evaluated_key {
                Some(key) if found.len() < limit as usize => start = Some(key),
                _ => return Ok(found),
            }
        }
    }
}
