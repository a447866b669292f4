//! Smoke tests of the real Lambda binaries: each one is built, started with
//! the environment Lambda gives it, and driven through an emulated Lambda
//! Runtime API against an embedded DynamoDB engine holding the fixture data.
//!
//! Every sample event in `events/` (or the directory `MICROBLOG_EVENTS_DIR`
//! names) must get from its function's binary the answer its
//! `.expect.json` describes; `microblog_tests::events` reads both and
//! compares. An HTTP function's binary answers with an API Gateway
//! response; a worker's (`fan_out`, with a DynamoDB stream event) with its
//! handler's JSON, such as `{"batchItemFailures": []}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use microblog_local::engine::Engine;
use microblog_tests::events::{
    differences, events_dir, response_differences, sample_events, Answer, SampleEvent,
};
use microblog_tests::fixtures;
use microblog_tests::lambda_emulator::{
    build_function_binaries, current_profile_dir, function_names, lambda_env, profile_of_dir,
    FunctionProcess, Outcome, RuntimeApi,
};
use serde_json::Value;

/// Events run at the same time.
const PARALLEL: usize = 4;
/// How long one invocation (including start-up) may take.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);
/// The table the functions are configured with.
const TABLE: &str = "microblog-smoke";

/// The function binaries, built once for all tests of this file.
fn binaries() -> &'static BTreeMap<String, PathBuf> {
    static BINARIES: OnceLock<Result<BTreeMap<String, PathBuf>, String>> = OnceLock::new();
    let built = BINARIES.get_or_init(|| {
        let functions = function_names().map_err(|e| format!("cannot list functions/: {e}"))?;
        let dir =
            current_profile_dir().map_err(|e| format!("cannot find the target directory: {e}"))?;
        build_function_binaries(&profile_of_dir(&dir), &functions, &dir)
    });
    match built {
        Ok(binaries) => binaries,
        Err(e) => panic!("building the function binaries failed: {e}"),
    }
}

fn binary(function: &str) -> Result<&'static Path, String> {
    binaries()
        .get(function)
        .map(PathBuf::as_path)
        .ok_or_else(|| {
            format!("there is no function {function:?} (no functions/src/bin/{function}.rs)")
        })
}

/// An engine with the table created and the fixtures written.
async fn seeded_engine() -> Result<Engine, String> {
    fixtures::seeded_engine(TABLE).await
}

/// The environment of a correctly configured function.
fn configured_env(function: &str, api: &RuntimeApi, engine: &Engine) -> Vec<(String, String)> {
    let mut env = lambda_env(function, &api.address());
    env.push(("TABLE_NAME".into(), TABLE.into()));
    env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), engine.endpoint.clone()));
    env.push((
        "MAIL_OUTBOX_DIR".into(),
        fixtures::outbox_dir().display().to_string(),
    ));
    env
}

