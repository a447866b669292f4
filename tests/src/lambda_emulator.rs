//! Runs a real function binary the way AWS Lambda does: a Runtime API
//! emulator on loopback hands the process one event per
//! `GET /2018-06-01/runtime/invocation/next` and captures what it posts back
//! (response, invocation error or init error). Used by the smoke test
//! (`tests/tests/smoke.rs`) and the benchmark (`bench/`).
//!
//! Also here: the environment Lambda gives a function, a child-process
//! wrapper that keeps its logs and peak memory, and building and finding the
//! function binaries of the workspace.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

/// What a function posted back for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`: the handler's result.
    Response(Vec<u8>),
    /// `POST /runtime/invocation/{id}/error`: the handler failed.
    Error {
        /// The `lambda-runtime-function-error-type` header, if sent.
        error_type: Option<String>,
        /// The error document.
        body: Vec<u8>,
    },
}

impl Outcome {
    /// The posted body as text, for messages.
    pub fn body_text(&self) -> String {
        match self {
            Outcome::Response(body) | Outcome::Error { body, .. } => {
                String::from_utf8_lossy(body).into_owned()
            }
        }
    }
}

/// What a function posted to `/runtime/init/error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitError {
    /// The `lambda-runtime-function-error-type` header, if sent.
    pub error_type: Option<String>,
    /// The error document.
    pub body: String,
}

struct Pending {
    event: Bytes,
    done: oneshot::Sender<Outcome>,
}

struct State {
    function_name: String,
    queue: Mutex<VecDeque<Pending>>,
    queued: Notify,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    first_poll: watch::Sender<Option<Instant>>,
    init_error: watch::Sender<Option<InitError>>,
    next_id: AtomicU64,
}

/// A Lambda Runtime API (version 2018-06-01) on an ephemeral loopback port,
/// serving one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts serving; `function_name` goes into the invoked function ARN.
    pub async fn start(function_name: &str) -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            function_name: function_name.to_string(),
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            in_flight: Mutex::new(HashMap::new()),
            first_poll: watch::channel(None).0,
            init_error: watch::channel(None).0,
            next_id: AtomicU64::new(1),
        });
        let (stop, mut stopped) = oneshot::channel::<()>();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let state = serving.clone();
                        connections.spawn(async move {
                            let service = service_fn(move |req| handle(state.clone(), req));
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                        });
                    }
                }
            }
            connections.abort_all();
        });
        Ok(RuntimeApi {
            addr,
            state,
            stop: Some(stop),
            task,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `event` for the next `/invocation/next` and waits for what
    /// the function posts back. Never times out: wrap it, or use
    /// [`FunctionProcess::invoke`], which also notices the process dying.
    pub async fn invoke(&self, event: impl Into<Vec<u8>>) -> Outcome {
        let (done, outcome) = oneshot::channel();
        self.state.queue.lock().unwrap().push_back(Pending {
            event: Bytes::from(event.into()),
            done,
        });
        self.state.queued.notify_one();
        outcome.await.unwrap_or_else(|_| Outcome::Error {
            error_type: Some("Emulator.Dropped".into()),
            body: b"the emulator dropped the invocation".to_vec(),
        })
    }

    /// When the function first asked for an invocation, if it has.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.state.first_poll.borrow()
    }

    /// Waits until the function first asks for an invocation.
    pub async fn wait_first_poll(&self) -> Instant {
        let mut rx = self.state.first_poll.subscribe();
        let seen = rx
            .wait_for(Option::is_some)
            .await
            .expect("the sender lives in self");
        seen.expect("waited for Some")
    }

    /// The init error the function reported, if any.
    pub fn init_error(&self) -> Option<InitError> {
        self.state.init_error.borrow().clone()
    }

    /// Stops serving.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

fn accepted() -> Response<Full<Bytes>> {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn error_type(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    const PREFIX: &str = "/2018-06-01/runtime/";
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown path"}"#,
        ));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["invocation", "next"]) => {
            state.first_poll.send_if_modified(|first| {
                let unset = first.is_none();
                if unset {
                    *first = Some(Instant::now());
                }
                unset
            });
            let pending = loop {
                let notified = state.queued.notified();
                if let Some(pending) = state.queue.lock().unwrap().pop_front() {
                    break pending;
                }
                notified.await;
            };
            // Wake any other waiter if more events are queued.
            if !state.queue.lock().unwrap().is_empty() {
                state.queued.notify_one();
            }
            let id = format!(
                "00000000-0000-4000-8000-{:012}",
                state.next_id.fetch_add(1, Ordering::Relaxed)
            );
            state
                .in_flight
                .lock()
                .unwrap()
                .insert(id.clone(), pending.done);
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                + Duration::from_secs(30);
            let response = Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("lambda-runtime-aws-request-id", &id)
                .header(
                    "lambda-runtime-deadline-ms",
                    deadline.as_millis().to_string(),
                )
                .header(
                    "lambda-runtime-invoked-function-arn",
                    format!(
                        "arn:aws:lambda:us-east-1:000000000000:function:{}",
                        state.function_name
                    ),
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
                )
                .body(Full::new(pending.event))
                .expect("valid response parts");
            Ok(response)
        }
        (Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let error_type = error_type(&req);
            let body = req.into_body().collect().await?.to_bytes().to_vec();
            let Some(done) = state.in_flight.lock().unwrap().remove(*id) else {
                return Ok(reply(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorType":"InvalidRequestID","errorMessage":"no such invocation"}"#,
                ));
            };
            let outcome = if *kind == "response" {
                Outcome::Response(body)
            } else {
                Outcome::Error { error_type, body }
            };
            let _ = done.send(outcome);
            Ok(accepted())
        }
        (Method::POST, ["init", "error"]) => {
            let error_type = error_type(&req);
            let body = req.into_body().collect().await?.to_bytes();
            let body = String::from_utf8_lossy(&body).into_owned();
            state
                .init_error
                .send_replace(Some(InitError { error_type, body }));
            Ok(accepted())
        }
        _ => Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown path"}"#,
        )),
    }
}

