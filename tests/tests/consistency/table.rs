//! The table template.yaml creates is the one the stores use and the local
//! server creates, with the same stream.

use std::collections::BTreeMap;

use microblog_local::engine::Engine;
use microblog_shared::store::items::{BY_TIME_INDEX, EDGE_ORDER, EXPIRES_AT, PK, SK};
use microblog_shared::{App, Config};
use microblog_tests::template::{reference, Template};
use serde_json::{json, Value};

fn key_schema(elements: &[(&str, &str)]) -> Value {
    Value::Array(
        elements
            .iter()
            .map(|(name, kind)| json!({ "AttributeName": name, "KeyType": kind }))
            .collect(),
    )
}

#[test]
fn the_table_has_the_keys_index_and_ttl_the_stores_use() {
    let template = Template::load();
    let table = template.resource("Table");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(p["KeySchema"], key_schema(&[(PK, "HASH"), (SK, "RANGE")]));
    let attributes: BTreeMap<String, String> = p["AttributeDefinitions"]
        .as_array()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().into(),
                a["AttributeType"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = [PK, SK, EDGE_ORDER]
        .iter()
        .map(|n| (n.to_string(), "S".to_string()))
        .collect();
    assert_eq!(
        attributes, expected,
        "exactly the key attributes, all strings"
    );
    assert_eq!(
        p["LocalSecondaryIndexes"],
        json!([{
            "IndexName": BY_TIME_INDEX,
            "KeySchema": key_schema(&[(PK, "HASH"), (EDGE_ORDER, "RANGE")]),
            "Projection": { "ProjectionType": "ALL" },
        }])
    );
    assert!(p.get("GlobalSecondaryIndexes").is_none());
    assert_eq!(
        p["TimeToLiveSpecification"],
        json!({ "AttributeName": EXPIRES_AT, "Enabled": true })
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(
        p["StreamSpecification"],
        json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" }),
        "the fan-out reads posts and follows, added and removed, from the stream"
    );
    assert_eq!(
        p["DeletionProtectionEnabled"],
        reference("TableDeletionProtection")
    );
}

/// The same table as `App::create_table_if_missing` (the local server's and
/// the tests' table) creates, read back from a local engine.
#[tokio::test]
async fn the_table_is_the_one_the_local_server_creates() {
    let template = Template::load();
    let p = &template.resource("Table")["Properties"];
    let engine = Engine::memory().await.expect("engine starts");
    let config = Config::from_lookup(|n| (n == "TABLE_NAME").then(|| "microblog".to_string()))
        .expect("a valid config");
    let app = App::new(config, engine.client());
    assert!(app.create_table_if_missing().await.expect("table created"));
    let client = engine.client();
    let described = client
        .describe_table()
        .table_name(app.table_name())
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("a table description");

    let keys = |elements: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        Value::Array(
            elements
                .iter()
                .map(|k| json!({ "AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str() }))
                .collect(),
        )
    };
    assert_eq!(keys(described.key_schema()), p["KeySchema"]);
    let mut attributes: Vec<Value> = described
        .attribute_definitions()
        .iter()
        .map(|a| json!({ "AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str() }))
        .collect();
    let mut declared = p["AttributeDefinitions"].as_array().unwrap().clone();
    let by_name = |v: &Value| v["AttributeName"].as_str().unwrap().to_string();
    attributes.sort_by_key(by_name);
    declared.sort_by_key(by_name);
    assert_eq!(attributes, declared);
    let indexes: Vec<Value> = described
        .local_secondary_indexes()
        .iter()
        .map(|i| {
            json!({
                "IndexName": i.index_name(),
                "KeySchema": keys(i.key_schema()),
                "Projection": {
                    "ProjectionType": i.projection().and_then(|p| p.projection_type()).map(|t| t.as_str()),
                },
            })
        })
        .collect();
    assert_eq!(Value::Array(indexes), p["LocalSecondaryIndexes"]);
    assert!(described.global_secondary_indexes().is_empty());

    let stream = described
        .stream_specification()
        .expect("the local table has a stream, for the fan-out");
    assert!(stream.stream_enabled(), "the local table's stream is on");
    assert_eq!(
        stream.stream_view_type().map(|t| t.as_str()),
        p["StreamSpecification"]["StreamViewType"].as_str(),
        "the local table's stream has the template's view type"
    );
    assert!(
        described.latest_stream_arn().is_some(),
        "the local stream poller finds the stream by the table's LatestStreamArn"
    );

    let ttl = client
        .describe_time_to_live()
        .table_name(app.table_name())
        .send()
        .await
        .expect("DescribeTimeToLive")
        .time_to_live_description
        .expect("a TTL description");
    assert_eq!(
        ttl.attribute_name(),
        p["TimeToLiveSpecification"]["AttributeName"].as_str()
    );
    engine.stop().await;
}
