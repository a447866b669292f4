//! `microblog-local` started against a DynamoDB endpoint that cannot serve
//! it: the real binary exits non-zero within a bounded time with one line
//! naming the endpoint, the cause and what to check, never an HTTP status.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary against `endpoint` with short client timeouts; returns
/// its exit status, stderr and how long it took. Fails the test if it is
/// still running after `limit`.
fn start_against(endpoint: &str, limit: Duration) -> (bool, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_microblog-local"))
        .args(["--port", "0", "--memory"])
        .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("DYNAMODB_CONNECT_TIMEOUT_MS", "300")
        .env("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300")
        .env("DYNAMODB_OPERATION_TIMEOUT_MS", "1000")
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("microblog-local starts");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("microblog-local still running after {limit:?} against {endpoint}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.success(), stderr, started.elapsed())
}

fn assert_reads_as_a_terminal_message(stderr: &str, endpoint: &str, cause: &str, check: &str) {
    assert!(stderr.contains(endpoint), "names the endpoint: {stderr}");
    assert!(
        stderr.contains(cause),
        "names the cause ({cause}): {stderr}"
    );
    assert!(stderr.contains(check), "says what to check: {stderr}");
    // Without the endpoint, whose port may hold "500" (127.0.0.1:45003).
    let message = stderr.replace(endpoint, "");
    for http in ["500", "503", "Internal Server Error", "Service Unavailable"] {
        assert!(
            !message.contains(http),
            "an HTTP status on a terminal: {stderr}"
        );
    }
}

#[test]
fn an_endpoint_refusing_connections_stops_start_up_at_once_naming_it() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (ok, stderr, took) = start_against(&endpoint, Duration::from_secs(20));
    assert!(!ok, "exit status must be non-zero");
    assert_reads_as_a_terminal_message(
        &stderr,
        &endpoint,
        "Connection refused",
        "check that the engine is running",
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn an_endpoint_that_accepts_and_never_answers_stops_start_up_within_the_operation_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept every connection and hold it open, saying nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let (ok, stderr, took) = start_against(&endpoint, Duration::from_secs(20));
    assert!(!ok, "exit status must be non-zero");
    assert_reads_as_a_terminal_message(
        &stderr,
        &endpoint,
        "did not answer within 1000 ms",
        "DYNAMODB_OPERATION_TIMEOUT_MS",
    );
    // The operation timeout (1 s), plus start-up and a loaded machine.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}
