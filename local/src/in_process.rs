//! An SDK HTTP client that answers in-process: each request the AWS SDK
//! sends (serialised, with its retries and timeouts, exactly as on Lambda)
//! is handed straight to the embedded dynoxide [`Database`] instead
//! of crossing loopback HTTP to the engine's own server. The local server and
//! the benchmark use it; the Lambda binaries keep the SDK's network client.
//!
//! What it saves, per DynamoDB call: a TCP round trip on loopback, hyper's
//! client and the engine's axum server (HTTP parsing, headers, a task per
//! connection), which docs/PERFORMANCE.md measured as most of a local
//! request's time. What it keeps: the SDK's request path (the serialisers,
//! the retry and timeout layers, the error parsing the stores rely on; only
//! signing is left out, by `Engine::in_process_client`, as the engine checks
//! no signature here) and the engine's own request types, answers
//! and error bodies (`DynoxideError::to_json`, the shape its server sends).
//!
//! The database runs each call to completion on the calling thread, as the
//! engine's HTTP server does in its request handler: SQLite in memory answers
//! in microseconds, so a task blocks for about as long as a hop through the
//! server would have cost in CPU.

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use dynoxide::{Database, DynoxideError};

/// The content type of DynamoDB's JSON protocol, requests and answers.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The prefixes of `X-Amz-Target` for DynamoDB and DynamoDB Streams.
const TARGET_PREFIXES: [&str; 2] = ["DynamoDB_20120810.", "DynamoDBStreams_20120810."];

/// An SDK HTTP client (and connector) whose every request is answered by
/// one embedded database; clones share it.
#[derive(Clone)]
pub struct InProcess {
    db: Database,
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcess(embedded dynoxide)")
    }
}

impl InProcess {
    /// A client answering from `db` (a clone shares the same data).
    pub fn new(db: Database) -> InProcess {
        InProcess { db }
    }

    /// As the SDK's `http_client` setting takes it.
    pub fn shared(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    /// The engine's answer to one request: a status and a JSON body.
    fn answer(&self, request: &HttpRequest) -> (u16, String) {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let Some(operation) = TARGET_PREFIXES
            .iter()
            .find_map(|prefix| target.strip_prefix(prefix))
        else {
            return unknown_operation();
        };
        let Some(body) = request
            .body()
            .bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            return error(DynoxideError::SerializationException(String::new()));
        };
        match run(&self.db, operation, body) {
            Some(Ok(json)) => (200, json),
            Some(Err(e)) => error(e),
            None => unknown_operation(),
        }
    }
}

/// Runs `operation` with the JSON request `body` on `db`: its JSON answer,
/// or `None` when this client does not serve the operation.
fn run(db: &Database, operation: &str, body: &str) -> Option<Result<String, DynoxideError>> {
    /// Each arm: parse the engine's request type, call it, write its answer.
    macro_rules! operations {
        ($($name:literal => $method:ident),* $(,)?) => {
            match operation {
                $($name => Some(
                    serde_json::from_str(body)
                        .map_err(|e| DynoxideError::SerializationException(e.to_string()))
                        .and_then(|request| db.$method(request))
                        .and_then(|response| {
                            serde_json::to_string(&response)
                                .map_err(|e| DynoxideError::InternalServerError(e.to_string()))
                        }),
                ),)*
                _ => None,
            }
        };
    }
    operations! {
        "GetItem" => get_item,
        "PutItem" => put_item,
        "UpdateItem" => update_item,
        "DeleteItem" => delete_item,
        "Query" => query,
        "Scan" => scan,
        "BatchGetItem" => batch_get_item,
        "BatchWriteItem" => batch_write_item,
        "TransactWriteItems" => transact_write_items,
        "TransactGetItems" => transact_get_items,
        "CreateTable" => create_table,
        "DeleteTable" => delete_table,
        "DescribeTable" => describe_table,
        "ListTables" => list_tables,
        "UpdateTimeToLive" => update_time_to_live,
        "DescribeTimeToLive" => describe_time_to_live,
        "ListStreams" => list_streams,
        "DescribeStream" => describe_stream,
        "GetShardIterator" => get_shard_iterator,
        "GetRecords" => get_records,
    }
}

/// An engine error as its HTTP server writes it.
fn error(e: DynoxideError) -> (u16, String) {
    (e.status_code(), e.to_json())
}

/// What DynamoDB answers to an operation it does not know.
fn unknown_operation() -> (u16, String) {
    (
        400,
        r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#.to_string(),
    )
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (status, body) = self.answer(&request);
        let mut response = HttpResponse::new(
            StatusCode::try_from(status)
                .unwrap_or_else(|_| StatusCode::try_from(500).expect("500 is a status code")),
            SdkBody::from(body),
        );
        response.headers_mut().insert("content-type", CONTENT_TYPE);
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    use microblog_shared::config::ClientSettings;

    use crate::engine::Engine;

    #[tokio::test]
    async fn answers_errors_with_the_codes_the_sdk_parses_and_refuses_unserved_operations() {
        let engine = Engine::memory().await.unwrap();
        let client = engine.in_process_client(&ClientSettings::default());
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .unwrap()
        };
        client
            .create_table()
            .table_name("in-process")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(key("pk", KeyType::Hash))
            .send()
            .await
            .unwrap();
        let put = || {
            client
                .put_item()
                .table_name("in-process")
                .item("pk", AttributeValue::S("a".into()))
                .condition_expression("attribute_not_exists(pk)")
        };
        put().send().await.unwrap();
        let refused = put().send().await.unwrap_err().into_service_error();
        assert!(
            refused.is_conditional_check_failed_exception(),
            "{refused:?}"
        );
        // The HTTP server sees the same data.
        let over_http = engine.client();
        let item = over_http
            .get_item()
            .table_name("in-process")
            .key("pk", AttributeValue::S("a".into()))
            .send()
            .await
            .unwrap();
        assert!(item.item().is_some());
        // An operation this client does not serve is refused as DynamoDB
        // refuses one it does not know, not answered wrongly.
        let unserved = client
            .list_tags_of_resource()
            .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/in-process")
            .send()
            .await
            .unwrap_err();
        assert_eq!(unserved.code(), Some("UnknownOperationException"));
        engine.stop().await;
    }
}
