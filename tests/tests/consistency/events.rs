//! The sample events: shaped as API Gateway sends them for their route, or
//! as a worker's trigger delivers them, and answered as their expectations
//! say, using only declared DynamoDB access.

use std::collections::{BTreeMap, BTreeSet};

use microblog_shared::routes::{
    dynamodb_of, functions, keys as key_patterns, leading_keys_of, match_path, resolve, Access,
    Action, Resolved, Trigger, FALLBACK_FUNCTION,
};
use microblog_tests::events::{differences, response_differences, sample_events, SampleEvent};
use microblog_tests::recorder::{run_event, run_worker_event, undeclared, Used};
use microblog_tests::template::route_keys;
use serde_json::{Map, Value};

#[test]
fn every_event_is_an_api_gateway_payload_2_0_request_for_its_route() {
    let routes = route_keys();
    for sample in sample_events().into_iter().filter(|s| s.worker().is_none()) {
        let name = sample.file();
        let event = &sample.event;
        let request = sample.request();

        assert_eq!(event["version"], "2.0", "{name}");
        let context = &event["requestContext"];
        assert_eq!(context["stage"], "$default", "{name}");
        assert_eq!(context["routeKey"], event["routeKey"], "{name}");
        assert_eq!(context["http"]["path"], event["rawPath"], "{name}");
        for field in [
            "accountId",
            "apiId",
            "domainName",
            "domainPrefix",
            "requestId",
            "time",
            "timeEpoch",
        ] {
            assert!(
                context.get(field).is_some(),
                "{name}: requestContext.{field}"
            );
        }
        for field in ["protocol", "sourceIp", "userAgent"] {
            assert!(
                context["http"].get(field).is_some(),
                "{name}: requestContext.http.{field}"
            );
        }
        assert!(
            event["isBase64Encoded"].is_boolean(),
            "{name}: isBase64Encoded"
        );
        assert!(
            event["rawQueryString"].is_string(),
            "{name}: rawQueryString"
        );
        let headers = event["headers"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: headers"));
        for header in headers.keys() {
            assert_eq!(
                header,
                &header.to_ascii_lowercase(),
                "{name}: API Gateway lower-cases {header}"
            );
        }
        let method = context["http"]["method"].as_str().unwrap();
        let path = event["rawPath"].as_str().unwrap();
        assert_eq!(request.method().as_str(), method, "{name}");
        assert_eq!(request.uri().path(), path, "{name}");
        assert_eq!(
            event["routeKey"].as_str(),
            Some(routes[&sample.function].as_str()),
            "{name}: the routeKey of its function"
        );

        // API Gateway picks the route by method and path, as resolve() does.
        match resolve(method, path) {
            Resolved::Route(route, params) => {
                assert_eq!(
                    route.function, sample.function,
                    "{name}: {method} {path} is another route"
                );
                // API Gateway leaves pathParameters out when a route has none.
                let expected: Map<String, Value> = params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v)))
                    .collect();
                let expected = if expected.is_empty() {
                    Value::Null
                } else {
                    Value::Object(expected)
                };
                assert_eq!(event["pathParameters"], expected, "{name}: pathParameters");
                assert!(match_path(route.path, path).is_some());
            }
            _ => {
                assert_eq!(
                    sample.function, FALLBACK_FUNCTION,
                    "{name}: {method} {path} matches no route"
                );
                assert!(
                    event.get("pathParameters").is_none(),
                    "{name}: $default has no path parameters"
                );
            }
        }
    }
}

/// Every way a record of a table stream event differs from what DynamoDB
/// Streams delivers for this table (NEW_AND_OLD_IMAGES, keys pk and sk).
fn stream_record_problems(sample: &SampleEvent) -> Vec<String> {
    let name = sample.file();
    let event = match sample.stream_event() {
        Ok(event) => event,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if event.records.is_empty() {
        problems.push(format!("{name}: a stream event has at least one record"));
    }
    let raw = sample.event["Records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, (record, json)) in event.records.iter().zip(&raw).enumerate() {
        let at = format!("{name}: Records[{i}]");
        let mut check = |ok: bool, what: &str| {
            if !ok {
                problems.push(format!("{at}: {what}"));
            }
        };
        check(
            record.event_source.as_deref() == Some("aws:dynamodb"),
            "eventSource is aws:dynamodb",
        );
        check(!record.event_id.is_empty(), "an eventID");
        check(
            record.event_version.as_deref() == Some("1.1"),
            "eventVersion is 1.1",
        );
        let arn = record.event_source_arn.as_deref().unwrap_or("");
        check(
            arn.starts_with("arn:aws:dynamodb:") && arn.contains(":table/") && arn.contains("/stream/"),
            "eventSourceARN is a table's stream (arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<time>)",
        );
        let change = &json["dynamodb"];
        check(
            change["StreamViewType"] == "NEW_AND_OLD_IMAGES",
            "StreamViewType is the table's, NEW_AND_OLD_IMAGES",
        );
        check(
            record
                .change
                .sequence_number
                .as_deref()
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())),
            "a SequenceNumber of digits (what a partial batch failure reports)",
        );
        check(change["SizeBytes"].as_u64().is_some(), "SizeBytes");
        check(
            change["ApproximateCreationDateTime"].is_number(),
            "ApproximateCreationDateTime, in seconds",
        );
        let keys = change["Keys"].as_object();
        check(
            keys.is_some_and(|k| {
                k.len() == 2 && k["pk"]["S"].is_string() && k["sk"]["S"].is_string()
            }),
            "Keys are exactly pk and sk, strings",
        );
        let (new, old) = (change.get("NewImage"), change.get("OldImage"));
        let images_ok = match record.event_name.as_str() {
            "INSERT" => new.is_some() && old.is_none(),
            "MODIFY" => new.is_some() && old.is_some(),
            "REMOVE" => new.is_none() && old.is_some(),
            _ => false,
        };
        check(
            images_ok,
            "eventName is INSERT (NewImage only), MODIFY (both) or REMOVE (OldImage only)",
        );
        for image in [new, old].into_iter().flatten() {
            check(
                image["pk"] == change["Keys"]["pk"] && image["sk"] == change["Keys"]["sk"],
                "each image holds the record's Keys",
            );
        }
    }
    problems
}

