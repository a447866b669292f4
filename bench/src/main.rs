//! `microblog-bench`: builds every function binary and measures, for each,
//! what matters on Lambda: the binary's size and its size zipped as
//! `bootstrap`, the time from exec to its first request for work, the first
//! (cold) and warm invocation latency, and its peak resident memory. Each
//! function runs as a real process behind the emulated Lambda Runtime API of
//! `microblog-tests`, against an embedded dynoxide engine holding the
//! fixture data. Prints a Markdown report (see docs/PERFORMANCE.md).
//!
//! ```text
//! cargo run --release -p microblog-bench -- [--profile NAME] [--iterations N] [--only f1,f2]
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use lambda_http::http::{HeaderMap, HeaderValue};
use microblog_local::apigw;
use microblog_local::engine::Engine;
use microblog_local::seed::{FIXTURE_PASSWORD, FIXTURE_TOKEN, FIXTURE_TOKEN_2};
use microblog_shared::auth::{new_token, token_hash};
use microblog_shared::routes::{resolve, Resolved};
use microblog_shared::{App, Config};
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
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench [--profile NAME] [--iterations N] [--only f1,f2] [--env NAME=VALUE]...\n\n\
         --profile     cargo profile to build the functions with (default: this binary's, e.g. release)\n\
         --iterations  warm invocations per function (default 50)\n\
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

/// The request a function's successful case is made of: method, path,
/// headers and body. `i` makes writes that must differ (new users) unique;
/// `token` is a fresh token for `revoke_token`.
fn request(
    function: &str,
    i: usize,
    token: &str,
) -> (&'static str, String, Vec<(&'static str, String)>, String) {
    let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];
    let json = |mut h: Vec<(&'static str, String)>| {
        h.push(("content-type", "application/json".into()));
        h
    };
    match function {
        "get_users" => ("GET", "/api/users".into(), bearer(FIXTURE_TOKEN), String::new()),
        "create_user" => (
            "POST",
            "/api/users".into(),
            json(vec![]),
            serde_json::json!({"username": format!("bench{i}"), "email": format!("bench{i}@example.com"),
                               "password": FIXTURE_PASSWORD})
            .to_string(),
        ),
        "get_user" => ("GET", "/api/users/1".into(), bearer(FIXTURE_TOKEN), String::new()),
        "update_user" => (
            "PUT",
            "/api/users/1".into(),
            json(bearer(FIXTURE_TOKEN)),
            serde_json::json!({"about_me": format!("benchmark run {i}")}).to_string(),
        ),
        "get_followers" => ("GET", "/api/users/1/followers".into(), bearer(FIXTURE_TOKEN), String::new()),
        "get_followed" => ("GET", "/api/users/2/followed".into(), bearer(FIXTURE_TOKEN), String::new()),
        "is_following" => ("GET", "/api/users/2/followed/1".into(), bearer(FIXTURE_TOKEN), String::new()),
        "follow_user" => ("PUT", "/api/users/1/followed/2".into(), bearer(FIXTURE_TOKEN), String::new()),
        "unfollow_user" => ("DELETE", "/api/users/2/followed/1".into(), bearer(FIXTURE_TOKEN_2), String::new()),
        "get_token" => {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("susan:{FIXTURE_PASSWORD}"));
            ("POST", "/api/tokens".into(), vec![("authorization", format!("Basic {basic}"))], String::new())
        }
        "revoke_token" => ("DELETE", "/api/tokens".into(), bearer(token), String::new()),
        _ => ("GET", "/api/no-such-route".into(), vec![], String::new()),
    }
}

/// The status a function's successful case answers.
fn expected_status(function: &str) -> u64 {
    match function {
        "create_user" => 201,
        "is_following" | "follow_user" | "unfollow_user" | "revoke_token" => 204,
        "fallback" => 404,
        _ => 200,
    }
}

