//! Bounded Queries: windows of one item collection read after a cursor or
//! past a number of skipped items, and whole small collections.

use super::error::sdk_error;
use super::items::{self, Item};
use super::{Read, StoreError, Table};

/// The direction a Query reads its sort keys in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending: ids in the directory, followers when fanning out.
    OldestFirst,
    /// Descending: timelines, feeds, follow lists.
    NewestFirst,
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
    /// Which end of the sort key order to start from.
    pub order: Order,
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

    /// The first `limit` items of `window`, over as many pages as that
    /// takes (at most `limit` / 1,000 + 1 Queries), read eventually.
    pub async fn query_up_to(
        &self,
        window: &QueryWindow,
        limit: u64,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        while (found.len() as u64) < limit {
            let page = (limit - found.len() as u64).min(1000) as i32;
            let out = self
                .window_query(window, start.take(), page, Projection::All)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(found)
    }

    /// The first `limit` items of `window` (fewer if the Query stops at
    /// 1 MB), read strongly consistently: for work that must see every
    /// write committed before it started (an account's clean-up).
    pub async fn query_first(
        &self,
        window: &QueryWindow,
        limit: u32,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_first_read(window, limit, Read::Strong).await
    }

    /// [`Table::query_first`] read as `read` says.
    pub async fn query_first_read(
        &self,
        window: &QueryWindow,
        limit: u32,
        read: Read,
    ) -> Result<Vec<Item>, StoreError> {
        let out = self
            .window_query(window, None, limit as i32, Projection::All)
            .consistent_read(read == Read::Strong)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        Ok(out.items.unwrap_or_default())
    }

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
            .scan_index_forward(window.order == Order::OldestFirst)
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

    /// [`Table::query_window`], keeping of each item only the id in its
    /// number attribute `attribute` (a directory entry's `user_id`, a
    /// timeline entry's `post_id`).
    pub async fn query_window_ids(
        &self,
        window: QueryWindow,
        start: Option<Item>,
        skip: u64,
        limit: u32,
        attribute: &str,
    ) -> Result<Vec<u64>, StoreError> {
        let found = self.query_window(window, start, skip, limit).await?;
        Ok(found
            .iter()
            .map(|item| items::get_u64(item, attribute))
            .collect::<Result<_, _>>()?)
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
