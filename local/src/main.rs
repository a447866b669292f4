//! `microblog-local`: the whole API on http://127.0.0.1:3000 with an embedded
//! DynamoDB-compatible engine. Run with `--help` for the options.

/// mimalloc rather than glibc's malloc, whose consolidation of freed
/// chunks across the runtime's threads cost a quarter to a third of the
/// server's throughput (docs/PERFORMANCE.md, "Local server"). The Lambda
/// functions keep the system allocator: one request at a time, and their
/// peak memory is measured with it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use microblog_local::checkpoint::Checkpoints;
use microblog_local::engine::{check_reachable, Engine};
use microblog_local::stream::{self, StreamPoller, StreamWorker};
use microblog_local::{demo, retention, seed, server};
use microblog_shared::store::client::from_environment;
use microblog_shared::{App, Config};

const USAGE: &str = "\
microblog-local: the microblog API on one machine

USAGE:
    microblog-local [serve] [OPTIONS]   serve the API (default)
    microblog-local seed [OPTIONS]      write the fixture users and tokens (or, with
                                        --seed-demo, the demo world), then exit
    microblog-local grant-moderator USERNAME [--data PATH]
                                        make USERNAME a moderator (with an audit record)
    microblog-local revoke-moderator USERNAME [--data PATH]
                                        take the moderator role back
                                        (both use the server's own settings: --data,
                                        TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB; safe while
                                        a server runs on the same file)
    microblog-local openapi             print the OpenAPI document (docs/openapi.json)
    microblog-local template            print the SAM template (template.yaml)

OPTIONS:
    --host HOST     address to listen on (default 127.0.0.1)
    --port PORT     port to listen on (default 3000; 0 picks a free one)
    --data PATH     SQLite file of the embedded engine (default .microblog/local.db)
    --memory        keep the embedded engine's data in memory only
    --seed          (serve) write the fixtures before serving
    --seed-demo [USERS]
                    fill an empty table with a demo world of USERS users
                    (default 2000, at most 100000): power-law followers, a
                    few popular authors, four weeks of posts, replies,
                    mentions and likes, every password demo-password; with
                    POPULAR_FOLLOWERS unset, a tenth of USERS followers make
                    an author popular
    --connections-per-client N
                    connections one client (an IPv4 address or an IPv6 /64)
                    may hold open at once (default 32 of 256; a load test
                    from one machine may need more)
    --engine-port PORT
                    also serve the embedded engine's DynamoDB protocol on
                    127.0.0.1:PORT, for tools such as the AWS CLI (off by
                    default: it checks no credentials, so any local process
                    can then read and change every item, password hashes
                    included)
    -h, --help      show this help

