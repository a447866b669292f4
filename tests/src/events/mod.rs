//! The sample events in `events/` and what each must be answered with.
//!
//! Every `events/<function>[.<case>].json` is an event for `<function>` as
//! AWS delivers it; `<function>[.<case>].expect.json` describes its answer.
//!
//! For an HTTP function (a route, or the fallback) the event is an API
//! Gateway (HTTP API, payload 2.0) request and the expectation an HTTP
//! answer:
//!
//! ```json
//! {"status": 404, "json": {"error": "Not Found"}, "headers": {"allow": null}}
//! ```
//!
//! `status` is required. `json` is a subset of the JSON body (objects may
//! have more members, arrays must have the same length and match element by
//! element), `headers` maps lower-case names to values (`null`: the header
//! must be absent), `body` is the whole body as text, and `description` is
//! free text for the reader.
//!
//! For a worker (a function of `WORKERS`, such as `fan_out`) the event is
//! what its trigger delivers (for the table's stream, a DynamoDB stream
//! event `{"Records": [...]}`, which must parse as
//! `aws_lambda_events::event::dynamodb::Event`) and the expectation is the
//! JSON the handler returns, under `response`, compared as `json` is:
//!
//! ```json
//! {"response": {"batchItemFailures": []}, "description": "..."}
//! ```
//!
//! A worker's expectation has no `status`, `json`, `headers` or `body`, and
//! an HTTP one no `response`. The template checks, the in-process run, the
//! smoke test of the real binaries and the bench all read events through
//! this module and compare answers with [`differences`] (HTTP) or
//! [`response_differences`] (workers).

mod answers;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use microblog_shared::routes::{Trigger, Worker};
use serde_json::Value;

use crate::declared::{functions, worker_of};
use crate::lambda_emulator::workspace_root;

pub use answers::{differences, response_differences, Answer, Expectation};

/// The file every function's settings for `sam local invoke` live in.
const ENV_FILE: &str = "env.json";

/// One sample event with its expectation.
#[derive(Debug, Clone)]
pub struct SampleEvent {
    /// The function it is for.
    pub function: String,
    /// The case (`not_found`), `None` for the function's success case.
    pub case: Option<String>,
    /// The event, as API Gateway sends it.
    pub event: Value,
    /// What the function must answer.
    pub expect: Expectation,
}

impl SampleEvent {
    /// `get_user.not_found`: the file name without `.json`.
    pub fn name(&self) -> String {
        match &self.case {
            Some(case) => format!("{}.{case}", self.function),
            None => self.function.clone(),
        }
    }

    /// `events/get_user.not_found.json`, for messages.
    pub fn file(&self) -> String {
        format!("events/{}.json", self.name())
    }

    /// The event as the request `lambda_http` hands a handler; panics for
    /// a worker's event.
    pub fn request(&self) -> lambda_http::Request {
        assert!(
            self.worker().is_none(),
            "{}: a worker's event is no HTTP request",
            self.file()
        );
        lambda_http::request::from_str(&self.event.to_string())
            .unwrap_or_else(|e| panic!("{}: lambda_http cannot read it: {e}", self.file()))
    }

    /// The worker the event is for; `None` for an HTTP function.
    pub fn worker(&self) -> Option<&'static Worker> {
        worker_of(&self.function)
    }

    /// The event as the DynamoDB stream event a stream worker's handler
    /// gets.
    pub fn stream_event(&self) -> Result<StreamEvent, String> {
        stream_event(&self.event).map_err(|e| format!("{}: {e}", self.file()))
    }
}

/// `event` read as a DynamoDB stream event.
fn stream_event(event: &Value) -> Result<StreamEvent, String> {
    serde_json::from_value(event.clone())
        .map_err(|e| format!("not a DynamoDB stream event (aws_lambda_events cannot read it): {e}"))
}

/// `events/`, or the directory `MICROBLOG_EVENTS_DIR` names.
pub fn events_dir() -> PathBuf {
    match std::env::var_os("MICROBLOG_EVENTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("events"),
    }
}

/// Every sample event of [`events_dir`]; panics listing every problem.
pub fn sample_events() -> Vec<SampleEvent> {
    let dir = events_dir();
    load(&dir, functions())
        .unwrap_or_else(|problems| panic!("{}:\n{}", dir.display(), problems.join("\n")))
}

/// The success case of `function`, `events/<function>.json`.
pub fn success_case(function: &str) -> Result<SampleEvent, String> {
    let dir = events_dir();
    load(&dir, functions())
        .map_err(|problems| format!("{}:\n{}", dir.display(), problems.join("\n")))?
        .into_iter()
        .find(|e| e.function == function && e.case.is_none())
        .ok_or_else(|| format!("there is no events/{function}.json"))
}

