//! Where each stream worker got to, kept in the engine beside the data, so a
//! `microblog-local` restarted on the same file goes on from there instead of
//! handing every worker the whole stream again. Lambda's event source mapping
//! keeps its position the same way across deployments.
//!
//! The positions live in their own table (`<table>.stream-positions`, no
//! stream, so keeping them writes no stream record), one item a worker and
//! shard: the sequence number of the last record the worker finished.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

/// The positions of every worker of one table's stream.
#[derive(Clone)]
pub struct Checkpoints {
    client: Client,
    table: String,
}

impl Checkpoints {
    /// The positions kept for `table`'s stream, creating their table when
    /// missing.
    pub async fn open(client: &Client, table: &str) -> Result<Checkpoints, String> {
        let positions = format!("{table}.stream-positions");
        let exists = match client.describe_table().table_name(&positions).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => {
                return Err(format!(
                    "cannot describe the table {positions}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                ))
            }
        };
        if !exists {
            client
                .create_table()
                .table_name(&positions)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("pk")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("pk")
                        .key_type(KeyType::Hash)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "cannot create the table {positions}: {}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                    )
                })?;
        }
        Ok(Checkpoints {
            client: client.clone(),
            table: positions,
        })
    }

    /// The sequence number of the last record `worker` finished in `shard`.
    pub async fn get(&self, worker: &str, shard: &str) -> Result<Option<String>, String> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key(worker, shard)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot read the stream position of {worker}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
            })?;
        Ok(out
            .item
            .and_then(|item| item.get("sequence").cloned())
            .and_then(|value| value.as_s().ok().cloned()))
    }

    /// Records that `worker` finished `shard` up to `sequence`.
    pub async fn put(&self, worker: &str, shard: &str, sequence: &str) -> Result<(), String> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key(worker, shard)))
            .item("sequence", AttributeValue::S(sequence.to_string()))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot keep the stream position of {worker}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
            })?;
        Ok(())
    }
}

fn key(worker: &str, shard: &str) -> String {
    format!("{worker}#{shard}")
}
