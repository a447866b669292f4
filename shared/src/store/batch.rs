//! Batch reads and writes, 100 keys or 25 writes a call, retrying what
//! DynamoDB leaves unprocessed.

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::error::sdk_error;
use super::items::Item;
use super::{backoff, Read, StoreError, Table, TRANSACTION_ATTEMPTS};

impl Table {
    /// Reads `keys` with BatchGetItem, 100 keys a call, retrying unprocessed
    /// keys with backoff. Missing items are simply absent from the result;
    /// the order is not the keys' order.
    pub async fn batch_get(&self, keys: Vec<Item>, read: Read) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            found.extend(self.batch_get_100(chunk.to_vec(), read).await?);
        }
        Ok(found)
    }

    async fn batch_get_100(&self, keys: Vec<Item>, read: Read) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut pending = keys_and_attributes(keys, read)?;
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let out = self
                .client
                .batch_get_item()
                .request_items(self.name(), pending)
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
                    // Asked again as strongly as at first, whatever the
                    // answer's copy of the request says.
                    pending = keys_and_attributes(rest.keys, read)?;
                    backoff(attempt).await;
                }
            }
        }
        tracing::error!("BatchGetItem left keys unprocessed after every retry");
        Err(StoreError::BUSY)
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
}

/// The keys of one BatchGetItem table entry, read as `read` says.
fn keys_and_attributes(keys: Vec<Item>, read: Read) -> Result<KeysAndAttributes, StoreError> {
    KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .consistent_read(read == Read::Strong)
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "building BatchGetItem request");
            StoreError::Internal
        })
}
