//! `sam-local-invoke`: every sample event in `events/` through `sam local
//! invoke`, SAM's own Lambda emulator, on the functions `sam build` built,
//! each answer checked against its `.expect.json` by the events harness.
//!
//! `scripts/sam-local-check` runs it after `sam build`, with Docker and the
//! base image ready. It runs `--jobs` invocations at a time, each worker with
//! an embedded engine of its own on `--listen` (Docker's bridge address,
//! which containers reach as `host.docker.internal`): the first at the port
//! of the endpoint in the env file, the next ones at the ports after it, each
//! named in an env file of the worker's. Before each event the worker empties
//! the env file's table and writes the fixtures again: every expectation
//! holds for a freshly seeded table, whatever runs beside it.
//!
//! ```text
//! sam-local-invoke --listen 172.17.0.1 [--docker-network NAME] [--jobs N]
//!                  [--env-vars events/env.json]
//!                  [--template .aws-sam/build/template.yaml] [--sam sam] [NAME...]
//! ```
//!
//! A NAME selects an event (`get_user.not_found`) or all of a function's
//! events (`get_user`). Prints one line per event and `N passed, N failed`;
//! exits 1 when an event fails or none was run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use microblog_local::engine::{client_for_endpoint, Engine};
use microblog_shared::config::ClientSettings;
use microblog_tests::declared::functions;
use microblog_tests::events::{
    differences, events_dir, load, response_differences, Answer, SampleEvent,
};
use microblog_tests::fixtures::reseed;
use microblog_tests::template::Template;
use serde_json::Value;

/// The name containers reach the Docker host by (with `--add-host
/// host.docker.internal:<the --listen address>`: on the default bridge
/// that is Docker's `host-gateway`, and on a network of the check's own,
/// which `host-gateway` does not know, its gateway).
const DOCKER_HOST_NAME: &str = "host.docker.internal";
/// How long one `sam local invoke` may take. The first also builds SAM's
/// emulator image on the base image (under qemu on x86_64 hosts).
const INVOKE_TIMEOUT: Duration = Duration::from_secs(300);

const USAGE: &str = "usage: sam-local-invoke --listen ADDRESS [--docker-network NAME] [--jobs N] [--env-vars FILE] [--template FILE] [--sam PATH] [NAME...]";

/// Invocations at a time unless `--jobs` says otherwise. Most of an
/// invocation is waiting (SAM's start-up, Docker creating the container, the
/// emulator starting under qemu), so more run at once than there are cores.
/// docs/DEPLOYING.md ("What it costs") has what 4 measured; other values
/// have not been compared yet.
const DEFAULT_JOBS: usize = 4;
/// More workers than this gain nothing on any machine this runs on, and
/// each takes a port after the env file's.
const MAX_JOBS: usize = 16;

struct Options {
    listen: String,
    docker_network: Option<String>,
    jobs: usize,
    env_vars: PathBuf,
    template: PathBuf,
    sam: PathBuf,
    names: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: String::new(),
        docker_network: None,
        jobs: DEFAULT_JOBS,
        env_vars: events_dir().join("env.json"),
        template: PathBuf::from(".aws-sam/build/template.yaml"),
        sam: PathBuf::from("sam"),
        names: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => options.listen = value("--listen")?,
            "--docker-network" => options.docker_network = Some(value("--docker-network")?),
            "--jobs" => {
                let jobs = value("--jobs")?;
                options.jobs = match jobs.parse::<usize>() {
                    Ok(n @ 1..=MAX_JOBS) => n,
                    _ => return Err(format!("--jobs is 1 to {MAX_JOBS}, not {jobs:?}")),
                };
            }
            "--env-vars" => options.env_vars = value("--env-vars")?.into(),
            "--template" => options.template = value("--template")?.into(),
            "--sam" => options.sam = value("--sam")?.into(),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            name => options.names.push(name.to_string()),
        }
    }
    if options.listen.is_empty() {
        return Err("--listen is required: the address containers reach this host at".into());
    }
    Ok(options)
}

/// What the env file tells the functions: the table and the engine's
/// endpoint, which must be on the Docker host.
struct EnvFile {
    path: PathBuf,
    json: Value,
    table: String,
    endpoint: String,
    port: u16,
}

