//! DynamoDB access: one concrete store per entity over a shared [`Table`].
//!
//! Every access is a key lookup or a bounded Query; nothing Scans. Writes that
//! touch more than one item go through [`Table::transact`], so a failure never
//! leaves half of a change behind.

pub mod follows;
pub mod items;
pub mod schema;
pub mod tokens;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use crate::error::ApiError;
use items::{get_u64, Item, ItemError};

/// A DynamoDB client bound to the one table.
#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: Arc<str>,
}

/// How a transaction ended when it did not commit: the cancellation reason
/// code of each item, in the order the items were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled(pub Vec<Option<String>>);

impl Cancelled {
    /// Whether item `index` failed its condition.
    pub fn failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|code| code.as_deref() == Some("ConditionalCheckFailed"))
    }
}

/// Attempts a contended transaction gets before the client is told to retry.
const TRANSACTION_ATTEMPTS: u32 = 8;

/// Logs an SDK failure with its full context and maps it to a 5xx: 503 when
/// DynamoDB throttled us (the client may retry), 500 otherwise.
pub fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let throttled = matches!(
        err.code(),
        Some(
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
        )
    );
    tracing::error!(operation, error = %DisplayErrorContext(&err), "DynamoDB call failed");
    if throttled {
        ApiError::Unavailable
    } else {
        ApiError::Internal
    }
}

/// Logs an item that failed to convert (a bug or a hand edit) and maps it to 500.
pub fn item_error(err: ItemError) -> ApiError {
    tracing::error!(error = %err, "stored item is malformed");
    ApiError::Internal
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
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One GetItem. `consistent` asks for a strongly consistent read, which
    /// costs twice as much: only read-modify-write paths ask for it.
    pub async fn get(&self, key: Item, consistent: bool) -> Result<Option<Item>, ApiError> {
        self.client
            .get_item()
            .table_name(self.name())
            .set_key(Some(key))
            .consistent_read(consistent)
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
    pub async fn get_confirming_miss(&self, key: Item) -> Result<Option<Item>, ApiError> {
        match self.get(key.clone(), false).await? {
            Some(item) => Ok(Some(item)),
            None => self.get(key, true).await,
        }
    }

    /// Reads `keys` with BatchGetItem (at most 100 keys, one page of a
    /// collection), retrying unprocessed keys with backoff. Missing items are
    /// simply absent from the result; the order is not the keys' order.
    pub async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, ApiError> {
        debug_assert!(keys.len() <= 100, "BatchGetItem takes at most 100 keys");
        let mut found = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "building BatchGetItem request");
                ApiError::Internal
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
        Err(ApiError::Unavailable)
    }

    /// Runs a TransactWriteItems, retrying while it is cancelled only by
    /// contention (another transaction on the same items). Returns
    /// `Ok(Err(Cancelled))` when a condition failed, for the caller to explain.
    pub async fn transact(
        &self,
        operation: &str,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Cancelled>, ApiError> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(err) => err,
            };
            let cancelled = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(t)) => Cancelled(
                    t.cancellation_reasons()
                        .iter()
                        .map(|r| r.code().map(str::to_string))
                        .collect(),
                ),
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    backoff(attempt).await;
                    continue;
                }
                _ => return Err(sdk_error(operation, err)),
            };
            if cancelled
                .0
                .iter()
                .any(|c| c.as_deref() == Some("ConditionalCheckFailed"))
            {
                return Ok(Err(cancelled));
            }
            let contended = cancelled.0.iter().any(|c| {
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
        Err(ApiError::Unavailable)
    }

    /// Atomically adds `delta` to the number attribute `attribute` of the item
    /// at `key` and returns the new value (the atomic counter).
    pub async fn increment(&self, key: Item, attribute: &str, delta: i64) -> Result<u64, ApiError> {
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
        get_u64(&attributes, attribute).map_err(item_error)
    }
}

/// Full-jitter exponential backoff: up to 10 ms, 20 ms, 40 ms ... 640 ms.
async fn backoff(attempt: u32) {
    use rand::Rng;
    let cap = 10u64 << attempt.min(6);
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

/// Largest page a Query is asked for while skipping to a bare page number.
pub const SKIP_BATCH: u64 = 1000;

impl Table {
    fn window_query(
        &self,
        window: &QueryWindow,
        start: Option<Item>,
        limit: i32,
        keys_only: bool,
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
        if keys_only {
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
    ) -> Result<Vec<Item>, ApiError> {
        while skip > 0 {
            let out = self
                .window_query(&window, start.take(), skip.min(SKIP_BATCH) as i32, true)
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
                .window_query(&window, start.take(), want as i32, false)
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