ENVIRONMENT:
    TABLE_NAME                  table to use (default microblog; created when missing)
    TOKEN_TTL_SECONDS           token lifetime (default 3600)
    REFRESH_TOKEN_TTL_SECONDS   refresh token lifetime from its issue (default 2592000, 30 days)
    REFRESH_REUSE_INTERVAL_SECONDS
                                seconds after a refresh within which the replaced refresh
                                token gets a pair of the same session, not a revocation
                                (default 10; 0: never)
    ACCOUNT_CLEANUP_STEP        items one step of a deleted account's clean-up handles (default 100)
    AWS_ENDPOINT_URL_DYNAMODB   use this DynamoDB endpoint instead of the embedded engine
                                (needs AWS_REGION and credentials like any AWS client)
    DYNAMODB_CONNECT_TIMEOUT_MS, DYNAMODB_ATTEMPT_TIMEOUT_MS, DYNAMODB_OPERATION_TIMEOUT_MS
                                DynamoDB client timeouts (default 1000, 1000, 3000)
    DYNAMODB_RETRY_MODE         standard (default) or adaptive
    DYNAMODB_MAX_ATTEMPTS       attempts per DynamoDB call (default 3)
    RATE_LIMIT_LOGIN_FAILURES   failed logins per (username, client address) in 15 minutes
                                before 429 (default 10; 0: no limit)
    RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS
                                failed logins per client address, any usernames, in 15
                                minutes before 429 (default 100; 0: no limit)
    RATE_LIMIT_SIGNUPS_PER_HOUR sign-ups per client address per hour (default 30; 0: no limit)
    RATE_LIMIT_REPORTS_PER_HOUR reports one user may make per hour (default 20; 0: no limit)
    RATE_LIMIT_RESETS_PER_EMAIL password reset requests per email address per hour (default 3)
    RATE_LIMIT_RESETS_PER_ADDRESS
                                password reset requests per client address per hour (default 20)
    MAIL_OUTBOX_DIR             where mail is written, one .eml file a message
                                (default .microblog/outbox)
    SMTP_URL                    send mail through this SMTP server instead, e.g.
                                smtp://127.0.0.1:1025 (a mail catcher)
    MAIL_FROM                   the sender (default microblog <no-reply@microblog.localhost>)
    PRODUCT_NAME                the product's name in messages (default microblog)
    RESET_URL_TEMPLATE          the link of a reset mail, with {token} (default
                                microblog://reset-password?token={token})
    RESET_TOKEN_TTL_SECONDS     how long a reset code works (default 900)
    PUSH_OUTBOX_DIR             where pushes to registered devices are written, one
                                JSON file a push (default .microblog/push)
    NOTIFICATION_TTL_DAYS       days a notification is kept (default 90)
    STREAM_RETENTION_SECONDS    how long the embedded engine's stream keeps a record
                                (default 86400: DynamoDB Streams' 24 hours); older ones
                                are trimmed every minute
    RUST_LOG                    log level (default info)";

/// Where mail goes unless `MAIL_OUTBOX_DIR` or `SMTP_URL` says otherwise.
const DEFAULT_OUTBOX: &str = ".microblog/outbox";
/// Where pushes go unless `PUSH_OUTBOX_DIR` says otherwise.
const DEFAULT_PUSH_OUTBOX: &str = ".microblog/push";

/// An operator's change of the moderator role.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleChange {
    username: String,
    grant: bool,
}

#[derive(Debug)]
struct Options {
    role: Option<RoleChange>,
    seed_only: bool,
    seed: bool,
    seed_demo: Option<usize>,
    host: String,
    port: u16,
    data: Option<PathBuf>,
    engine_port: Option<u16>,
    limits: server::Limits,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        role: None,
        seed_only: false,
        seed: false,
        seed_demo: None,
        host: "127.0.0.1".into(),
        port: 3000,
        data: Some(PathBuf::from(".microblog/local.db")),
        engine_port: None,
        limits: server::Limits::default(),
    };
    let mut args = args.peekable();
    match args.peek().map(String::as_str) {
        Some("seed") => {
            options.seed_only = true;
            args.next();
        }
        Some("serve") => {
            args.next();
        }
        Some(command @ ("grant-moderator" | "revoke-moderator")) => {
            let grant = command == "grant-moderator";
            args.next();
            let username = args
                .next()
                .filter(|name| !name.starts_with('-'))
                .ok_or(format!(
                    "{} needs a USERNAME",
                    if grant {
                        "grant-moderator"
                    } else {
                        "revoke-moderator"
                    }
                ))?;
            options.role = Some(RoleChange { username, grant });
        }
        _ => {}
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--host" => options.host = value("--host")?,
            "--port" => {
                let raw = value("--port")?;
                options.port = raw
                    .parse()
                    .map_err(|_| format!("--port must be a number from 0 to 65535, got {raw:?}"))?;
            }
            "--engine-port" => {
                let raw = value("--engine-port")?;
                options.engine_port = Some(raw.parse().map_err(|_| {
                    format!("--engine-port must be a number from 0 to 65535, got {raw:?}")
                })?);
            }
            "--connections-per-client" => {
                let raw = value("--connections-per-client")?;
                let most = options.limits.max_connections;
                options.limits.max_connections_per_client = raw
                    .parse()
                    .ok()
                    .filter(|n| (1..=most).contains(n))
                    .ok_or(format!(
                        "--connections-per-client must be a number from 1 to {most}, got {raw:?}"
                    ))?;
            }
            "--data" => options.data = Some(PathBuf::from(value("--data")?)),
            "--memory" => options.data = None,
            "--seed" => options.seed = true,
            "--seed-demo" => {
                let users = match args.peek().filter(|next| !next.starts_with('-')) {
                    None => demo::DEFAULT_USERS,
                    Some(raw) => {
                        let users = raw
                            .parse()
                            .ok()
                            .filter(|n| (2..=demo::MOST_USERS).contains(n))
                            .ok_or(format!(
                                "--seed-demo takes a number of users from 2 to {}, got {raw:?}",
                                demo::MOST_USERS
                            ))?;
                        args.next();
                        users
                    }
                };
                options.seed_demo = Some(users);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.seed && options.seed_demo.is_some() {
        return Err(
            "--seed and --seed-demo cannot be used together: the demo world needs an empty table"
                .into(),
        );
    }
    Ok(options)
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        print!("{}", microblog_functions::openapi::json());
        return ExitCode::SUCCESS;
    }
    if std::env::args().nth(1).as_deref() == Some("template") {
        print!("{}", microblog_shared::routes::template::render());
        return ExitCode::SUCCESS;
    }
    // The embedded engine logs every 4xx it answers (a taken username, a
    // repeated follow) as a warning; those are normal here.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "info,dynoxide=error");
    }
    // Log lines (one a request) are written by a background thread: writing
    // each to stdout on the request's own thread cost 15-30% of the
    // server's throughput (docs/PERFORMANCE.md). Not lossy: a full buffer
    // makes requests wait rather than drop lines; the guard flushes on exit.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    microblog_shared::lambda::init_tracing_to(writer);
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let config = Config::from_lookup(|name| {
        std::env::var(name).ok().or_else(|| match name {
            "TABLE_NAME" => Some("microblog".to_string()),
            // The same worker as on AWS sends mail; here it writes each
            // message into a directory unless SMTP_URL names a server.
            "MAIL_OUTBOX_DIR" => Some(DEFAULT_OUTBOX.to_string()),
            // Pushes to registered devices, likewise, as JSON files.
            "PUSH_OUTBOX_DIR" => Some(DEFAULT_PUSH_OUTBOX.to_string()),
            // A demo world small enough to make in minutes still has
            // popular authors (merged into feeds at read time).
            "POPULAR_FOLLOWERS" => options
                .seed_demo
                .map(|users| (users / 10).max(2).to_string()),
            _ => None,
        })
    })
    .map_err(|e| e.to_string())?;

    if options.role.is_some() && options.data.is_none() {
        return Err(
            "--memory holds no users to change: give --data PATH (or AWS_ENDPOINT_URL_DYNAMODB)"
                .into(),
        );
    }
    if let (Some(_), Some(path), Err(_)) = (
        &options.role,
        &options.data,
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB"),
    ) {
        if !path.exists() {
            return Err(format!(
                "{} does not exist: start microblog-local once (it creates it), or give --data PATH",
                path.display()
            ));
        }
    }
    let stream_retention = stream_retention()?;
    let mut engine = None;
    let (client, streams, endpoint) = match std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        Ok(endpoint) => {
            if (options.seed || options.seed_only || options.seed_demo.is_some())
                && !seed::is_local_endpoint(&endpoint)
            {
                return Err(format!(
                    "refusing to write the publicly known fixture users and token to {endpoint}: seed only local engines"
                ));
            }
            let (client, has_region) = from_environment(&config.dynamodb).await;
            if !has_region {
                return Err(format!(
                    "AWS_ENDPOINT_URL_DYNAMODB is set to {endpoint} but no region is: set AWS_REGION"
                ));
            }
            check_reachable(&client, &endpoint, &config.table_name, &config.dynamodb).await?;
            tracing::info!(
                endpoint,
                "using the DynamoDB endpoint from AWS_ENDPOINT_URL_DYNAMODB"
            );
            // Engines other than DynamoDB serve streams on the same endpoint
            // and, like the embedded one, accept any credentials.
            let streams = stream::client_for_endpoint(&endpoint);
            (client, streams, endpoint)
        }
        Err(_) => {
            let db = match &options.data {
                Some(path) => {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)
                            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                    }
                    let text = path.to_str().ok_or("--data must be a UTF-8 path")?;
                    dynoxide::Database::new(text).map_err(|e| format!("cannot open {text}: {e}"))?
                }
                None => dynoxide::Database::memory().map_err(|e| e.to_string())?,
            };
            let where_ = options
                .data
                .as_ref()
                .map_or("memory".to_string(), |p| p.display().to_string());
            // The API calls the engine in-process. A port serves other
            // clients (the AWS CLI, say) the same data, unauthenticated.
            let started = match options.engine_port {
                None => {
                    tracing::info!(data = %where_, "embedded DynamoDB engine (dynoxide) started in-process, with no port");
                    Engine::in_process(db)
                }
                Some(port) => {
                    let started = Engine::start_on(db, &format!("127.0.0.1:{port}"))
                        .await
                        .map_err(|e| format!("cannot serve the engine on port {port}: {e}"))?;
                    tracing::warn!(endpoint = %started.endpoint, data = %where_, "embedded DynamoDB engine (dynoxide) started; --engine-port serves it without checking credentials: any local process can read and change every item");
                    started
                }
            };
            let client = started.in_process_client(&config.dynamodb);
            let endpoint = started.endpoint.clone();
            check_reachable(&client, &endpoint, &config.table_name, &config.dynamodb).await?;
            let streams = started.in_process_streams();
            engine = Some(started);
            (client, streams, endpoint)
        }
    };

    let app = App::new(config, client.clone());
    if let Some(change) = &options.role {
        let outcome = change_role(&app, change).await;
        if let Some(engine) = engine {
            engine.stop().await;
        }
        return outcome.map_err(|e| format!("{e} (table {} at {endpoint})", app.table_name()));
    }
    if app.create_table_if_missing().await.map_err(|e| {
        format!(
            "cannot create the table {} at the DynamoDB endpoint {endpoint}: {e}",
            app.table_name()
        )
    })? {
        tracing::info!(table = app.table_name(), "created the table");
    }
    // On a file, each worker goes on after a restart from where it got to
    // (kept in the same file), not from the oldest record of the stream.
    let checkpoints = match (&engine, &options.data) {
        (Some(_), Some(_)) => Some(Checkpoints::open(&client, app.table_name()).await?),
        _ => None,
    };
    let mut pollers = Vec::new();
    for worker in StreamWorker::all() {
        let poller =
            StreamPoller::for_worker(&client, streams.clone(), app.table_name(), worker).await?;
        pollers.push(match &checkpoints {
            Some(checkpoints) => poller.with_checkpoints(checkpoints.clone()),
            None => poller,
        });
    }
    if (options.seed || options.seed_only) && options.seed_demo.is_none() {
        seed::seed(&app)
            .await
            .map_err(|e| format!("cannot seed the table at {endpoint}: {e}"))?;
        stream::settle_all(&mut pollers, &app).await?;
        println!(
            "seeded: users susan (1, a moderator) and john (2), password {:?}; tokens {} and {}",
            seed::FIXTURE_PASSWORD,
            seed::FIXTURE_TOKEN,
            seed::FIXTURE_TOKEN_2
        );
    }
    if let Some(users) = options.seed_demo {
        let app = Arc::new(app.clone());
        eprintln!(
            "seeding a demo world of {users} users (popular from {} followers) ...",
            app.config.popular_followers
        );
        let made = demo::seed_demo(&app, users)
            .await
            .map_err(|e| format!("cannot seed the demo world at {endpoint}: {e}"))?;
        demo::settle(&mut pollers, &app).await?;
        println!(
            "demo world: {} users ({} popular), {} follows, {} posts, {} likes; log in as any of them (ada1 ... see GET /api/users) with password {:?}",
            made.users, made.popular, made.follows, made.posts, made.likes, demo::DEMO_PASSWORD
        );
    }
    if !options.seed_only {
        let addr: SocketAddr = format!("{}:{}", options.host, options.port)
            .parse()
            .map_err(|_| format!("{}:{} is not a valid address", options.host, options.port))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        println!("microblog API listening on http://{bound} (Ctrl-C to stop)");
        let app = Arc::new(app);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        // A permit for each worker once it has handled what the stream
        // held at start: records a stopped server never handled are older
        // than they would be on AWS, and must not be trimmed unhandled.
        let caught_up = Arc::new(tokio::sync::Semaphore::new(0));
        let workers_count = pollers.len() as u32;
        let workers: Vec<_> = pollers
            .into_iter()
            .map(|mut poller| {
                let (app, caught_up) = (app.clone(), caught_up.clone());
                let mut stopped = stopped.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        settled = poller.settle(&app) => if let Err(e) = settled {
                            tracing::warn!(worker = poller.worker().name(), error = %e, "catching up with the stream failed; going on");
                        },
                        _ = stopped.changed() => return,
                    }
                    caught_up.add_permits(1);
                    let shutdown = async move {
                        let _ = stopped.changed().await;
                    };
                    poller.run(&app, shutdown).await;
                })
            })
            .collect();
        let mut schedules = scheduled_workers(&app, &stopped);
        if let Some(engine) = &engine {
            let mut stopped = stopped.clone();
            let db = engine.database();
            schedules.push(tokio::spawn(async move {
                tokio::select! {
                    _ = caught_up.acquire_many(workers_count) => {}
                    _ = stopped.changed() => return,
                }
                retention::run(db, stream_retention, async move {
                    let _ = stopped.changed().await;
                })
                .await;
            }));
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        server::serve_with(listener, app, shutdown, options.limits).await;
        for schedule in schedules {
            schedule.abort();
        }
        let _ = stop.send(true);
        for worker in workers {
            let _ = worker.await;
        }
        println!("stopped");
    }
    if let Some(engine) = engine {
        engine.stop().await;
    }
    Ok(())
}

