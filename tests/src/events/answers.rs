//! An expectation (`<event>.expect.json`), an answer however the function
//! ran (an HTTP answer, or a worker's JSON response), and every difference
//! between them.

use std::collections::BTreeMap;

use base64::Engine as _;
use lambda_http::{Body, Response};
use serde::Deserialize;
use serde_json::Value;

/// What a sample event must be answered with: an HTTP answer (`status`,
/// with `json`, `headers`, `body`), or a worker's `response`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The status code of an HTTP answer.
    #[serde(default)]
    pub status: Option<u16>,
    /// A subset of the JSON body.
    #[serde(default)]
    pub json: Option<Value>,
    /// Header values by lower-case name; `None` (JSON `null`) for a header
    /// that must be absent.
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    /// The whole body, as text.
    #[serde(default)]
    pub body: Option<String>,
    /// A subset of the JSON a worker's handler returns (as `json` is of a
    /// body), e.g. `{"batchItemFailures": []}`.
    #[serde(default)]
    pub response: Option<Value>,
    /// Free text for the reader.
    #[serde(default)]
    pub description: Option<String>,
}

impl Expectation {
    /// Parses an `.expect.json`, checking what its type cannot say.
    pub fn parse(text: &str) -> Result<Expectation, String> {
        let expect: Expectation = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Some(status) = expect.status else {
            if expect.response.is_none() {
                return Err("expects neither a `status` nor a worker's `response`".to_string());
            }
            if expect.json.is_some() || expect.body.is_some() || !expect.headers.is_empty() {
                return Err(
                    "a worker's `response` has no `json`, `body` or `headers` (those are HTTP's)"
                        .to_string(),
                );
            }
            return Ok(expect);
        };
        if expect.response.is_some() {
            return Err("expects both an HTTP `status` and a worker's `response`".to_string());
        }
        if !(100..600).contains(&status) {
            return Err(format!("status {status} is no HTTP status"));
        }
        if status == 204 && (expect.json.is_some() || expect.body.is_some()) {
            return Err("a 204 has no body to expect".to_string());
        }
        if let Some(name) = expect
            .headers
            .keys()
            .find(|n| **n != n.to_ascii_lowercase())
        {
            return Err(format!("header {name:?}: names are lower case"));
        }
        Ok(expect)
    }

    /// Whether it expects a worker's response rather than an HTTP answer.
    pub fn is_worker_response(&self) -> bool {
        self.status.is_none()
    }
}

