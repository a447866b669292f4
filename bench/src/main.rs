//! `microblog-bench`: builds every function binary and measures, for each,
//! what matters on Lambda: the binary's size and its size zipped as
//! `bootstrap`, the time from exec to its first request for work, the first
//! (cold) and warm invocation latency, and its peak resident memory. Each
//! function runs as a real process behind the emulated Lambda Runtime API of
//! `microblog-tests`, against an embedded dynoxide engine holding the
//! fixture data, answering its success case `events/<function>.json` as
//! often as asked; any answer whose status is not the one its `.expect.json`
//! expects (for a worker such as `fan_out`, whose event is a stream batch:
//! any response other than the expected one) fails the run. A call that
//! consumes what it acts on gets a fresh one each time, made in-process
//! outside the timing (`fresh.rs`). Prints a Markdown report (see
//! docs/PERFORMANCE.md).
//!
//! ```text
//! cargo run --release -p microblog-bench -- [--profile NAME] [--iterations N] [--only f1,f2]
//! cargo run --release -p microblog-bench -- chaos [--clients N] [--seconds T] [--restarts K]
//! cargo run --release -p microblog-bench -- feed [--connections N] [--seconds T]
//! cargo run --release -p microblog-bench -- load [--mix get_user|mixed] [--connections N] [--seconds T]
//! cargo run --release -p microblog-bench -- cost
//! cargo run --release -p microblog-bench -- signups [--clients N] [--seconds T] [--server PATH]
//! cargo run --release -p microblog-bench -- posts [--posts N] [--users U] [--follows F] [--data PATH] [--restart M]
//! ```
//!
//! `chaos` is the reliability run of docs/RELIABILITY.md (`chaos.rs`);
//! `feed` the feed benchmark of docs/PERFORMANCE.md (`feed.rs`); `load` the
//! local server under load, in the same document (`serve.rs`); `cost` runs
//! every sample event asking DynamoDB for its consumed capacity and prints
//! the table of docs/ARCHITECTURE.md that a test holds it to
//! (`microblog_tests::cost`); `signups` the sustained sign-up rate of a
//! `microblog-local` binary (`signups.rs`); `posts` whether a write costs the
//! same after 100,000 of them (`posts.rs`).

mod chaos;
mod feed;
mod fresh;
mod load;
mod posts;
mod reset_timing;
mod serve;
mod signups;

/// The local server's allocator (see local/src/main.rs), so that `load`
/// measures what `microblog-local` runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fresh::{Fresh, Input};
use microblog_local::engine::Engine;
use microblog_shared::{App, Config};
use microblog_tests::events::{response_differences, success_case, SampleEvent};
use microblog_tests::lambda_emulator::{
    build_function_binaries, current_profile_dir, function_names, lambda_env, profile_of_dir,
    FunctionProcess, Outcome, RuntimeApi,
};
use serde_json::Value;

const TABLE: &str = "microblog-bench";
const TIMEOUT: Duration = Duration::from_secs(60);

struct Options {
    profile: String,
    iterations: usize,
    only: Option<Vec<String>>,
    env: Vec<(String, String)>,
    cold_starts: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench [--profile NAME] [--iterations N] [--cold-starts N] [--only f1,f2] [--env NAME=VALUE]...\n\n\
         --profile     cargo profile to build the functions with (default: this binary's, e.g. release)\n\
         --iterations  warm invocations per function (default 50)\n\
         --cold-starts starts timed (exec to first /next) per function (default 20)\n\
         --only        measure only these functions\n\
         --env         set an extra environment variable in every function"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let own = current_profile_dir()
        .map(|d| profile_of_dir(&d))
        .unwrap_or_else(|_| "release".into());
    let mut options = Options {
        profile: own,
        iterations: 50,
        only: None,
        env: Vec::new(),
        cold_starts: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--profile" => options.profile = value(),
            "--iterations" => {
                options.iterations = value()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage())
            }
            "--cold-starts" => {
                options.cold_starts = value()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage())
            }
            "--only" => options.only = Some(value().split(',').map(str::to_string).collect()),
            "--env" => {
                let pair = value();
                let (name, value) = pair.split_once('=').unwrap_or_else(|| usage());
                options.env.push((name.to_string(), value.to_string()));
            }
            _ => usage(),
        }
    }
    options
}

