//! The sample events: shaped as API Gateway sends them for their route, and
//! answered as their expectations say, using only declared DynamoDB access.

use microblog_shared::routes::{match_path, resolve, Resolved, FALLBACK_FUNCTION};
use microblog_tests::events::{differences, sample_events};
use microblog_tests::recorder::{run_event, undeclared};
use microblog_tests::template::route_keys;
use serde_json::{Map, Value};

#[test]
fn every_event_is_an_api_gateway_payload_2_0_request_for_its_route() {
    let routes = route_keys();
    for sample in sample_events() {
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

#[tokio::test]
async fn every_event_gets_its_expected_answer_in_process_using_only_what_its_function_declares() {
    let mut failures = Vec::new();
    for sample in sample_events() {
        let name = sample.file();
        match run_event(&sample, &sample.function).await {
            Ok((answer, used)) => {
                for difference in differences(&sample.expect, &answer) {
                    failures.push(format!("{name}: {difference}"));
                }
                for problem in undeclared(&sample.function, &used) {
                    failures.push(format!("{name}: {problem}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