/// Reads every event in `dir` for one of `functions`, with its expectation.
/// Every file but `env.json` must be an event or its expectation, of the
/// kind its function needs (HTTP or a worker's trigger); `Err` names each
/// file that is not, or that is malformed.
pub fn load<'a>(
    dir: &Path,
    functions: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<SampleEvent>, Vec<String>> {
    let functions: BTreeSet<&str> = functions.into_iter().collect();
    let names: BTreeSet<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => return Err(vec![format!("cannot read {}: {e}", dir.display())]),
    };
    let mut problems = Vec::new();
    let mut events = Vec::new();
    for name in &names {
        if name == ENV_FILE {
            continue;
        }
        if let Some(base) = name.strip_suffix(".expect.json") {
            if !names.contains(&format!("{base}.json")) {
                problems.push(format!(
                    "{name} expects the answer to a missing {base}.json"
                ));
            }
            continue;
        }
        let Some(base) = name.strip_suffix(".json") else {
            problems.push(format!("{name} is neither an event nor an expectation"));
            continue;
        };
        let (function, case) = match base.split_once('.') {
            Some((function, case)) => (function, Some(case)),
            None => (base, None),
        };
        if !functions.contains(function) {
            problems.push(format!("{name} names no function ({function})"));
            continue;
        }
        if let Some(case) = case.filter(|c| !is_snake_case(c)) {
            problems.push(format!("{name}: the case {case:?} is not snake_case"));
            continue;
        }
        let expect_name = format!("{base}.expect.json");
        if !names.contains(&expect_name) {
            problems.push(format!("{name} has no {expect_name}"));
            continue;
        }
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file)).map_err(|e| format!("{file}: {e}"))
        };
        let event = read(name).and_then(|text| {
            serde_json::from_str::<Value>(&text).map_err(|e| format!("{name} is not JSON: {e}"))
        });
        let expect = read(&expect_name)
            .and_then(|text| Expectation::parse(&text).map_err(|e| format!("{expect_name}: {e}")));
        let worker = worker_of(function);
        let expect = expect.and_then(|expect| match (worker, expect.is_worker_response()) {
            (Some(_), false) => Err(format!(
                "{expect_name}: {function} is a worker: expect its `response`, not a `status`"
            )),
            (None, true) => Err(format!(
                "{expect_name}: {function} answers HTTP: expect a `status`, not a `response`"
            )),
            _ => Ok(expect),
        });
        let event = event.and_then(|event| match worker.map(|w| w.trigger) {
            Some(Trigger::TableStream) => stream_event(&event)
                .map(|_| event)
                .map_err(|e| format!("{name} is {e}")),
            Some(Trigger::Schedule(_)) => {
                if event["source"] == "aws.events" && event["detail-type"] == "Scheduled Event" {
                    Ok(event)
                } else {
                    Err(format!(
                        "{name} is not EventBridge's scheduled event (source aws.events, detail-type Scheduled Event)"
                    ))
                }
            }
            None => Ok(event),
        });
        match (event, expect) {
            (Ok(event), Ok(expect)) => events.push(SampleEvent {
                function: function.to_string(),
                case: case.map(str::to_string),
                event,
                expect,
            }),
            (event, expect) => problems.extend(event.err().into_iter().chain(expect.err())),
        }
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(problems)
    }
}

fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loading_names_each_stray_file_bad_case_missing_expectation_and_unknown_function() {
        let dir = std::env::temp_dir().join(format!("microblog-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let event = json!({"version": "2.0"}).to_string();
        let expect = json!({"status": 200}).to_string();
        for (name, text) in [
            ("env.json", "{}"),
            ("get_user.json", event.as_str()),
            ("get_user.expect.json", expect.as_str()),
            ("get_user.Not-Snake.json", event.as_str()),
            ("get_user.Not-Snake.expect.json", expect.as_str()),
            ("get_user.no_answer.json", event.as_str()),
            ("get_user.orphan.expect.json", expect.as_str()),
            ("nobody.json", event.as_str()),
            ("nobody.expect.json", expect.as_str()),
            ("notes.txt", "x"),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let problems = load(&dir, ["get_user"]).expect_err("problems");
        std::fs::remove_dir_all(&dir).unwrap();
        for file in [
            "get_user.Not-Snake.json",
            "get_user.no_answer.json",
            "get_user.orphan.expect.json",
            "nobody.json",
            "notes.txt",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(file)),
                "{file} not in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn a_worker_needs_its_trigger_s_event_and_a_response_and_an_http_function_a_status() {
        let dir =
            std::env::temp_dir().join(format!("microblog-worker-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let stream = json!({"Records": []}).to_string();
        let http = json!({"version": "2.0"}).to_string();
        let response = json!({"response": {"batchItemFailures": []}}).to_string();
        let status = json!({"status": 200}).to_string();
        for (name, text) in [
            ("fan_out.json", stream.as_str()),
            ("fan_out.expect.json", response.as_str()),
            ("fan_out.http.json", http.as_str()),
            ("fan_out.http.expect.json", response.as_str()),
            ("fan_out.status.json", stream.as_str()),
            ("fan_out.status.expect.json", status.as_str()),
            ("get_user.json", http.as_str()),
            ("get_user.expect.json", response.as_str()),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let problems = load(&dir, ["fan_out", "get_user"]).expect_err("problems");
        std::fs::remove_dir_all(&dir).unwrap();
        for part in [
            "fan_out.http.json is not a DynamoDB stream event",
            "fan_out.status.expect.json: fan_out is a worker",
            "get_user.expect.json: get_user answers HTTP",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(part)),
                "{part} not in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 3, "{problems:#?}");
    }
}
