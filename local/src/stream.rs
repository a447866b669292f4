//! Runs a stream-triggered function (`fan_out`, `purge_user`, ...) the way
//! Lambda's event source mapping does: one poller per function, each with
//! its own position, as each function has its own mapping on AWS. It reads
//! the table's real DynamoDB stream: each shard with GetShardIterator and
//! GetRecords, hands the handler the records in the DynamoDB stream event
//! shape Lambda delivers, and honours `ReportBatchItemFailures` by reading
//! again from the first failed record. It can keep its position after each
//! batch (`crate::checkpoint`), to go on from there after a restart, and it
//! goes on from the oldest record left when the stream was trimmed past it.
//! It works against the embedded engine and any endpoint with streams.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use microblog_functions::StreamHandler;
use microblog_shared::routes::{Trigger, WORKERS};
use microblog_shared::App;

use crate::checkpoint::Checkpoints;
use serde_json::{json, Map, Value};

/// Records handed to the handler at once (Lambda's default batch size).
const BATCH: i32 = 100;
/// Times one record is retried before it is given up on (on AWS it would
/// then go to the on-failure queue).
const MAX_ATTEMPTS: u32 = 5;
/// The pause between rounds that found nothing new.
const IDLE: Duration = Duration::from_millis(50);

/// A function the table's stream invokes: a worker of
/// `microblog_shared::routes::WORKERS` and its handler.
#[derive(Clone, Copy)]
pub struct StreamWorker {
    name: &'static str,
    handler: StreamHandler,
}

impl StreamWorker {
    /// Every worker the table's stream triggers.
    pub fn all() -> impl Iterator<Item = StreamWorker> {
        WORKERS
            .iter()
            .filter(|w| w.trigger == Trigger::TableStream)
            .map(|w| StreamWorker::named(w.function))
    }

    /// The stream worker called `name`.
    ///
    /// # Panics
    /// If no stream worker has that name: callers name a worker of the
    /// route table, and a test checks each has its handler.
    pub fn named(name: &str) -> StreamWorker {
        let worker = WORKERS
            .iter()
            .find(|w| w.function == name && w.trigger == Trigger::TableStream)
            .unwrap_or_else(|| panic!("no stream worker is called {name}"));
        let handler = microblog_functions::stream(worker.function)
            .unwrap_or_else(|| panic!("{name} has no stream handler in functions/src/bin/"));
        StreamWorker {
            name: worker.function,
            handler,
        }
    }

    /// The function's name.
    pub fn name(self) -> &'static str {
        self.name
    }

    async fn handle(
        self,
        app: &App,
        event: lambda_runtime::LambdaEvent<Event>,
    ) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
        // The handler's future comes boxed: it is large, and a poller may
        // run on a small stack (a test thread's).
        (self.handler)(app, event).await
    }
}

impl PartialEq for StreamWorker {
    fn eq(&self, other: &StreamWorker) -> bool {
        self.name == other.name
    }
}

impl Eq for StreamWorker {}

impl std::fmt::Debug for StreamWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StreamWorker").field(&self.name).finish()
    }
}

/// A reader of one table's stream, feeding one [`StreamWorker`].
pub struct StreamPoller {
    worker: StreamWorker,
    client: Client,
    stream_arn: String,
    /// Where to read next in each shard; `None` once a closed shard is done.
    positions: HashMap<String, Option<String>>,
    failures: HashMap<String, u32>,
    checkpoints: Option<Checkpoints>,
}

/// A streams client for a local engine at `endpoint`, signed with the same
/// fixed credentials as the DynamoDB client.
pub fn client_for_endpoint(endpoint: &str) -> Client {
    client_with(endpoint, None)
}

/// [`client_for_endpoint`], with `http_client` instead of the SDK's own
/// when given (the in-process one of [`crate::engine::Engine`]).
pub(crate) fn client_with(endpoint: &str, http_client: Option<SharedHttpClient>) -> Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "microblog-local",
        ))
        .endpoint_url(endpoint)
        .http_client(http_client.unwrap_or_else(|| {
            use microblog_shared::store::client::{http_client, Trust};
            http_client(Trust::for_endpoint(Some(endpoint)))
        }));
    Client::from_conf(config.build())
}

impl StreamPoller {
    /// A poller feeding `fan_out` (see [`StreamPoller::for_worker`]).
    pub async fn new(
        dynamodb: &aws_sdk_dynamodb::Client,
        client: Client,
        table: &str,
    ) -> Result<StreamPoller, String> {
        Self::for_worker(dynamodb, client, table, StreamWorker::named("fan_out")).await
    }

