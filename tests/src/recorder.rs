//! Records the DynamoDB permissions a handler's calls really need, by an
//! interceptor on its SDK client, so tests can check them against the
//! declarations of `microblog_shared::routes` (which template.yaml grants).
//!
//! A call is recorded only when made inside [`attribute`], and then for the
//! function it names, so concurrent calls through one client are told apart
//! and a test's own setup through the same client is not counted.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use lambda_runtime::{Context, LambdaEvent};
use microblog_local::dispatch::dispatch;
use microblog_local::engine::{client_for_endpoint_with, Engine};
use microblog_shared::config::ClientSettings;
use microblog_shared::routes::{keys, leading_keys_of, Access, Action, Resource, Trigger, Worker};
use microblog_shared::{App, Config};
use serde_json::Value;

use crate::declared::{declared_index, dynamodb_of, functions, worker_of};
use crate::events::{Answer, SampleEvent};
use crate::fixtures;

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `call` with every DynamoDB call it makes attributed to `function`.
pub async fn attribute<F: Future>(function: &'static str, call: F) -> F::Output {
    FUNCTION.scope(function, call).await
}

/// What one DynamoDB call needed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Used {
    /// A permission a route can declare.
    Access(Access),
    /// An operation no route may declare (CreateTable, Scan, ...), by name.
    Undeclarable(String),
    /// An item's partition key (`pk`) the call read or wrote, or for a
    /// Query the `:pk` it asked for; IAM checks these against the
    /// function's `dynamodb:LeadingKeys` condition.
    PartitionKey(String),
}

impl fmt::Display for Used {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Used::Access(access) => access.fmt(f),
            Used::Undeclarable(operation) => f.write_str(operation),
            Used::PartitionKey(pk) => write!(f, "the partition key {pk:?}"),
        }
    }
}

/// One recorded need, with the function it was attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    function: &'static str,
    used: Used,
}

/// The interceptor; clones share one log.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Vec<Record>>>,
}

impl Recorder {
    /// A recorder with an empty log.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// A client for the engine at `endpoint` whose calls this recorder logs.
    pub fn client(&self, endpoint: &str, settings: &ClientSettings) -> aws_sdk_dynamodb::Client {
        client_for_endpoint_with(endpoint, settings, |config| {
            config.interceptor(self.clone())
        })
    }

    /// Removes and returns the records attributed to `function`.
    pub fn take_for(&self, function: &str) -> Vec<Used> {
        let mut log = self.lock();
        let (taken, kept) = log
            .drain(..)
            .partition::<Vec<_>, _>(|r| r.function == function);
        *log = kept;
        taken.into_iter().map(|r| r.used).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        // A test that panicked mid-call leaves a log that is still whole.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "microblog-tests access recorder"
    }

    // Not read_before_execution: a client interceptor runs that before the
    // operation has put its Metadata in the bag.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_name(cfg);
        let input = context.input();
        let used = if let Some(query) = input.downcast_ref::<QueryInput>() {
            let resource = match query.index_name() {
                Some(name) => Resource::Index(static_index_name(name)),
                None => Resource::Table,
            };
            vec![Used::Access(Access {
                action: Action::Query,
                resource,
            })]
        } else if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            transaction
                .transact_items()
                .iter()
                .map(|item| {
                    let action = if item.put().is_some() {
                        Some(Action::PutItem)
                    } else if item.update().is_some() {
                        Some(Action::UpdateItem)
                    } else if item.delete().is_some() {
                        Some(Action::DeleteItem)
                    } else if item.condition_check().is_some() {
                        Some(Action::ConditionCheckItem)
                    } else {
                        None
                    };
                    match action {
                        Some(action) => Used::Access(Access {
                            action,
                            resource: Resource::Table,
                        }),
                        None => Used::Undeclarable(format!("{operation} with an empty item")),
                    }
                })
                .collect()
        } else {
            vec![match Action::from_name(&operation) {
                Some(action) => Used::Access(Access {
                    action,
                    resource: Resource::Table,
                }),
                None => Used::Undeclarable(operation),
            }]
        };
        let Ok(function) = FUNCTION.try_with(|f| *f) else {
            return Ok(());
        };
        let keys = partition_keys(input).into_iter().map(Used::PartitionKey);
        self.lock().extend(
            used.into_iter()
                .chain(keys)
                .map(|used| Record { function, used }),
        );
        Ok(())
    }
}

