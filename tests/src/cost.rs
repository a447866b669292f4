//! What each sample event costs in DynamoDB capacity, measured: every call
//! a handler makes asks for `ReturnConsumedCapacity: TOTAL` (an SDK
//! interceptor sets it, so the code under test is unchanged) and the units
//! the engine reports are summed per event. The consistency test
//! `tests/tests/consistency/cost.rs` compares the sums with the table in
//! docs/ARCHITECTURE.md ("Measured cost of every sample event"), and
//! `microblog-bench cost` prints that table.
//!
//! Each event runs in-process on a fresh embedded engine holding the
//! fixtures, through the engine's in-process client, and its answer is
//! checked against its expectation too.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_get_items::{
    TransactGetItemsInput, TransactGetItemsOutput,
};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use microblog_local::dispatch::dispatch;
use microblog_local::engine::Engine;
use microblog_shared::App;

use crate::events::{differences, response_differences, Answer, SampleEvent};
use crate::recorder::{invoke_worker, operation_name};

/// One DynamoDB call and the capacity the engine reported for it.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    operation: String,
    read: f64,
    write: f64,
    /// Answered with an error (a condition refused it, say): DynamoDB
    /// reports no capacity for it, though a refused write is charged.
    refused: bool,
    /// An operation whose answer this meter cannot read capacity from.
    unmetered: bool,
}

/// The interceptor: asks every call for its consumed capacity and logs
/// what comes back; clones share the log.
#[derive(Debug, Clone, Default)]
pub struct CapacityMeter {
    log: Arc<Mutex<Vec<Call>>>,
}

impl CapacityMeter {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Sets `return_consumed_capacity` on whichever input type `$input` is.
macro_rules! ask_capacity {
    ($input:expr, $($type:ty),*) => {
        $(if let Some(input) = $input.downcast_mut::<$type>() {
            input.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        })*
    };
}

/// The capacities an output of any of `$type`s reports, if it is one.
macro_rules! reported {
    ($output:expr, one: [$($one:ty),*], many: [$($many:ty),*]) => {{
        let mut found: Option<Vec<ConsumedCapacity>> = None;
        $(if let Some(o) = $output.downcast_ref::<$one>() {
            found = Some(o.consumed_capacity().cloned().into_iter().collect());
        })*
        $(if let Some(o) = $output.downcast_ref::<$many>() {
            found = Some(o.consumed_capacity().to_vec());
        })*
        found
    }};
}

/// Whether `operation` writes (its units are WCU) rather than reads.
fn writes(operation: &str) -> bool {
    matches!(
        operation,
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems"
    )
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "microblog-tests capacity meter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        ask_capacity!(
            input,
            GetItemInput,
            PutItemInput,
            UpdateItemInput,
            DeleteItemInput,
            QueryInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactWriteItemsInput,
            TransactGetItemsInput
        );
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_name(cfg);
        let mut call = Call {
            operation,
            read: 0.0,
            write: 0.0,
            refused: false,
            unmetered: false,
        };
        match context.output_or_error() {
            Some(Ok(output)) => {
                let capacities = reported!(
                    output,
                    one: [GetItemOutput, PutItemOutput, UpdateItemOutput, DeleteItemOutput, QueryOutput],
                    many: [BatchGetItemOutput, BatchWriteItemOutput, TransactWriteItemsOutput, TransactGetItemsOutput]
                );
                let Some(capacities) = capacities else {
                    // Failing here would fail the handler's call and hide
                    // the cause; `measure` reports it instead.
                    call.unmetered = true;
                    self.log
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(call);
                    return Ok(());
                };
                for c in capacities {
                    let total = c.capacity_units().unwrap_or(0.0);
                    match (c.read_capacity_units(), c.write_capacity_units()) {
                        (None, None) if writes(&call.operation) => call.write += total,
                        (None, None) => call.read += total,
                        (read, write) => {
                            call.read += read.unwrap_or(0.0);
                            call.write += write.unwrap_or(0.0);
                        }
                    }
                }
            }
            _ => call.refused = true,
        }
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call);
        Ok(())
    }
}

/// What one sample event cost, summed over its calls.
#[derive(Debug, Clone, PartialEq)]
pub struct EventCost {
    /// The event's name (`get_user.not_found`).
    pub event: String,
    /// The operations called, by name, with how often.
    pub calls: BTreeMap<String, usize>,
    pub rcu: f64,
    pub wcu: f64,
    /// The calls answered with an error, by operation name.
    pub refused: BTreeMap<String, usize>,
}

fn counted(map: &BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "—".into();
    }
    map.iter()
        .map(|(op, n)| match n {
            1 => op.clone(),
            n => format!("{op} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number of capacity units as the table writes it: `0`, `0.5`, `11`.
pub fn units(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

impl EventCost {
    /// The docs' table header, with its alignment row.
    pub const HEADER: &'static str = "| sample event | DynamoDB calls | RCU | WCU | refused (no capacity reported) |\n|---|---|---:|---:|---|";

    /// This event's row of the docs' table.
    pub fn row(&self) -> String {
        format!(
            "| `{}` | {} | {} | {} | {} |",
            self.event,
            counted(&self.calls),
            units(self.rcu),
            units(self.wcu),
            counted(&self.refused)
        )
    }
}

impl fmt::Display for EventCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.row())
    }
}

const TABLE: &str = "microblog";

/// Runs `sample` through its function's handler on a fresh engine holding
/// the fixtures and measures its DynamoDB capacity. `Err` when the event
/// cannot run or is not answered as its expectation says.
pub async fn measure(sample: &SampleEvent) -> Result<EventCost, String> {
    let config = || crate::fixtures::config(TABLE);
    let engine = Engine::memory()
        .await
        .map_err(|e| format!("the engine does not start: {e}"))?;
    let seeding = App::new(config()?, engine.in_process_client(&config()?.dynamodb));
    seeding
        .create_table_if_missing()
        .await
        .map_err(|e| format!("cannot create the table: {e}"))?;
    microblog_local::seed::seed(&seeding)
        .await
        .map_err(|e| format!("cannot seed the table: {e}"))?;
    let meter = CapacityMeter::default();
    let client = engine.in_process_client_with(&config()?.dynamodb, |builder| {
        builder.interceptor(meter.clone())
    });
    let app = App::new(config()?, client);
    let wrong = match sample.worker() {
        Some(worker) => {
            let response = invoke_worker(&app, worker, sample).await?;
            response_differences(&sample.expect, &response)
        }
        None => {
            let response = dispatch(&app, &sample.function, sample.request())
                .await
                .ok_or_else(|| format!("no handler for {}", sample.function))?
                .map_err(|e| format!("the handler failed: {e}"))?;
            differences(&sample.expect, &Answer::from_response(&response))
        }
    };
    engine.stop().await;
    if !wrong.is_empty() {
        return Err(format!("answered wrongly: {}", wrong.join("; ")));
    }
    let mut cost = EventCost {
        event: sample.name(),
        calls: BTreeMap::new(),
        rcu: 0.0,
        wcu: 0.0,
        refused: BTreeMap::new(),
    };
    let calls = meter.take();
    if let Some(call) = calls.iter().find(|c| c.unmetered) {
        return Err(format!(
            "{} answered without a consumed capacity the meter can read: add its input and output types to tests/src/cost.rs",
            call.operation
        ));
    }
    for call in calls {
        *cost.calls.entry(call.operation.clone()).or_default() += 1;
        cost.rcu += call.read;
        cost.wcu += call.write;
        if call.refused {
            *cost.refused.entry(call.operation).or_default() += 1;
        }
    }
    Ok(cost)
}