/// `target/<dir>` for `profile` (`dev` builds into `debug`).
fn profile_dir(profile: &str) -> PathBuf {
    let own = current_profile_dir().expect("the executable's directory");
    let root = own.parent().expect("a target directory").to_path_buf();
    root.join(if profile == "dev" { "debug" } else { profile })
}

/// Replaces the `{id}` path parameter of an HTTP event (in `rawPath`,
/// `requestContext.http.path` and `pathParameters`) with `id`.
fn with_id(event: &mut Value, id: &str) {
    let Some(old) = event["pathParameters"]["id"].as_str().map(str::to_string) else {
        return;
    };
    let replace = |path: &Value| {
        let path = path.as_str().unwrap_or_default();
        let parts: Vec<&str> = path
            .split('/')
            .map(|part| if part == old { id } else { part })
            .collect();
        Value::from(parts.join("/"))
    };
    event["rawPath"] = replace(&event["rawPath"]);
    event["requestContext"]["http"]["path"] = replace(&event["requestContext"]["http"]["path"]);
    event["pathParameters"]["id"] = id.into();
}

/// `case`'s event for invocation `i`. Writes that must differ from one
/// invocation to the next do: string `username` and `email` members of a
/// JSON body get `i` appended (before the `@` of an email), and what
/// `input` gives replaces the bearer token, the `{id}` path parameter and
/// members of the body. A worker's event is sent as it is.
fn event(case: &SampleEvent, i: usize, input: &Input) -> Result<Vec<u8>, String> {
    let mut event = case.event.clone();
    if case.worker().is_some() {
        return Ok(event.to_string().into_bytes());
    }
    if let Some(text) = event["body"].as_str() {
        let base64 = event["isBase64Encoded"] == Value::Bool(true);
        let text = if base64 {
            let bytes = STANDARD
                .decode(text)
                .map_err(|e| format!("{}: a body that is not base64: {e}", case.file()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            text.to_string()
        };
        if let Ok(Value::Object(mut body)) = serde_json::from_str::<Value>(&text) {
            for (name, value) in &input.body {
                body.insert(name.to_string(), value.clone().into());
            }
            for (name, value) in body.iter_mut() {
                if let (true, Value::String(s)) = (name == "username" || name == "email", value) {
                    *s = match s.split_once('@') {
                        Some((local, domain)) => format!("{local}{i}@{domain}"),
                        None => format!("{s}{i}"),
                    };
                }
            }
            let text = Value::Object(body).to_string();
            if event["headers"].get("content-length").is_some() {
                event["headers"]["content-length"] = text.len().to_string().into();
            }
            event["body"] = if base64 {
                STANDARD.encode(text).into()
            } else {
                text.into()
            };
        }
    }
    if let Some(token) = &input.token {
        event["headers"]["authorization"] = format!("Bearer {token}").into();
    }
    if let Some(id) = &input.id {
        with_id(&mut event, id);
    }
    event["requestContext"]["requestId"] = format!("bench-{i}").into();
    Ok(event.to_string().into_bytes())
}

/// The size of `binary` zipped as `bootstrap`, as Lambda deploys it, using
/// the `zip` tool (None if it is missing).
fn zipped_size(binary: &Path) -> Option<u64> {
    let dir = std::env::temp_dir().join(format!("microblog-bench-zip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(binary, dir.join("bootstrap")).ok()?;
    let zipped = Command::new("zip")
        .current_dir(&dir)
        .args(["-q", "-X", "function.zip", "bootstrap"])
        .status()
        .ok()
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(dir.join("function.zip")).ok())
        .map(|m| m.len());
    let _ = std::fs::remove_dir_all(&dir);
    zipped
}

struct Figures {
    size: u64,
    zipped: Option<u64>,
    /// exec to the first /next, median and slowest of the cold starts.
    init: Duration,
    init_max: Duration,
    first: Duration,
    warm_median: Duration,
    warm_p90: Duration,
    peak_rss_kib: Option<u64>,
    wrong_statuses: Vec<String>,
}

/// What is wrong with the answer to `case`'s event, if anything: for an
/// HTTP function a status other than the expected one, for a worker any
/// difference from the expected response. `Err` when there is no answer.
fn wrong_answer(
    case: &SampleEvent,
    outcome: &Result<Outcome, String>,
) -> Result<Option<String>, String> {
    let body = match outcome {
        Ok(Outcome::Response(body)) => body,
        Ok(error) => return Err(format!("invocation error: {}", error.body_text())),
        Err(e) => return Err(e.clone()),
    };
    let text = || String::from_utf8_lossy(body).into_owned();
    let response: Value = serde_json::from_slice(body)
        .map_err(|e| format!("a response that is not JSON ({e}): {}", text()))?;
    if case.worker().is_some() {
        let found = response_differences(&case.expect, &response);
        return Ok((!found.is_empty()).then(|| format!("{}: {}", found.join("; "), text())));
    }
    let status = response["statusCode"]
        .as_u64()
        .ok_or_else(|| format!("a response without statusCode: {}", text()))?;
    let expected = case.expect.status.map(u64::from);
    Ok((Some(status) != expected).then(|| format!("{status}: {}", text())))
}

async fn measure(function: &str, binary: &Path, options: &Options) -> Result<Figures, String> {
    let iterations = options.iterations;
    let case = success_case(function)?;
    // A success that consumes what it acts on gets a new one each call.
    let fresh_input = Fresh::for_function(function, &case)?;
    let size = std::fs::metadata(binary).map_err(|e| e.to_string())?.len();
    let zipped = zipped_size(binary);

    let engine = Engine::memory().await.map_err(|e| e.to_string())?;
    let config = Config::from_lookup(|n| (n == "TABLE_NAME").then(|| TABLE.to_string()))
        .map_err(|e| e.to_string())?;
    let app = App::new(config, engine.client());
    app.create_table_if_missing()
        .await
        .map_err(|e| e.to_string())?;
    microblog_local::seed::seed(&app)
        .await
        .map_err(|e| e.to_string())?;

    let environment = |api: &RuntimeApi| {
        let mut env = lambda_env(function, &api.address());
        env.push(("TABLE_NAME".into(), TABLE.into()));
        env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), engine.endpoint.clone()));
        // Thousands of sign-ups and logins from one event's address: measure
        // the functions, not the abuse limits.
        env.push(("RATE_LIMIT_SIGNUPS_PER_HOUR".into(), "0".into()));
        env.push(("RATE_LIMIT_LOGIN_FAILURES".into(), "0".into()));
        env.push(("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS".into(), "0".into()));
        env.extend(options.env.iter().cloned());
        env
    };
    // Cold starts: each a new process, timed to its first /next; the last
    // one goes on to take the invocations.
    let mut inits = Vec::with_capacity(options.cold_starts);
    let (api, mut process) = loop {
        let api = RuntimeApi::start(function)
            .await
            .map_err(|e| e.to_string())?;
        let mut process =
            FunctionProcess::spawn(binary, &environment(&api)).map_err(|e| e.to_string())?;
        let first_poll = match tokio::time::timeout(TIMEOUT, api.wait_first_poll()).await {
            Ok(at) => at,
            Err(_) => return Err(format!("no /next within {TIMEOUT:?}:\n{}", process.kill())),
        };
        inits.push(first_poll - process.spawned);
        if inits.len() == options.cold_starts {
            break (api, process);
        }
        process.kill();
        api.stop().await;
    };
    inits.sort();
    let init = inits[(inits.len() - 1) / 2];
    let init_max = inits[inits.len() - 1];

    let mut wrong_statuses = Vec::new();
    let mut warm = Vec::with_capacity(iterations);
    let mut first = Duration::ZERO;
    for i in 0..=iterations {
        let input = match &fresh_input {
            Some(fresh) => fresh.make(&app, i).await?,
            None => Input::default(),
        };
        let event = event(&case, i, &input)?;
        let started = Instant::now();
        let outcome = process.invoke(&api, event, TIMEOUT).await;
        let took = started.elapsed();
        match wrong_answer(&case, &outcome) {
            Ok(None) => {}
            Ok(Some(wrong)) => wrong_statuses.push(format!("#{i}: {wrong}")),
            Err(e) => return Err(format!("invocation #{i}: {e}\n{}", process.kill())),
        }
        if i == 0 {
            first = took;
        } else {
            warm.push(took);
        }
    }
    let peak_rss_kib = process.peak_rss_kib();
    process.kill();
    api.stop().await;
    warm.sort();
    let at = |q: f64| warm[((warm.len() - 1) as f64 * q).round() as usize];
    Ok(Figures {
        size,
        zipped,
        init,
        init_max,
        first,
        warm_median: at(0.5),
        warm_p90: at(0.9),
        peak_rss_kib,
        wrong_statuses,
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into())
}

fn rustc_version() -> String {
    Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The date, CPUs and compiler, for a report's first line.
fn machine() -> String {
    format!(
        "{} · {} × {} · {}",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        rustc_version()
    )
}

/// Prints the measured capacity of every sample event, the table of
/// docs/ARCHITECTURE.md ("Measured cost of every sample event").
async fn cost() {
    println!("{}", microblog_tests::cost::EventCost::HEADER);
    let mut failed = false;
    for sample in microblog_tests::events::sample_events() {
        match microblog_tests::cost::measure(&sample).await {
            Ok(cost) => println!("{}", cost.row()),
            Err(e) => {
                eprintln!("{}: {e}", sample.file());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("chaos") => return chaos::main(std::env::args().skip(2)).await,
        Some("feed") => return feed::main(std::env::args().skip(2)).await,
        Some("load") => return serve::main(std::env::args().skip(2)).await,
        Some("cost") => return cost().await,
        Some("signups") => return signups::main(std::env::args().skip(2)).await,
        Some("posts") => return posts::main(std::env::args().skip(2)).await,
        Some("reset-timing") => return reset_timing::main(std::env::args().skip(2)).await,
        _ => {}
    }
    let options = options();
    let mut functions = function_names().expect("listing functions/");
    if let Some(only) = &options.only {
        for f in only {
            if !functions.contains(f) {
                eprintln!("no function {f:?}; functions: {}", functions.join(", "));
                std::process::exit(2);
            }
        }
        functions.retain(|f| only.contains(f));
    }
    for function in &functions {
        if let Err(e) = success_case(function) {
            eprintln!("{function} cannot be measured: {e}");
            std::process::exit(2);
        }
    }
    eprintln!(
        "building the functions with profile {} ...",
        options.profile
    );
    let built = Instant::now();
    let binaries =
        match build_function_binaries(&options.profile, &functions, &profile_dir(&options.profile))
        {
            Ok(binaries) => binaries,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
    eprintln!("built in {:.0} s", built.elapsed().as_secs_f64());

    println!(
        "{} · profile `{}` · {} cold starts and {} warm invocations each\n",
        machine(),
        options.profile,
        options.cold_starts,
        options.iterations
    );
    if !options.env.is_empty() {
        let env: Vec<String> = options
            .env
            .iter()
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect();
        println!("extra environment: {}\n", env.join(" "));
    }
    println!(
        "| function | binary MiB | zip MiB | exec → first /next p50 ms (max of {}) | first invocation ms | warm p50 ms | warm p90 ms | peak RSS MiB |",
        options.cold_starts
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut failed = false;
    let mut notes = Vec::new();
    for (function, binary) in &binaries {
        match measure(function, binary, &options).await {
            Ok(f) => {
                println!(
                    "| {function} | {} | {} | {} ({}) | {} | {} | {} | {} |",
                    mib(f.size),
                    f.zipped.map_or("n/a".into(), mib),
                    ms(f.init),
                    ms(f.init_max),
                    ms(f.first),
                    ms(f.warm_median),
                    ms(f.warm_p90),
                    f.peak_rss_kib
                        .map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
                );
                if !f.wrong_statuses.is_empty() {
                    failed = true;
                    notes.push(format!(
                        "{function}: {} invocations got an unexpected answer, e.g. {}",
                        f.wrong_statuses.len(),
                        f.wrong_statuses[0]
                    ));
                }
            }
            Err(e) => {
                failed = true;
                println!("| {function} | failed | | | | | | |");
                notes.push(format!("{function}: {e}"));
            }
        }
    }
    for note in &notes {
        eprintln!("{note}");
    }
    if failed {
        std::process::exit(1);
    }
}