#[test]
fn every_worker_event_is_what_its_trigger_delivers() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for sample in sample_events() {
        let Some(worker) = sample.worker() else {
            continue;
        };
        seen += 1;
        match worker.trigger {
            Trigger::TableStream => problems.extend(stream_record_problems(&sample)),
            // Its shape is checked as it is loaded (`sample_events`).
            Trigger::Schedule(_) => {}
        }
    }
    assert!(seen > 0, "no worker events: events/fan_out.json is missing");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Declared permissions no sample event exercises, each with the reason it
/// is still needed; any other declared but unused permission is a grant
/// wider than the code.
const EXERCISED_ELSEWHERE: &[(&str, Action, &str)] = &[
    (
        "create_user",
        Action::DeleteItem,
        "undoes a registration whose answer was lost (tests/tests/api/faults.rs)",
    ),
    (
        "get_token",
        Action::DeleteItem,
        "deletes a token whose answer was lost (tests/tests/api/faults.rs)",
    ),
    (
        "fan_out",
        Action::UpdateItem,
        "marks an author popular on reaching POPULAR_FOLLOWERS (tests/tests/api/feed.rs)",
    ),
];

/// Declared leading keys no sample event touches, each with the test that
/// does and why it is needed; like [`EXERCISED_ELSEWHERE`].
const KEYS_TOUCHED_ELSEWHERE: &[(&str, &str, &str)] = &[
    (
        "purge_user",
        "FEED#*",
        "deletes a deleted user's feed (tests/tests/api/accounts.rs)",
    ),
    (
        "purge_user",
        "TOKEN#*",
        "deletes a deleted user's access tokens (tests/tests/api/accounts.rs)",
    ),
];

#[tokio::test]
async fn every_event_gets_its_expected_answer_in_process_using_only_what_its_function_declares() {
    let mut failures = Vec::new();
    let mut exercised: BTreeMap<String, BTreeSet<Access>> = BTreeMap::new();
    let mut touched: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sample in sample_events() {
        let name = sample.file();
        let ran = match sample.worker() {
            Some(_) => run_worker_event(&sample)
                .await
                .map(|(response, used)| (response_differences(&sample.expect, &response), used)),
            None => run_event(&sample, &sample.function)
                .await
                .map(|(answer, used)| (differences(&sample.expect, &answer), used)),
        };
        match ran {
            Ok((found, used)) => {
                for difference in found {
                    failures.push(format!("{name}: {difference}"));
                }
                for problem in undeclared(&sample.function, &used) {
                    failures.push(format!("{name}: {problem}"));
                }
                let seen = exercised.entry(sample.function.clone()).or_default();
                seen.extend(used.iter().filter_map(|u| match u {
                    Used::Access(access) => Some(*access),
                    Used::Undeclarable(_) | Used::PartitionKey(_) => None,
                }));
                let keys = touched.entry(sample.function.clone()).or_default();
                keys.extend(used.iter().filter_map(|u| match u {
                    Used::PartitionKey(pk) => Some(pk.clone()),
                    _ => None,
                }));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    // The other direction: everything declared (and so granted) is used.
    for function in functions() {
        let seen = exercised.get(function).cloned().unwrap_or_default();
        for access in dynamodb_of(function).unwrap_or_default() {
            let elsewhere = EXERCISED_ELSEWHERE
                .iter()
                .any(|(f, action, _)| *f == function && *action == access.action);
            if !seen.contains(access) && !elsewhere {
                failures.push(format!(
                    "{function} declares {access}, but none of its events uses it: drop it from shared/src/routes/mod.rs and template.yaml, or add an event that needs it"
                ));
            }
        }
        // And every declared partition key is touched by some event.
        let keys = touched.get(function).cloned().unwrap_or_default();
        for pattern in leading_keys_of(function).unwrap_or_default() {
            let elsewhere = KEYS_TOUCHED_ELSEWHERE
                .iter()
                .any(|(f, key, _)| *f == function && key == pattern);
            if !elsewhere && !keys.iter().any(|pk| key_patterns::matches(pattern, pk)) {
                failures.push(format!(
                    "{function} declares the leading key {pattern:?}, but none of its events touches it: drop it from shared/src/routes/mod.rs and template.yaml, or add an event that needs it"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
