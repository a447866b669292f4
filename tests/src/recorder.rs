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
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use lambda_runtime::{Context, LambdaEvent};
use microblog_local::dispatch::dispatch;
use microblog_local::engine::{client_for_endpoint_with, Engine};
use microblog_shared::config::ClientSettings;
use microblog_shared::routes::{Access, Action, Resource, Trigger, Worker};
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
}

impl fmt::Display for Used {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Used::Access(access) => access.fmt(f),
            Used::Undeclarable(operation) => f.write_str(operation),
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
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "an unnamed operation".to_string());
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
        self.lock()
            .extend(used.into_iter().map(|used| Record { function, used }));
        Ok(())
    }
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
    let response = match (worker.function, worker.trigger) {
        ("fan_out", Trigger::TableStream) => {
            let event = LambdaEvent::new(sample.stream_event()?, Context::default());
            fan_out::handler(app, event).await.map(serde_json::to_value)
        }
        ("purge_user", Trigger::TableStream) => {
            let event = LambdaEvent::new(sample.stream_event()?, Context::default());
            purge_user::handler(app, event)
                .await
                .map(serde_json::to_value)
        }
        (other, _) => {
            return Err(format!(
                "the harness cannot run the worker {other}: add its handler to microblog_tests::recorder::invoke_worker and its crate to tests/Cargo.toml"
            ))
        }
    };
    response
        .map_err(|e| format!("the handler failed: {e}"))?
        .map_err(|e| format!("the response is not JSON: {e}"))
}
