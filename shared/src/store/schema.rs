//! The table definition, for the local server, the tests and the seed
//! command. template.yaml declares the same table for AWS; a test keeps the two
//! in step.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::error::sdk_error;
use super::items::{BY_TIME_INDEX, EDGE_ORDER, EXPIRES_AT, PK, SK};
use super::{StoreError, Table};

fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and key type are set")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

impl Table {
    /// Creates the table with its index, TTL and stream (new and old images,
    /// for the feed fan-out) unless it exists. Returns
    /// whether it was created.
    pub async fn create_if_missing(&self) -> Result<bool, StoreError> {
        let exists = self
            .client()
            .describe_table()
            .table_name(self.name())
            .send()
            .await;
        match exists {
            Ok(_) => return Ok(false),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(err) => return Err(sdk_error("DescribeTable", err)),
        }
        let index = LocalSecondaryIndex::builder()
            .index_name(BY_TIME_INDEX)
            .key_schema(key_element(PK, KeyType::Hash))
            .key_schema(key_element(EDGE_ORDER, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .expect("index name, keys and projection are set");
        self.client()
            .create_table()
            .table_name(self.name())
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attribute(PK))
            .attribute_definitions(string_attribute(SK))
            .attribute_definitions(string_attribute(EDGE_ORDER))
            .key_schema(key_element(PK, KeyType::Hash))
            .key_schema(key_element(SK, KeyType::Range))
            .local_secondary_indexes(index)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .expect("the flag is set"),
            )
            .send()
            .await
            .map_err(|e| sdk_error("CreateTable", e))?;
        self.client()
            .update_time_to_live()
            .table_name(self.name())
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(EXPIRES_AT)
                    .build()
                    .expect("attribute and flag are set"),
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(true)
    }
}