/// The partition keys an operation's input names: its items' and keys' `pk`,
/// or a Query's `:pk` value. A Query without `:pk` names `"?"`, which no
/// declaration matches.
fn partition_keys(
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> Vec<String> {
    type Item = std::collections::HashMap<String, AttributeValue>;
    fn pk(item: &Item) -> Option<String> {
        item.get("pk").and_then(|v| v.as_s().ok()).cloned()
    }
    let items: Vec<&Item> = if let Some(get) = input.downcast_ref::<GetItemInput>() {
        get.key().into_iter().collect()
    } else if let Some(put) = input.downcast_ref::<PutItemInput>() {
        put.item().into_iter().collect()
    } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
        update.key().into_iter().collect()
    } else if let Some(delete) = input.downcast_ref::<DeleteItemInput>() {
        delete.key().into_iter().collect()
    } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
        batch
            .request_items()
            .into_iter()
            .flat_map(|tables| tables.values())
            .flat_map(|wanted| wanted.keys())
            .collect()
    } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
        batch
            .request_items()
            .into_iter()
            .flat_map(|tables| tables.values().flatten())
            .filter_map(|write| {
                write
                    .put_request()
                    .map(|p| p.item())
                    .or_else(|| write.delete_request().map(|d| d.key()))
            })
            .collect()
    } else if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
        transaction
            .transact_items()
            .iter()
            .filter_map(|item| {
                item.put()
                    .map(|p| p.item())
                    .or_else(|| item.update().map(|u| u.key()))
                    .or_else(|| item.delete().map(|d| d.key()))
                    .or_else(|| item.condition_check().map(|c| c.key()))
            })
            .collect()
    } else if let Some(query) = input.downcast_ref::<QueryInput>() {
        let value = query
            .expression_attribute_values()
            .and_then(|values| values.get(":pk"))
            .and_then(|v| v.as_s().ok());
        return vec![value.cloned().unwrap_or_else(|| "?".to_string())];
    } else {
        Vec::new()
    };
    items
        .into_iter()
        .map(|item| pk(item).unwrap_or_else(|| "?".to_string()))
        .collect()
}

/// Logs, for each GetItem a client makes, whether it reads strongly
/// (`ConsistentRead`), so tests can hold the code to its consistency claims.
#[derive(Debug, Clone, Default)]
pub struct ReadLog {
    log: Arc<Mutex<Vec<bool>>>,
}

impl ReadLog {
    /// Whether each GetItem so far was strongly consistent, in order.
    pub fn strong_get_items(&self) -> Vec<bool> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Intercept for ReadLog {
    fn name(&self) -> &'static str {
        "microblog-tests read consistency log"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(get) = context.input().downcast_ref::<GetItemInput>() {
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(get.consistent_read() == Some(true));
        }
        Ok(())
    }
}

/// The name of the operation an interceptor sees (`GetItem`), from the
/// Metadata the operation puts in the config bag.
pub(crate) fn operation_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| m.name().to_string())
        .unwrap_or_else(|| "an unnamed operation".to_string())
}

/// `Resource::Index` holds a `&'static str`: the declared name when a
/// function declares that index, else a leaked copy (a test process, a few
/// calls).
fn static_index_name(name: &str) -> &'static str {
    declared_index(name).unwrap_or_else(|| Box::leak(name.to_string().into_boxed_str()))
}