    /// A poller of the stream of `table` (which must have one) feeding
    /// `worker`, read with `client`, starting at the oldest record the
    /// stream keeps (handling a record again changes nothing).
    pub async fn for_worker(
        dynamodb: &aws_sdk_dynamodb::Client,
        client: Client,
        table: &str,
        worker: StreamWorker,
    ) -> Result<StreamPoller, String> {
        let described = dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot describe table {table}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
            })?;
        let stream_arn = described
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| {
                format!(
                    "table {table} has no stream; {} needs one (NEW_AND_OLD_IMAGES)",
                    worker.name()
                )
            })?;
        Ok(StreamPoller {
            worker,
            client,
            stream_arn,
            positions: HashMap::new(),
            failures: HashMap::new(),
            checkpoints: None,
        })
    }

    /// Keeps this poller's position in `checkpoints` after each batch, and
    /// starts each shard after the position kept there (from the oldest
    /// record the stream keeps when none is, or when it was trimmed since).
    pub fn with_checkpoints(mut self, checkpoints: Checkpoints) -> StreamPoller {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// The worker this poller feeds.
    pub fn worker(&self) -> StreamWorker {
        self.worker
    }

    /// Handles everything the stream holds now; returns how many records
    /// were handed to the handler.
    pub async fn poll_once(&mut self, app: &App) -> Result<usize, String> {
        self.discover_shards().await?;
        let mut handled = 0;
        let shards: Vec<String> = self.positions.keys().cloned().collect();
        for shard in shards {
            handled += Box::pin(self.poll_shard(app, &shard)).await?;
        }
        Ok(handled)
    }

    /// Polls until a round finds nothing: every record written so far has
    /// been handled by this poller's worker (for tests and the bench).
    pub async fn settle(&mut self, app: &App) -> Result<(), String> {
        while self.poll_once(app).await? > 0 {}
        Ok(())
    }

    /// Polls until `shutdown`, logging (not stopping on) errors.
    pub async fn run(mut self, app: &App, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let pause = match self.poll_once(app).await {
                Ok(0) => IDLE,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the table's stream failed; retrying");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn discover_shards(&mut self) -> Result<(), String> {
        let mut start = None;
        loop {
            let out = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "DescribeStream: {}",
                        aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
                    )
                })?;
            let Some(description) = out.stream_description else {
                return Ok(());
            };
            for shard in description.shards() {
                if let Some(id) = shard.shard_id() {
                    if !self.positions.contains_key(id) {
                        let iterator = self.first_iterator(id).await?;
                        self.positions.insert(id.to_string(), Some(iterator));
                    }
                }
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => return Ok(()),
            }
        }
    }

    /// Where to start reading `shard`: after the checkpoint, if any and
    /// still in the stream, else at the oldest record the stream keeps.
    async fn first_iterator(&self, shard: &str) -> Result<String, String> {
        let kept = match &self.checkpoints {
            Some(checkpoints) => checkpoints.get(self.worker.name(), shard).await?,
            None => None,
        };
        let Some(sequence) = kept else {
            return self
                .iterator(shard, ShardIteratorType::TrimHorizon, None)
                .await;
        };
        self.iterator(
            shard,
            ShardIteratorType::AfterSequenceNumber,
            Some(sequence),
        )
        .await
    }

    /// Says that records of `shard` were trimmed before this worker handled
    /// them: on AWS they would be lost the same way (the stream keeps 24
    /// hours), so the worker goes on from the oldest record left.
    fn warn_trimmed(&self, shard: &str) {
        tracing::warn!(
            worker = self.worker.name(),
            shard,
            "stream records were trimmed (older than the stream keeps) before this worker handled them; going on from the oldest record left"
        );
    }

    /// An iterator of `kind` (at `sequence`), or, when that record was
    /// trimmed, one at the oldest record left (with a warning).
    async fn iterator(
        &self,
        shard: &str,
        kind: ShardIteratorType,
        sequence: Option<String>,
    ) -> Result<String, String> {
        let asked = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence)
            .send()
            .await;
        let out = match asked {
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
            {
                self.warn_trimmed(shard);
                self.client
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(shard)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
            }
            other => other,
        };
        out.map_err(|e| {
            format!(
                "GetShardIterator: {}",
                aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
            )
        })?
        .shard_iterator
        .ok_or_else(|| format!("no iterator for shard {shard}"))
    }

    async fn poll_shard(&mut self, app: &App, shard: &str) -> Result<usize, String> {
        let Some(Some(iterator)) = self.positions.get(shard).cloned() else {
            return Ok(0);
        };
        let out = match self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(BATCH)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
            {
                self.warn_trimmed(shard);
                let iterator = self
                    .iterator(shard, ShardIteratorType::TrimHorizon, None)
                    .await?;
                self.positions.insert(shard.to_string(), Some(iterator));
                // Read on from the new iterator now: a round that handled
                // nothing would tell `settle` the stream is done.
                return Box::pin(self.poll_shard(app, shard)).await;
            }
            Err(e) => {
                return Err(format!(
                    "GetRecords: {}",
                    aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
                ))
            }
        };
        let records = out.records.unwrap_or_default();
        let next = out.next_shard_iterator;
        if records.is_empty() {
            self.positions.insert(shard.to_string(), next);
            return Ok(0);
        }
        let event = lambda_event(&records, &self.stream_arn)
            .map_err(|e| format!("shaping the stream event: {e}"))?;
        let context = lambda_runtime::Context::default();
        let invocation = lambda_runtime::LambdaEvent::new(event, context);
        let worker = self.worker;
        let response = Box::pin(worker.handle(app, invocation))
            .await
            .map_err(|e| format!("{} failed: {e}", worker.name()))?;
        let failed = response
            .batch_item_failures
            .first()
            .and_then(|f| f.item_identifier.clone());
        match failed {
            None => {
                if let (Some(checkpoints), Some(last)) = (
                    &self.checkpoints,
                    records
                        .last()
                        .and_then(|r| r.dynamodb.as_ref())
                        .and_then(|d| d.sequence_number.as_deref()),
                ) {
                    checkpoints.put(self.worker.name(), shard, last).await?;
                }
                self.positions.insert(shard.to_string(), next);
            }
            Some(sequence) => {
                let attempts = self.failures.entry(sequence.clone()).or_insert(0);
                *attempts += 1;
                let (kind, wait) = if *attempts >= MAX_ATTEMPTS {
                    tracing::error!(%sequence, "giving up on a stream record after {MAX_ATTEMPTS} attempts (on AWS it goes to the on-failure queue)");
                    (ShardIteratorType::AfterSequenceNumber, Duration::ZERO)
                } else {
                    (
                        ShardIteratorType::AtSequenceNumber,
                        Duration::from_millis(20 << *attempts),
                    )
                };
                tokio::time::sleep(wait).await;
                let iterator = self.iterator(shard, kind, Some(sequence)).await?;
                self.positions.insert(shard.to_string(), Some(iterator));
            }
        }
        Ok(records.len())
    }
}