/// An answer as a client sees it, from whichever way the function ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header values by lower-case name; repeated headers joined by `,`.
    pub headers: BTreeMap<String, String>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The answer a handler returned in-process.
    pub fn from_response(response: &Response<Body>) -> Answer {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|joined| {
                    joined.push(',');
                    joined.push_str(&value);
                })
                .or_insert(value);
        }
        let body = match response.body() {
            Body::Text(text) => text.clone(),
            Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        Answer {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }

    /// The answer in an API Gateway payload 2.0 response, as a Lambda
    /// binary returns it to the Runtime API.
    pub fn from_gateway(response: &Value) -> Result<Answer, String> {
        let status = response["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| format!("a response without a statusCode: {response}"))?;
        let mut headers = BTreeMap::new();
        if let Some(multi) = response["multiValueHeaders"].as_object() {
            for (name, values) in multi {
                let joined = match values {
                    Value::Array(values) => values
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                    Value::String(value) => value.clone(),
                    _ => continue,
                };
                headers.insert(name.to_ascii_lowercase(), joined);
            }
        }
        if let Some(single) = response["headers"].as_object() {
            for (name, value) in single {
                if let Some(value) = value.as_str() {
                    headers.insert(name.to_ascii_lowercase(), value.to_string());
                }
            }
        }
        let raw = response["body"].as_str().unwrap_or("");
        let body = if response["isBase64Encoded"] == Value::Bool(true) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|e| format!("the body is marked base64 but is not: {e}"))?;
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            raw.to_string()
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// Every way the HTTP `answer` differs from `expect`, one sentence each.
pub fn differences(expect: &Expectation, answer: &Answer) -> Vec<String> {
    let mut found = Vec::new();
    let Some(status) = expect.status else {
        return vec![format!(
            "expected a worker's response, got an HTTP answer with status {}",
            answer.status
        )];
    };
    if answer.status != status {
        found.push(format!("status is {}, expected {status}", answer.status));
    }
    for (name, expected) in &expect.headers {
        match (expected, answer.headers.get(name)) {
            (None, None) => {}
            (None, Some(actual)) => found.push(format!(
                "header {name} is {actual:?}, expected it to be absent"
            )),
            (Some(expected), Some(actual)) if expected == actual => {}
            (Some(expected), Some(actual)) => found.push(format!(
                "header {name} is {actual:?}, expected {expected:?}"
            )),
            (Some(expected), None) => {
                found.push(format!("header {name} is absent, expected {expected:?}"))
            }
        }
    }
    if status == 204 && !answer.body.is_empty() {
        found.push(format!("a 204 has the body {:?}", answer.body));
    }
    if let Some(expected) = &expect.body {
        if *expected != answer.body {
            found.push(format!("body is {:?}, expected {expected:?}", answer.body));
        }
    }
    if let Some(expected) = &expect.json {
        match serde_json::from_str::<Value>(&answer.body) {
            Ok(actual) => json_differences("json", expected, &actual, &mut found),
            Err(e) => found.push(format!("the body is not JSON ({e}): {:?}", answer.body)),
        }
    }
    found
}

/// Every way a worker's `response` (the JSON its handler returned) differs
/// from `expect`, one sentence each.
pub fn response_differences(expect: &Expectation, response: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match &expect.response {
        Some(expected) => json_differences("response", expected, response, &mut found),
        None => found.push(format!(
            "expected an HTTP answer, got a worker's response {response}"
        )),
    }
    found
}

/// Where `actual` does not contain the subset `expected`, from `at` down.
fn json_differences(at: &str, expected: &Value, actual: &Value, found: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let path = format!("{at}.{key}");
                match actual.get(key) {
                    Some(member) => json_differences(&path, value, member, found),
                    None => found.push(format!("{path} is missing, expected {value}")),
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() != actual.len() => {
            found.push(format!(
                "{at} has {} elements, expected {}",
                actual.len(),
                expected.len()
            ));
        }
        (Value::Array(expected), Value::Array(actual)) => {
            for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
                json_differences(&format!("{at}[{i}]"), e, a, found);
            }
        }
        _ if expected == actual => {}
        _ => found.push(format!("{at} is {actual}, expected {expected}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
    }

    fn expectation(value: Value) -> Expectation {
        Expectation::parse(&value.to_string()).expect("a valid expectation")
    }

    #[test]
    fn a_matching_answer_has_no_differences() {
        let expect = expectation(json!({
            "status": 404,
            "json": {"error": "Not Found", "items": [1, {"a": 2}]},
            "headers": {"content-type": "application/json", "allow": null},
            "description": "extra members and headers are fine",
        }));
        let actual = answer(
            404,
            &[("content-type", "application/json"), ("x-more", "1")],
            r#"{"error":"Not Found","message":"m","items":[1,{"a":2,"b":3}]}"#,
        );
        assert_eq!(differences(&expect, &actual), Vec::<String>::new());
    }

    #[test]
    fn the_comparison_reports_every_kind_of_difference() {
        let expect = expectation(json!({
            "status": 200,
            "json": {"error": "gone", "missing": 1, "short": [1], "nested": {"x": [true]}},
            "headers": {"content-type": "text/plain", "location": "/x", "allow": null},
        }));
        let actual = answer(
            404,
            &[("content-type", "application/json"), ("allow", "GET")],
            r#"{"error":"Not Found","short":[1,2],"nested":{"x":[false]}}"#,
        );
        let found = differences(&expect, &actual);
        for part in [
            "status is 404, expected 200",
            "header content-type is \"application/json\", expected \"text/plain\"",
            "header location is absent, expected \"/x\"",
            "header allow is \"GET\", expected it to be absent",
            "json.error is \"Not Found\", expected \"gone\"",
            "json.missing is missing",
            "json.short has 2 elements, expected 1",
            "json.nested.x[0] is false, expected true",
        ] {
            assert!(
                found.iter().any(|f| f.contains(part)),
                "{part:?} not in {found:#?}"
            );
        }
        assert_eq!(found.len(), 8, "{found:#?}");
    }

    #[test]
    fn the_comparison_reports_a_wrong_text_body_a_body_that_is_not_json_and_a_204_with_a_body() {
        let text = expectation(json!({"status": 200, "body": "ok"}));
        assert_eq!(
            differences(&text, &answer(200, &[], "ko")),
            vec!["body is \"ko\", expected \"ok\""]
        );
        let json = expectation(json!({"status": 200, "json": {}}));
        let found = differences(&json, &answer(200, &[], "<html>"));
        assert!(found[0].starts_with("the body is not JSON"), "{found:?}");
        let empty = expectation(json!({"status": 204}));
        assert_eq!(
            differences(&empty, &answer(204, &[], "x")),
            vec!["a 204 has the body \"x\""]
        );
    }

    #[test]
    fn an_expectation_with_an_unknown_key_a_bad_status_or_an_upper_case_header_is_refused() {
        for bad in [
            json!({"status": 200, "header": {}}),
            json!({"json": {}}),
            json!({"status": 42}),
            json!({"status": 204, "json": {}}),
            json!({"status": 200, "headers": {"Content-Type": "x"}}),
            json!({"status": 200, "response": {}}),
            json!({"response": {}, "json": {}}),
            json!({"response": {}, "headers": {"allow": null}}),
        ] {
            assert!(Expectation::parse(&bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_worker_response_is_compared_as_a_subset_and_never_with_an_http_answer() {
        let expect = expectation(json!({"response": {"batchItemFailures": []}}));
        assert!(expect.is_worker_response());
        assert_eq!(
            response_differences(&expect, &json!({"batchItemFailures": [], "more": 1})),
            Vec::<String>::new()
        );
        assert_eq!(
            response_differences(
                &expect,
                &json!({"batchItemFailures": [{"itemIdentifier": "7"}]})
            ),
            vec!["response.batchItemFailures has 1 elements, expected 0"]
        );
        assert!(differences(&expect, &answer(200, &[], "{}"))[0]
            .starts_with("expected a worker's response"));
        let http = expectation(json!({"status": 200}));
        assert!(!http.is_worker_response());
        assert!(response_differences(&http, &json!({}))[0].starts_with("expected an HTTP answer"));
    }

    #[test]
    fn a_gateway_response_is_read_with_its_headers_joined_and_its_body_decoded() {
        let response = json!({
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"x-many": ["a", "b"]},
            "body": "eyJhIjoxfQ==",
            "isBase64Encoded": true,
        });
        assert_eq!(
            Answer::from_gateway(&response).unwrap(),
            answer(
                200,
                &[("content-type", "application/json"), ("x-many", "a,b")],
                r#"{"a":1}"#
            )
        );
        assert!(Answer::from_gateway(&json!({"body": ""})).is_err());
    }
}