/// The API Gateway (HTTP API, payload 2.0) event for a function's case.
fn event(function: &str, i: usize, token: &str) -> Vec<u8> {
    let (method, path, header_pairs, body) = request(function, i, token);
    let mut headers = HeaderMap::new();
    headers.insert("user-agent", HeaderValue::from_static("microblog-bench"));
    for (name, value) in header_pairs {
        headers.insert(
            name,
            HeaderValue::from_str(&value).expect("a valid header value"),
        );
    }
    let (route_key, params) = match resolve(method, &path) {
        Resolved::Route(route, params) => (format!("{} {}", route.method, route.path), params),
        _ => ("$default".to_string(), Vec::new()),
    };
    let incoming = apigw::Call {
        method,
        path: &path,
        query: "",
        headers: &headers,
        body: body.as_bytes(),
        source_ip: "192.0.2.1",
        request_id: &format!("bench-{i}"),
    };
    let matched = apigw::Matched {
        route_key: &route_key,
        path_parameters: &params,
    };
    apigw::event(&incoming, &matched).to_string().into_bytes()
}

/// A token of user 1 valid for an hour, for `revoke_token` to revoke.
async fn fresh_token(app: &App) -> String {
    let token = new_token();
    let now = chrono::Utc::now();
    app.tokens
        .issue(
            &token_hash(&token),
            1,
            now,
            now + chrono::Duration::hours(1),
        )
        .await
        .expect("issuing a token");
    token
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
    init: Duration,
    first: Duration,
    warm_median: Duration,
    warm_p90: Duration,
    peak_rss_kib: Option<u64>,
    wrong_statuses: Vec<String>,
}

fn status_of(outcome: &Result<Outcome, String>) -> Result<u64, String> {
    match outcome {
        Ok(Outcome::Response(body)) => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["statusCode"].as_u64())
            .ok_or_else(|| {
                format!(
                    "a response without statusCode: {}",
                    String::from_utf8_lossy(body)
                )
            }),
        Ok(error) => Err(format!("invocation error: {}", error.body_text())),
        Err(e) => Err(e.clone()),
    }
}

async fn measure(function: &str, binary: &Path, options: &Options) -> Result<Figures, String> {
    let iterations = options.iterations;
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

    let api = RuntimeApi::start(function)
        .await
        .map_err(|e| e.to_string())?;
    let mut env = lambda_env(function, &api.address());
    env.push(("TABLE_NAME".into(), TABLE.into()));
    env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), engine.endpoint.clone()));
    env.extend(options.env.iter().cloned());
    let mut process = FunctionProcess::spawn(binary, &env).map_err(|e| e.to_string())?;
    let first_poll = match tokio::time::timeout(TIMEOUT, api.wait_first_poll()).await {
        Ok(at) => at,
        Err(_) => return Err(format!("no /next within {TIMEOUT:?}:\n{}", process.kill())),
    };
    let init = first_poll - process.spawned;

    let expected = expected_status(function);
    let mut wrong_statuses = Vec::new();
    let mut warm = Vec::with_capacity(iterations);
    let mut first = Duration::ZERO;
    for i in 0..=iterations {
        let token = if function == "revoke_token" {
            fresh_token(&app).await
        } else {
            String::new()
        };
        let event = event(function, i, &token);
        let started = Instant::now();
        let outcome = process.invoke(&api, event, TIMEOUT).await;
        let took = started.elapsed();
        match status_of(&outcome) {
            Ok(status) if status == expected => {}
            Ok(status) => {
                wrong_statuses.push(format!("#{i}: {status}: {}", outcome.unwrap().body_text()))
            }
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

#[tokio::main]
async fn main() {
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
        "{} · {} × {} · {} · profile `{}` · {} warm invocations each\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        rustc_version(),
        options.profile,
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
    println!("| function | binary MiB | zip MiB | exec → first /next ms | first invocation ms | warm p50 ms | warm p90 ms | peak RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut failed = false;
    let mut notes = Vec::new();
    for (function, binary) in &binaries {
        match measure(function, binary, &options).await {
            Ok(f) => {
                println!(
                    "| {function} | {} | {} | {} | {} | {} | {} | {} |",
                    mib(f.size),
                    f.zipped.map_or("n/a".into(), mib),
                    ms(f.init),
                    ms(f.first),
                    ms(f.warm_median),
                    ms(f.warm_p90),
                    f.peak_rss_kib
                        .map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
                );
                if !f.wrong_statuses.is_empty() {
                    failed = true;
                    notes.push(format!(
                        "{function}: {} invocations answered an unexpected status, e.g. {}",
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