/// The last `max` characters of a process's output, for failure messages.
fn tail(output: &str, max: usize) -> String {
    let start = output.len().saturating_sub(max);
    let start = (start..=output.len())
        .find(|i| output.is_char_boundary(*i))
        .unwrap_or(0);
    let text = output[start..].trim_end();
    if text.is_empty() {
        "    (no output)".to_string()
    } else {
        text.lines()
            .map(|l| format!("    | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs one sample event through its function's binary; `Err` describes
/// every problem.
async fn run_case(case: &SampleEvent) -> Result<Duration, String> {
    let started = Instant::now();
    let binary = binary(&case.function)?;
    let engine = seeded_engine().await?;
    let api = RuntimeApi::start(&case.function)
        .await
        .map_err(|e| e.to_string())?;
    let mut process =
        FunctionProcess::spawn(binary, &configured_env(&case.function, &api, &engine))
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let outcome = process
        .invoke(&api, case.event.to_string(), INVOKE_TIMEOUT)
        .await;
    let output = process.kill();
    api.stop().await;
    let logs = || format!("\n  function output:\n{}", tail(&output, 3000));

    let response = match outcome {
        Ok(Outcome::Response(body)) => body,
        Ok(error @ Outcome::Error { .. }) => {
            return Err(format!(
                "the invocation failed: {}{}",
                error.body_text(),
                logs()
            ));
        }
        Err(e) => return Err(format!("{e}{}", logs())),
    };
    let response: Value = serde_json::from_slice(&response).map_err(|e| {
        format!(
            "the response is not JSON ({e}): {}",
            String::from_utf8_lossy(&response)
        )
    })?;
    let problems = match case.worker() {
        Some(_) => response_differences(&case.expect, &response),
        None => differences(&case.expect, &Answer::from_gateway(&response)?),
    };
    if problems.is_empty() {
        Ok(started.elapsed())
    } else {
        Err(format!("{}\n  response: {response}", problems.join("\n  ")))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_sample_event_gets_its_expected_response_from_the_real_binary() {
    let dir = events_dir();
    let cases = sample_events();
    assert!(
        !cases.is_empty(),
        "no events found in {} (expected <function>[.<case>].json files)",
        dir.display()
    );
    tokio::task::spawn_blocking(binaries)
        .await
        .expect("the build does not panic");

    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut runs = tokio::task::JoinSet::new();
    for case in cases {
        let limit = limit.clone();
        runs.spawn(async move {
            let _permit = limit
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let result = run_case(&case).await;
            (case.name(), result)
        });
    }
    let mut failures = Vec::new();
    let mut passed = 0;
    while let Some(joined) = runs.join_next().await {
        match joined {
            Ok((name, Ok(took))) => {
                passed += 1;
                eprintln!("ok   {name} ({} ms)", took.as_millis());
            }
            Ok((name, Err(problem))) => failures.push(format!("{name}: {problem}")),
            Err(e) => failures.push(format!("a case panicked: {e}")),
        }
    }
    failures.sort();
    eprintln!(
        "{passed} events passed, {} failed, in {} ms",
        failures.len(),
        started.elapsed().as_millis()
    );
    assert!(
        failures.is_empty(),
        "{} of {} events in {} got an unexpected response:\n\n{}\n",
        failures.len(),
        failures.len() + passed,
        dir.display(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_its_configuration_reports_an_init_error_and_exits() {
    tokio::task::spawn_blocking(binaries)
        .await
        .expect("the build does not panic");
    let mut failures = Vec::new();
    for (function, binary) in binaries() {
        let api = RuntimeApi::start(function)
            .await
            .expect("the emulator starts");
        // Everything Lambda sets, but no TABLE_NAME.
        let env = lambda_env(function, &api.address());
        let mut process = FunctionProcess::spawn(binary, &env).expect("the binary starts");
        let exited = process.wait_exit(INVOKE_TIMEOUT).await;
        let output = process.kill();
        let mut problems = Vec::new();
        match exited {
            None => problems.push(format!("still running after {INVOKE_TIMEOUT:?}")),
            Some(status) if status.success() => problems.push("exited successfully".to_string()),
            Some(_) => {}
        }
        match api.init_error() {
            None => problems.push("reported no init error to /runtime/init/error".to_string()),
            Some(init) if !init.body.contains("TABLE_NAME") => problems.push(format!(
                "reported an init error not naming TABLE_NAME: {}",
                init.body
            )),
            Some(init) => {
                if serde_json::from_str::<Value>(&init.body)
                    .map_or(true, |v| v["errorMessage"].as_str().is_none())
                {
                    problems.push(format!("the init error has no errorMessage: {}", init.body));
                }
            }
        }
        if api.first_poll().is_some() {
            problems.push("asked for an invocation despite failing to initialise".to_string());
        }
        if output.contains("panicked") {
            problems.push("panicked".to_string());
        }
        api.stop().await;
        if !problems.is_empty() {
            failures.push(format!(
                "{function}: {}\n  output:\n{}",
                problems.join("; "),
                tail(&output, 2000)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_no_api_gateway_sends_is_an_invocation_error_and_the_function_keeps_serving() {
    let binary = tokio::task::spawn_blocking(|| binary("get_user"))
        .await
        .expect("the build does not panic")
        .expect("get_user exists");
    let engine = seeded_engine().await.expect("the engine starts");
    let api = RuntimeApi::start("get_user")
        .await
        .expect("the emulator starts");
    let mut process = FunctionProcess::spawn(binary, &configured_env("get_user", &api, &engine))
        .expect("the binary starts");

    let bad = process
        .invoke(&api, br#"{"hello": "world"}"#.to_vec(), INVOKE_TIMEOUT)
        .await;
    let good_event = serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /api/users/{id}",
        "rawPath": "/api/users/2",
        "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {}", microblog_local::seed::FIXTURE_TOKEN)},
        "pathParameters": {"id": "2"},
        "requestContext": {
            "accountId": "000000000000", "apiId": "smoke", "domainName": "smoke.example.com",
            "domainPrefix": "smoke", "requestId": "smoke-1", "routeKey": "GET /api/users/{id}",
            "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000u64,
            "http": {"method": "GET", "path": "/api/users/2", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "smoke"}
        },
        "isBase64Encoded": false
    });
    let good = process
        .invoke(&api, good_event.to_string(), INVOKE_TIMEOUT)
        .await;
    let output = process.kill();

    match bad {
        Ok(Outcome::Error { .. }) => {}
        other => panic!(
            "expected an invocation error, got {other:?}\n{}",
            tail(&output, 3000)
        ),
    }
    match good {
        Ok(Outcome::Response(body)) => {
            let response: Value = serde_json::from_slice(&body).expect("a JSON response");
            assert_eq!(response["statusCode"], 200, "{response}");
            let user: Value = serde_json::from_str(response["body"].as_str().expect("a body"))
                .expect("a JSON body");
            assert_eq!(user["username"], "john", "{user}");
        }
        other => panic!(
            "expected a response after the bad event, got {other:?}\n{}",
            tail(&output, 3000)
        ),
    }
}
