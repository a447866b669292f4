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
use microblog_local::dispatch::dispatch;
use microblog_local::engine::{client_for_endpoint_with, Engine};
use microblog_shared::config::ClientSettings;
use microblog_shared::routes::{dynamodb_of, functions, Access, Action, Resource, ROUTES};
use microblog_shared::{App, Config};

use crate::events::{Answer, SampleEvent};

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

/// `Resource::Index` holds a `&'static str`: the declared name when a route
/// declares that index, else a leaked copy (a test process, a few calls).
fn static_index_name(name: &str) -> &'static str {
    ROUTES
        .iter()
        .flat_map(|r| r.dynamodb)
        .find_map(|a| match a.resource {
            Resource::Index(declared) if declared == name => Some(declared),
            _ => None,
        })
        .unwrap_or_else(|| Box::leak(name.to_string().into_boxed_str()))
}

/// Each of `used` that `function`'s route does not declare, as a sentence
/// naming the function.
pub fn undeclared(function: &str, used: &[Used]) -> Vec<String> {
    let declared = dynamodb_of(function).unwrap_or_else(|| panic!("no function {function}"));
    let mut found: Vec<String> = used
        .iter()
        .filter_map(|u| match u {
            Used::Access(a) if declared.contains(a) => None,
            Used::Access(a) => Some(format!(
                "{function} used {a}, which its route does not declare"
            )),
            Used::Undeclarable(operation) => Some(format!(
                "{function} used {operation}, which no route may declare"
            )),
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Runs `sample` through `function`'s handler in-process, on a fresh engine
/// whose table holds only the fixtures, and returns the answer with what the
/// handler's DynamoDB calls needed (not the seeding's).
pub async fn run_event(
    sample: &SampleEvent,
    function: &str,
) -> Result<(Answer, Vec<Used>), String> {
    const TABLE: &str = "microblog";
    let engine = Engine::memory()
        .await
        .map_err(|e| format!("the engine does not start: {e}"))?;
    let config = || {
        Config::from_lookup(|name| (name == "TABLE_NAME").then(|| TABLE.to_string()))
            .map_err(|e| e.to_string())
    };
    let seeding = App::new(config()?, engine.client());
    seeding
        .create_table_if_missing()
        .await
        .map_err(|e| format!("cannot create the table: {e}"))?;
    microblog_local::seed::seed(&seeding)
        .await
        .map_err(|e| format!("cannot seed the table: {e}"))?;
    let function = functions()
        .find(|f| *f == function)
        .ok_or_else(|| format!("there is no function {function}"))?;
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