/// How long the embedded engine's stream keeps a record:
/// `STREAM_RETENTION_SECONDS`, by default DynamoDB Streams' 24 hours.
fn stream_retention() -> Result<Duration, String> {
    match std::env::var("STREAM_RETENTION_SECONDS") {
        Err(_) => Ok(retention::STREAM_RETENTION),
        Ok(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|seconds| *seconds > 0)
            .map(Duration::from_secs)
            .ok_or(format!(
                "STREAM_RETENTION_SECONDS must be a whole number of seconds above 0, got {raw:?}"
            )),
    }
}

/// Runs each scheduled worker (`report_age`) as EventBridge would, at its
/// rate, from now until the server stops; what each run answers is logged.
fn scheduled_workers(
    app: &Arc<App>,
    stopped: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    use microblog_shared::routes::{Trigger, WORKERS};
    WORKERS
        .iter()
        .filter_map(|worker| match worker.trigger {
            Trigger::Schedule(expression) => Some((worker.function, expression)),
            Trigger::TableStream => None,
        })
        .filter_map(|(name, expression)| {
            let handler = microblog_functions::scheduled(name)?;
            let every = schedule_period(expression)?;
            let (app, mut stopped) = (app.clone(), stopped.clone());
            Some(tokio::spawn(async move {
                let mut ticks = tokio::time::interval(every);
                loop {
                    tokio::select! {
                        _ = ticks.tick() => {}
                        _ = stopped.changed() => return,
                    }
                    let event = lambda_runtime::LambdaEvent::new(
                        serde_json::json!({"source": "aws.events", "detail-type": "Scheduled Event"}),
                        lambda_runtime::Context::default(),
                    );
                    match handler(&app, event).await {
                        Ok(answer) => tracing::info!(worker = name, %answer, "scheduled run"),
                        Err(e) => tracing::warn!(worker = name, error = %e, "scheduled run failed"),
                    }
                }
            }))
        })
        .collect()
}