/// Each of `used` that `function` (a route's, or a worker) does not declare,
/// as a sentence naming the function.
pub fn undeclared(function: &str, used: &[Used]) -> Vec<String> {
    let declared = dynamodb_of(function).unwrap_or_else(|| panic!("no function {function}"));
    let leading_keys = leading_keys_of(function).unwrap_or_default();
    let declarer = match worker_of(function) {
        Some(_) => "its WORKERS entry",
        None => "its route",
    };
    let mut found: Vec<String> = used
        .iter()
        .filter_map(|u| match u {
            Used::Access(a) if declared.contains(a) => None,
            Used::Access(a) => Some(format!(
                "{function} used {a}, which {declarer} does not declare"
            )),
            Used::Undeclarable(operation) => Some(format!(
                "{function} used {operation}, which no function may declare"
            )),
            Used::PartitionKey(pk) if leading_keys.iter().any(|p| keys::matches(p, pk)) => None,
            Used::PartitionKey(pk) => Some(format!(
                "{function} touched the partition key {pk:?}, which no pattern in {declarer}'s leading keys ({leading_keys:?}) matches"
            )),
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

const TABLE: &str = "microblog";

fn config() -> Result<Config, String> {
    fixtures::config(TABLE)
}

/// A fresh engine whose table holds only the fixtures.
async fn seeded_engine() -> Result<Engine, String> {
    fixtures::seeded_engine(TABLE).await
}

/// Runs `sample` through `function`'s handler in-process, on a fresh engine
/// whose table holds only the fixtures, and returns the answer with what the
/// handler's DynamoDB calls needed (not the seeding's). For HTTP functions;
/// see [`run_worker_event`] for workers.
pub async fn run_event(
    sample: &SampleEvent,
    function: &str,
) -> Result<(Answer, Vec<Used>), String> {
    let function = functions()
        .find(|f| *f == function)
        .ok_or_else(|| format!("there is no function {function}"))?;
    if worker_of(function).is_some() {
        return Err(format!("{function} is a worker: use run_worker_event"));
    }
    let engine = seeded_engine().await?;
    let recorder = Recorder::new();
    let config = config()?;
    let client = recorder.client(&engine.endpoint, &config.dynamodb);
    let app = App::new(config, client);
    let response = attribute(function, dispatch(&app, function, sample.request())).await;
    engine.stop().await;
    let response = response
        .ok_or_else(|| format!("no handler for {function}"))?
        .map_err(|e| format!("the handler failed: {e}"))?;
    Ok((
        Answer::from_response(&response),
        recorder.take_for(function),
    ))
}

/// Runs `sample`, an event of a worker, through the worker's handler
/// in-process on a fresh engine holding the fixtures, and returns the JSON
/// it responded with and what its DynamoDB calls needed.
pub async fn run_worker_event(sample: &SampleEvent) -> Result<(Value, Vec<Used>), String> {
    let worker = sample
        .worker()
        .ok_or_else(|| format!("{} is not a worker's event", sample.file()))?;
    let engine = seeded_engine().await?;
    let recorder = Recorder::new();
    let config = config()?;
    let client = recorder.client(&engine.endpoint, &config.dynamodb);
    let app = App::new(config, client);
    let response = attribute(worker.function, invoke_worker(&app, worker, sample)).await;
    engine.stop().await;
    Ok((response?, recorder.take_for(worker.function)))
}

/// Hands `sample` to `worker`'s handler as its trigger would, with `app`;
/// the handler's response as JSON.
pub async fn invoke_worker(
    app: &App,
    worker: &Worker,
    sample: &SampleEvent,
) -> Result<Value, String> {
    let response = match worker.trigger {
        Trigger::TableStream => {
            let handler = microblog_functions::stream(worker.function).ok_or_else(|| {
                format!(
                    "{} has no stream handler: add functions/src/bin/{}.rs calling stream_function!",
                    worker.function, worker.function
                )
            })?;
            let event = LambdaEvent::new(sample.stream_event()?, Context::default());
            handler(app, event).await.map(serde_json::to_value)
        }
        Trigger::Schedule(_) => {
            let handler = microblog_functions::scheduled(worker.function).ok_or_else(|| {
                format!(
                    "{} has no scheduled handler: add functions/src/bin/{}.rs calling scheduled_function!",
                    worker.function, worker.function
                )
            })?;
            let event = LambdaEvent::new(sample.event.clone(), Context::default());
            handler(app, event).await.map(Ok)
        }
    };
    response
        .map_err(|e| format!("the handler failed: {e}"))?
        .map_err(|e| format!("the response is not JSON: {e}"))
}