impl EnvFile {
    /// The same settings but the engine at `port`, written as `path`.
    fn with_port(&self, port: u16, path: PathBuf) -> Result<EnvFile, String> {
        let endpoint = format!("http://{DOCKER_HOST_NAME}:{port}");
        let mut json = self.json.clone();
        json["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"] = Value::String(endpoint.clone());
        std::fs::write(&path, format!("{json:#}\n"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(EnvFile {
            path,
            json,
            table: self.table.clone(),
            endpoint,
            port,
        })
    }
}

fn read_env_file(path: &Path) -> Result<EnvFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let setting = |name: &str| {
        json["Parameters"][name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{} sets no Parameters.{name}", path.display()))
    };
    let table = setting("TABLE_NAME")?;
    let endpoint = setting("AWS_ENDPOINT_URL_DYNAMODB")?;
    let port = endpoint
        .strip_prefix(&format!("http://{DOCKER_HOST_NAME}:"))
        .and_then(|rest| rest.trim_end_matches('/').parse::<u16>().ok())
        .ok_or_else(|| {
            format!(
                "{}: AWS_ENDPOINT_URL_DYNAMODB is {endpoint:?}; the functions must reach the engine this check serves, at http://{DOCKER_HOST_NAME}:<port>",
                path.display()
            )
        })?;
    Ok(EnvFile {
        path: path.to_path_buf(),
        json,
        table,
        endpoint,
        port,
    })
}

/// The events `names` select (all when empty); `Err` names a NAME that
/// selects nothing.
fn select(events: Vec<SampleEvent>, names: &[String]) -> Result<Vec<SampleEvent>, String> {
    if let Some(unknown) = names
        .iter()
        .find(|n| !events.iter().any(|e| e.name() == **n || e.function == **n))
    {
        return Err(format!(
            "no event or function in events/ is called {unknown:?}"
        ));
    }
    Ok(events
        .into_iter()
        .filter(|e| names.is_empty() || names.iter().any(|n| e.name() == *n || e.function == *n))
        .collect())
}

/// What a finished `sam local invoke` printed.
struct Invocation {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `command`, killing it after `timeout`.
fn run(mut command: Command, timeout: Duration) -> Result<Invocation, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Invocation {
            success: status.success(),
            stdout,
            stderr,
        }),
        None => Err(format!(
            "sam local invoke did not finish within {timeout:?}\n{}",
            indent(&tail(&stderr, 25))
        )),
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("        | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The function's response in what `sam local invoke` printed on stdout
/// (SAM's own messages go to stderr).
fn response_of(stdout: &str) -> Result<Value, String> {
    let text = stdout.trim();
    serde_json::from_str(text)
        .or_else(|_| {
            let last = text.lines().last().unwrap_or_default();
            serde_json::from_str(last)
        })
        .map_err(|e| format!("SAM printed no JSON response ({e}): {text:?}"))
}

/// What SAM says when the emulator in the container never answered: it
/// posted the event before the emulator listened (see [`MAX_ATTEMPTS`]).
const NOT_LISTENING: &str = "No response from invoke container";
/// Invocations of one event when SAM reports [`NOT_LISTENING`] and the
/// function printed nothing: SAM waits only until the container's published
/// port accepts a connection, which Docker's userland proxy does at once,
/// then gives the emulator 0.7 s to start; under qemu it can take longer.
/// The event never reached the function, so it is sent again.
/// (`scripts/sam-local-check` starts its own dockerd without the proxy,
/// where this does not happen.)
const MAX_ATTEMPTS: usize = 3;

/// The template's required mail parameters, for the check (the mail worker
/// writes to its outbox, events/env.json, and never reaches SES).
const SAMPLE_MAIL_FROM: &str = "no-reply@example.com";
const SAMPLE_MAIL_IDENTITY: &str = "example.com";

/// The `sam local invoke` of `event`.
fn sam_invoke(event: &SampleEvent, logical_id: &str, options: &Options, env: &EnvFile) -> Command {
    let mut command = Command::new(&options.sam);
    command
        .args(["local", "invoke", logical_id, "--template"])
        .arg(&options.template)
        .arg("--event")
        .arg(events_dir().join(format!("{}.json", event.name())))
        .arg("--env-vars")
        .arg(&env.path)
        .arg("--parameter-overrides")
        .arg(format!(
            "LocalDynamoDbEndpoint={} MailFrom={SAMPLE_MAIL_FROM} MailIdentity={SAMPLE_MAIL_IDENTITY}",
            env.endpoint
        ))
        .args(["--skip-pull-image", "--add-host"])
        .arg(format!("{DOCKER_HOST_NAME}:{}", options.listen));
    if let Some(network) = &options.docker_network {
        command.arg("--docker-network").arg(network);
    }
    command
}

/// Whether SAM never reached the function (see [`MAX_ATTEMPTS`]).
fn never_reached(invocation: &Invocation) -> bool {
    invocation.stdout.trim().is_empty()
        && invocation.stderr.contains(NOT_LISTENING)
        && !invocation.stderr.contains("START RequestId")
}

/// Invokes `event` through SAM on a freshly seeded table and compares its
/// answer; `Ok` tells how many attempts it took, `Err` lists every problem.
fn check(
    event: &SampleEvent,
    logical_id: &str,
    options: &Options,
    env: &EnvFile,
    reseed_table: impl Fn() -> Result<(), String>,
) -> Result<usize, String> {
    let mut attempts = 0;
    let invocation = loop {
        attempts += 1;
        reseed_table()?;
        let invocation = run(sam_invoke(event, logical_id, options, env), INVOKE_TIMEOUT)?;
        if attempts == MAX_ATTEMPTS || !never_reached(&invocation) {
            break invocation;
        }
    };
    let logs = || {
        format!(
            "\n      SAM and function output (attempt {attempts}):\n{}",
            indent(&tail(&invocation.stderr, 25))
        )
    };
    if !invocation.success {
        return Err(format!("sam local invoke failed{}", logs()));
    }
    let response = response_of(&invocation.stdout).map_err(|e| format!("{e}{}", logs()))?;
    let problems = match event.worker() {
        Some(_) => response_differences(&event.expect, &response),
        None => match Answer::from_gateway(&response) {
            Ok(answer) => differences(&event.expect, &answer),
            Err(e) => vec![e],
        },
    };
    if problems.is_empty() {
        Ok(attempts)
    } else {
        Err(format!(
            "{}\n      response: {response}{}",
            problems.join("\n      "),
            logs()
        ))
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run_all(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One worker's own engine and the env file that points the functions at it.
struct Worker {
    client: aws_sdk_dynamodb::Client,
    env: EnvFile,
}

/// Starts worker `index`'s engine at the env file's port plus `index`.
fn start_worker(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    env: &EnvFile,
    index: usize,
    env_dir: &Path,
) -> Result<(Engine, Worker), String> {
    let port = u16::try_from(index)
        .ok()
        .and_then(|i| env.port.checked_add(i))
        .ok_or_else(|| format!("no port after {} for worker {index}", env.port))?;
    let env = env.with_port(port, env_dir.join(format!("env-{index}.json")))?;
    let address = format!("{}:{port}", options.listen);
    let engine =
        runtime.block_on(async {
            let db = dynoxide::Database::memory().map_err(|e| e.to_string())?;
            Engine::start_on(db, &address).await.map_err(|e| {
                format!(
                "the engine of worker {index} cannot listen on {address} (the port of {}{}): {e}",
                env.endpoint,
                if index == 0 { "" } else { " plus the worker's number" }
            )
            })
        })?;
    let client = client_for_endpoint(&engine.endpoint, &ClientSettings::default());
    Ok((engine, Worker { client, env }))
}

/// What the workers found so far.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

/// Runs every selected event; `Ok(false)` when one failed.
fn run_all(options: &Options) -> Result<bool, String> {
    let dir = events_dir();
    let events = load(&dir, functions())
        .map_err(|problems| format!("{}:\n  {}", dir.display(), problems.join("\n  ")))?;
    let events = select(events, &options.names)?;
    let Some((first, rest)) = events.split_first() else {
        return Err(format!("no events in {}", dir.display()));
    };
    let env = read_env_file(&options.env_vars)?;
    let template = Template::load().functions();

    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let env_dir = std::env::temp_dir().join(format!("microblog-sam-invoke-{}", std::process::id()));
    std::fs::create_dir_all(&env_dir).map_err(|e| format!("{}: {e}", env_dir.display()))?;
    let jobs = options.jobs.min(events.len());
    let (engines, workers): (Vec<Engine>, Vec<Worker>) = (0..jobs)
        .map(|index| start_worker(&runtime, options, &env, index, &env_dir))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    println!(
        "{} events, one `sam local invoke` each, {jobs} at a time, each on a freshly seeded table {:?} of its worker's engine; the engines listen on {}:{}..{} ({} .. in the containers)",
        events.len(),
        env.table,
        options.listen,
        env.port,
        workers.last().map_or(env.port, |w| w.env.port),
        env.endpoint
    );

    let tally = Mutex::new(Tally::default());
    let invoke = |worker: &Worker, event: &SampleEvent| {
        let took = Instant::now();
        let result = match template.get(&event.function) {
            None => Err(format!(
                "template.yaml has no function whose Metadata.BuildProperties.Binary is {}",
                event.function
            )),
            Some(function) => check(event, &function.logical_id, options, &worker.env, || {
                runtime.block_on(reseed(&worker.client, &worker.env.table))
            }),
        };
        let seconds = took.elapsed().as_secs_f64();
        let mut tally = tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match result {
            Ok(attempts) => {
                tally.passed += 1;
                let retried = match attempts {
                    1 => String::new(),
                    n => format!("  ({n} attempts: SAM posted before the emulator listened)"),
                };
                println!("ok    {:<40} {seconds:5.1} s{retried}", event.name());
            }
            Err(problems) => {
                tally.failed.push(event.name());
                println!(
                    "FAIL  {:<40} {seconds:5.1} s\n      {problems}",
                    event.name()
                );
            }
        }
    };
    let started = Instant::now();
    // The first alone: it builds SAM's emulator image on the base image,
    // which invocations started together would each set out to build.
    invoke(&workers[0], first);
    let queue = Mutex::new(rest.iter());
    std::thread::scope(|scope| {
        for worker in &workers {
            let (queue, invoke) = (&queue, &invoke);
            scope.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                match next {
                    Some(event) => invoke(worker, event),
                    None => break,
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    for engine in engines {
        runtime.block_on(engine.stop());
    }
    let _ = std::fs::remove_dir_all(&env_dir);
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    let failed = tally.failed.len();
    if failed > 0 {
        println!("\nfailed: {}", tally.failed.join(" "));
    }
    println!(
        "\nsam local invoke: {} events in {elapsed:.0} s, {jobs} at a time\n{} passed, {failed} failed",
        tally.passed + failed,
        tally.passed
    );
    Ok(failed == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_env_file_must_point_the_functions_at_the_docker_host() {
        let dir = std::env::temp_dir().join(format!("microblog-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("env.json");
        let write = |endpoint: &str| {
            let json = serde_json::json!({"Parameters": {
                "TABLE_NAME": "microblog", "TOKEN_TTL_SECONDS": "3600",
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint}});
            std::fs::write(&file, json.to_string()).unwrap();
        };
        write("http://host.docker.internal:8000");
        let env = read_env_file(&file).unwrap();
        assert_eq!((env.table.as_str(), env.port), ("microblog", 8000));
        let second = env.with_port(8001, dir.join("env-1.json")).unwrap();
        let reread = read_env_file(&second.path).unwrap();
        assert_eq!(
            (
                reread.port,
                reread.table.as_str(),
                reread.json["Parameters"]["TOKEN_TTL_SECONDS"].as_str()
            ),
            (8001, "microblog", Some("3600")),
            "a worker's env file differs from the original in the engine's port only"
        );
        write("http://127.0.0.1:8000");
        let refused = read_env_file(&file).err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            refused.is_some_and(|e| e.contains("host.docker.internal")),
            "a loopback endpoint is unreachable from a container"
        );
    }

    #[test]
    fn jobs_are_one_to_sixteen() {
        let parse = |jobs: &str| {
            parse_args(
                ["--listen", "172.17.0.1", "--jobs", jobs]
                    .map(String::from)
                    .into_iter(),
            )
            .map(|o| o.jobs)
        };
        assert_eq!(parse("1"), Ok(1));
        assert_eq!(parse("16"), Ok(16));
        for refused in ["0", "17", "many", "-1"] {
            assert!(parse(refused).is_err(), "--jobs {refused}");
        }
    }

    #[test]
    fn sam_s_response_is_the_json_on_its_standard_output() {
        assert_eq!(
            response_of("{\"statusCode\": 200}\n").unwrap()["statusCode"],
            200
        );
        assert_eq!(
            response_of("noise\n{\"batchItemFailures\": []}").unwrap(),
            serde_json::json!({"batchItemFailures": []})
        );
        assert!(response_of("").is_err());
    }

    #[test]
    fn only_an_invocation_that_never_reached_the_function_is_sent_again() {
        let invocation = |stdout: &str, stderr: &str| Invocation {
            success: true,
            stdout: stdout.to_string(),
            stderr: stderr.to_string(),
        };
        let lost = "Mounting ...\nNo response from invoke container for GetUserFunction\n";
        assert!(never_reached(&invocation("", lost)));
        let crashed = format!("START RequestId: 1 Version: $LATEST\n{lost}");
        assert!(!never_reached(&invocation("", &crashed)));
        assert!(!never_reached(&invocation("{\"statusCode\": 200}", lost)));
        assert!(!never_reached(&invocation(
            "",
            "Error: the image is missing"
        )));
    }

    #[test]
    fn names_select_events_or_a_function_s_events_and_an_unknown_name_is_an_error() {
        let events = microblog_tests::events::sample_events();
        let one = select(events.clone(), &["get_user.not_found".into()]).unwrap();
        assert_eq!(one.len(), 1);
        let all = select(events.clone(), &["get_user".into()]).unwrap();
        assert!(all.len() > 1 && all.iter().all(|e| e.function == "get_user"));
        assert_eq!(select(events.clone(), &[]).unwrap().len(), events.len());
        assert!(select(events, &["nobody".into()]).is_err());
    }
}