/// The environment Lambda sets for a function named `function`, talking to
/// the Runtime API at `runtime_api`, with dummy credentials. Add
/// `TABLE_NAME` and `AWS_ENDPOINT_URL_DYNAMODB` for a working function.
pub fn lambda_env(function: &str, runtime_api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]00000000000000000000000000000000".to_string(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCALSMOKETEST00".to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "local-smoke-test-secret".to_string(),
        ),
        ("AWS_SESSION_TOKEN", "local-smoke-test-session".to_string()),
        ("LAMBDA_TASK_ROOT", "/var/task".to_string()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_string()),
        ("_HANDLER", "bootstrap".to_string()),
        ("TZ", ":UTC".to_string()),
        ("LANG", "en_US.UTF-8".to_string()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A function process with exactly the given environment, its output kept
/// for messages. Killed when dropped.
pub struct FunctionProcess {
    child: Child,
    /// When it was spawned.
    pub spawned: Instant,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl FunctionProcess {
    /// Execs `binary` with only `env` set (as Lambda does), from a
    /// temporary working directory.
    pub fn spawn(binary: &Path, env: &[(String, String)]) -> std::io::Result<FunctionProcess> {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = Instant::now();
        let mut child = command.spawn()?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        let streams: [Option<Box<dyn Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ];
        for mut stream in streams.into_iter().flatten() {
            let output = output.clone();
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }));
        }
        Ok(FunctionProcess {
            child,
            spawned,
            output,
            readers,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size (`VmHWM`) in KiB, while the process lives.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The exit status, if the process has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Invokes the function with `event` through `api`, giving up after
    /// `timeout` or as soon as the process exits.
    pub async fn invoke(
        &mut self,
        api: &RuntimeApi,
        event: impl Into<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Outcome, String> {
        let outcome = api.invoke(event);
        tokio::pin!(outcome);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tokio::select! {
                outcome = &mut outcome => return Ok(outcome),
                _ = &mut deadline => return Err(format!("no response within {timeout:?}")),
                _ = tick.tick() => {
                    if let Some(status) = self.try_exit() {
                        return Err(format!("the process exited ({status}) before responding"));
                    }
                }
            }
        }
    }

    /// Kills the process (if still running) and returns everything it wrote
    /// to stdout and stderr.
    pub fn kill(&mut self) -> String {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        self.output()
    }

    /// What the process has written to stdout and stderr so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// Every function binary's name (the files of `functions/src/bin/`), sorted.
pub fn function_names() -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = microblog_functions::FUNCTIONS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    names.sort();
    Ok(names)
}

/// The profile directory of the running executable (`target/debug` for a
/// test in `target/debug/deps/`, `target/release` for a release binary).
pub fn current_profile_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir
        .file_name()
        .is_some_and(|n| n == "deps" || n == "examples")
    {
        dir.pop();
    }
    Ok(dir)
}

/// The cargo profile whose output directory is `dir` (`debug` is `dev`).
pub fn profile_of_dir(dir: &Path) -> String {
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_string(),
        Some(name) => name.to_string(),
    }
}

/// Builds every binary of the workspace with `profile` (via `$CARGO`, else
/// `cargo`) and returns the executable of each function in `functions`.
/// The paths come from cargo's own artifact messages; a function cargo did
/// not mention is looked for in `fallback_dir`.
pub fn build_function_binaries(
    profile: &str,
    functions: &[String],
    fallback_dir: &Path,
) -> Result<BTreeMap<String, PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    // Cargo gives a test the variables of the crate under test; some build
    // scripts (ring's) track one, so passing them on would make this build
    // and a plain `cargo build` rebuild each other's dependencies.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let per_crate = matches!(
            name.as_ref(),
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        ) || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_");
        if per_crate {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .current_dir(workspace_root())
        .args(["build", "--bins", "--workspace", "--profile", profile])
        .args(["--message-format", "json-render-diagnostics"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cargo:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build --bins --workspace --profile {profile}` failed ({})",
            output.status
        ));
    }
    let mut found = BTreeMap::new();
    for line in output.stdout.split(|b| *b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let (Some(name), Some(exe)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) else {
            continue;
        };
        if functions.iter().any(|f| f == name) {
            found.insert(name.to_string(), PathBuf::from(exe));
        }
    }
    for function in functions {
        if !found.contains_key(function) {
            let candidate = fallback_dir.join(function);
            if !candidate.is_file() {
                return Err(format!(
                    "no binary for function {function} (looked in {})",
                    candidate.display()
                ));
            }
            found.insert(function.clone(), candidate);
        }
    }
    Ok(found)
}
