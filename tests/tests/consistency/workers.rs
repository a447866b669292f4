//! Functions no route serves (`WORKERS`): each is triggered as declared;
//! a stream worker reports partial batch failures, bisects, gives up in
//! bounded time and keeps what it gave up on in an encrypted queue that
//! outlives the stream.

use microblog_shared::routes::{Trigger, WORKERS};
use microblog_tests::template::{logical_id, reference, Template};
use serde_json::{json, Value};

/// `FanOutFunction`'s one event's properties, to break in tests.
fn event_properties<'a>(template: &'a mut Template, function: &str) -> &'a mut Value {
    let events = template.doc["Resources"][logical_id(function)]["Properties"]["Events"]
        .as_object_mut()
        .expect("Events");
    &mut events.values_mut().next().expect("one event")["Properties"]
}

#[test]
fn every_worker_has_exactly_its_trigger_s_event_with_failures_kept() {
    let template = Template::load();
    let functions = template.functions();
    assert!(!WORKERS.is_empty(), "fan_out is a worker");
    let mut problems = Vec::new();
    for worker in WORKERS {
        let f = functions
            .get(worker.function)
            .unwrap_or_else(|| panic!("template.yaml has no {}", logical_id(worker.function)));
        problems.extend(f.trigger_problems(worker.trigger, &template));
        // A scheduled run that fails is redone by the next; a stream's
        // batch given up on is kept.
        assert_eq!(
            f.on_failure_queue().is_some(),
            worker.trigger == Trigger::TableStream,
            "{}: an on-failure queue for a stream worker, none for a schedule",
            worker.function
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_stream_worker_without_partial_failures_bisecting_bounds_or_a_queue_is_reported() {
    let worker = WORKERS
        .iter()
        .find(|w| w.trigger == Trigger::TableStream)
        .expect("a stream worker");
    let id = logical_id(worker.function);
    for (change, reported) in [
        ("FunctionResponseTypes", "FunctionResponseTypes"),
        ("BisectBatchOnFunctionError", "BisectBatchOnFunctionError"),
        ("StartingPosition", "StartingPosition"),
        ("MaximumRetryAttempts", "MaximumRetryAttempts"),
        ("MaximumRecordAgeInSeconds", "MaximumRecordAgeInSeconds"),
        ("DestinationConfig", "OnFailure.Destination"),
        (
            "Stream",
            "its event is not a DynamoDB event on !GetAtt Table.StreamArn",
        ),
    ] {
        let mut template = Template::load();
        event_properties(&mut template, worker.function)
            .as_object_mut()
            .expect("Properties")
            .remove(change);
        let problems =
            template.functions()[worker.function].trigger_problems(worker.trigger, &template);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("{id}: ")) && p.contains(reported)),
            "without {change}: {problems:#?}"
        );
    }
    let mut template = Template::load();
    event_properties(&mut template, worker.function)["MaximumRetryAttempts"] = json!(-1);
    let problems =
        template.functions()[worker.function].trigger_problems(worker.trigger, &template);
    assert!(
        problems.iter().any(|p| p.contains("MaximumRetryAttempts")),
        "{problems:#?}"
    );
}

#[test]
fn the_on_failure_queue_keeps_messages_14_days_encrypted_and_is_an_output() {
    let template = Template::load();
    for (name, f) in template.functions() {
        let Some(queue) = f.on_failure_queue() else {
            continue;
        };
        let q = template.resource(&queue);
        assert_eq!(q["Type"], "AWS::SQS::Queue", "{name}: {queue}");
        assert_eq!(
            q["Properties"]["MessageRetentionPeriod"], 1_209_600,
            "{queue}: the longest SQS keeps a message, 14 days"
        );
        assert_eq!(
            q["Properties"]["SqsManagedSseEnabled"], true,
            "{queue}: encrypted at rest"
        );
        let outputs = template.doc["Outputs"].as_object().expect("Outputs");
        assert!(
            outputs.values().any(|o| o["Value"] == reference(&queue)),
            "an output names the queue {queue} (its URL), for whoever drains it"
        );
    }
}