/// Polls every one of `pollers` until a round in which none of them finds
/// anything new: each worker's own writes (a clean-up's next step, the
/// unfollows it causes) are handled too.
pub async fn settle_all(pollers: &mut [StreamPoller], app: &App) -> Result<(), String> {
    settle_all_with(pollers, app, |_| {}).await
}

/// [`settle_all`], telling `handled` the records handed over so far after
/// each poll (for a progress line).
pub async fn settle_all_with(
    pollers: &mut [StreamPoller],
    app: &App,
    mut handled: impl FnMut(usize),
) -> Result<(), String> {
    let mut total = 0;
    loop {
        let mut round = 0;
        for poller in pollers.iter_mut() {
            round += poller.poll_once(app).await?;
            handled(total + round);
        }
        total += round;
        if round == 0 {
            return Ok(());
        }
    }
}

/// The event Lambda would deliver for `records` of the stream `arn`.
pub fn lambda_event(records: &[Record], arn: &str) -> Result<Event, serde_json::Error> {
    let records: Vec<Value> = records
        .iter()
        .map(|record| {
            let change = record.dynamodb.as_ref();
            let mut dynamodb = Map::new();
            if let Some(change) = change {
                if let Some(at) = change.approximate_creation_date_time {
                    dynamodb.insert("ApproximateCreationDateTime".into(), json!(at.secs()));
                }
                for (name, image) in [
                    ("Keys", &change.keys),
                    ("NewImage", &change.new_image),
                    ("OldImage", &change.old_image),
                ] {
                    if let Some(image) = image {
                        dynamodb.insert(name.into(), item_json(image));
                    }
                }
                dynamodb.insert("SequenceNumber".into(), json!(change.sequence_number));
                dynamodb.insert("SizeBytes".into(), json!(change.size_bytes.unwrap_or(0)));
                dynamodb.insert(
                    "StreamViewType".into(),
                    json!(change.stream_view_type.as_ref().map(|t| t.as_str())),
                );
            }
            json!({
                "eventID": record.event_id,
                "eventName": record.event_name.as_ref().map(|n| n.as_str()),
                "eventVersion": record.event_version.clone().unwrap_or_else(|| "1.1".into()),
                "eventSource": "aws:dynamodb",
                "awsRegion": record.aws_region.clone().unwrap_or_else(|| "us-east-1".into()),
                "dynamodb": dynamodb,
                "eventSourceARN": arn,
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records }))
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect(),
    )
}

/// An attribute value in DynamoDB's JSON form (`{"S": "..."}`).
fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": STANDARD.encode(b.as_ref()) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => {
            json!({ "BS": v.iter().map(|b| STANDARD.encode(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(v) => json!({ "L": v.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_json(m) }),
        _ => json!({ "NULL": true }),
    }
}