/// The period of an EventBridge `rate(N minutes)` (or `minute`, `hours`,
/// `hour`) expression; `None` for anything else.
fn schedule_period(expression: &str) -> Option<std::time::Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.split_once(' ')?;
    let count: u64 = count.parse().ok()?;
    let seconds = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(count * seconds))
}

/// Grants or revokes the moderator role of `change.username`, with its
/// audit record, and says what it did.
async fn change_role(app: &App, change: &RoleChange) -> Result<(), String> {
    use microblog_shared::domain::Username;
    use microblog_shared::store::{Constraint, StoreError};
    let name = Username::parse(&change.username).map_err(|e| e.to_string())?;
    let id = app
        .users
        .id_by_username(&name)
        .await
        .map_err(|e| format!("cannot read the users: {e}"))?
        .ok_or(format!("no user is named {}", change.username))?;
    match app
        .moderation
        .set_moderator(id, change.grant, chrono::Utc::now())
        .await
    {
        Ok(()) => {
            let now = if change.grant { "now" } else { "no longer" };
            println!("{} (user {id}) is {now} a moderator", change.username);
            Ok(())
        }
        Err(StoreError::Conflict(Constraint::UserMissing)) => {
            Err(format!("no user is named {}", change.username))
        }
        Err(e) => Err(format!("cannot change the role: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_serve_on_port_3000_with_a_data_file() {
        let o = parse(&[]).unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.seed_only),
            ("127.0.0.1", 3000, false)
        );
        assert_eq!(o.data, Some(PathBuf::from(".microblog/local.db")));
    }

    #[test]
    fn memory_and_port_and_seed_are_understood() {
        let o = parse(&["seed", "--memory", "--port", "0"]).unwrap();
        assert!(o.seed_only && o.data.is_none() && o.port == 0);
    }

    #[test]
    fn the_engine_has_no_port_unless_one_is_asked_for() {
        assert_eq!(parse(&[]).unwrap().engine_port, None);
        assert_eq!(
            parse(&["--engine-port", "8000"]).unwrap().engine_port,
            Some(8000)
        );
        assert!(parse(&["--engine-port", "x"])
            .unwrap_err()
            .contains("--engine-port"));
    }

    #[test]
    fn a_client_s_share_of_connections_is_32_unless_set_within_the_total() {
        assert_eq!(parse(&[]).unwrap().limits.max_connections_per_client, 32);
        let set = parse(&["--connections-per-client", "256"]).unwrap();
        assert_eq!(set.limits.max_connections_per_client, 256);
        for bad in ["0", "257", "many"] {
            assert!(parse(&["--connections-per-client", bad])
                .unwrap_err()
                .contains("--connections-per-client"));
        }
    }

    #[test]
    fn grant_and_revoke_moderator_take_a_username_and_the_server_s_data_option() {
        let o = parse(&["grant-moderator", "susan", "--data", "x.db"]).unwrap();
        assert_eq!(
            o.role,
            Some(RoleChange {
                username: "susan".into(),
                grant: true
            })
        );
        assert_eq!(o.data, Some(PathBuf::from("x.db")));
        let o = parse(&["revoke-moderator", "susan"]).unwrap();
        assert!(!o.role.unwrap().grant);
        for bad in [
            &["grant-moderator"][..],
            &["revoke-moderator", "--data", "x"],
        ] {
            assert!(parse(bad).unwrap_err().contains("needs a USERNAME"));
        }
    }

    #[test]
    fn a_rate_expression_is_read_as_its_period() {
        let minutes = |n: u64| Some(std::time::Duration::from_secs(n * 60));
        assert_eq!(schedule_period("rate(5 minutes)"), minutes(5));
        assert_eq!(schedule_period("rate(1 hour)"), minutes(60));
        assert_eq!(schedule_period("cron(0 12 * * ? *)"), None);
        for worker in microblog_shared::routes::WORKERS {
            if let microblog_shared::routes::Trigger::Schedule(expression) = worker.trigger {
                assert!(schedule_period(expression).is_some(), "{expression}");
            }
        }
    }

    #[test]
    fn a_bad_argument_is_an_error_naming_it() {
        assert!(parse(&["--port", "x"]).unwrap_err().contains("--port"));
        assert!(parse(&["--bogus"]).unwrap_err().contains("--bogus"));
    }
}
