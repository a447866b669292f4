//! `microblog-bench load`: the local server under load (docs/PERFORMANCE.md,
//! "Local server"). In one process, as `microblog-local --memory` runs: an
//! in-memory dynoxide engine called in-process, the app, the stream poller
//! running `fan_out` in the background and the HTTP server
//! (`microblog_local::server::serve`) on an ephemeral loopback port. N
//! keep-alive HTTP/1.1 connections then send requests for T seconds:
//!
//! - `--mix get_user`: `GET /api/users/{id}` with a valid token, the figure
//!   issue 11 compares with the Flask original;
//! - `--mix mixed` (default): what an app's users do, by weight: reads of
//!   users, lists, follows, posts and feeds, posting, following and
//!   unfollowing, profile edits and logins (each an argon2 verify), over 100
//!   users who each follow 10 others and wrote 3 posts.
//!
//! Each answer is timed from sending the request to its body's last byte and
//! checked against the statuses its operation may answer; anything else,
//! and any failed connection, is an error. The report gives req/s, p50, p99
//! and errors in all and per operation.
//!
//! `--engine http` makes the app reach the engine over loopback HTTP
//! instead, as the local server did before issue 11, to compare the two.
//!
//! ```text
//! cargo run --release -p microblog-bench -- load [--mix get_user|mixed] [--engine in-process|http] [--connections N] [--seconds T]
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::Method;
use microblog_local::engine::{client_for_endpoint, Engine};
use microblog_local::server::{serve_with, Limits};
use microblog_local::stream::{self, StreamPoller};
use microblog_shared::auth::session::{new_session_id, Grant};
use microblog_shared::domain::{Email, NewUser, Password, PostBody, UserId, Username};
use microblog_shared::hashing::hash_password;
use microblog_shared::store::posts::Draft;
use microblog_shared::{App, Config};
use tokio::net::TcpListener;

use crate::load::{connect, percentile};

const TABLE: &str = "microblog-load-bench";
const USERS: u64 = 100;
/// Each user follows the next this many users (by id, wrapping around).
const FOLLOWS_EACH: u64 = 10;
const POSTS_EACH: u64 = 3;
const PASSWORD: &str = "load-bench-password";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mix {
    GetUser,
    Mixed,
}

struct Options {
    mix: Mix,
    /// Whether the app reaches the engine over loopback HTTP (as before
    /// issue 11) instead of in-process, to compare the two in one run.
    http_engine: bool,
    connections: usize,
    seconds: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench load [--mix get_user|mixed] [--engine in-process|http] [--connections N] [--seconds T]\n\n\
         --mix          get_user: GET /api/users/{{id}} only; mixed (default): reads and writes of every kind\n\
         --engine       in-process (default, as microblog-local): the SDK calls the engine in-process;\n\
                        http: over loopback HTTP to the engine's server, as before\n\
         --connections  concurrent keep-alive connections (default 16, at most 256)\n\
         --seconds      length of the run (default 10, 1 to 120)"
    );
    std::process::exit(2)
}

fn options(mut args: impl Iterator<Item = String>) -> Options {
    let mut options = Options {
        mix: Mix::Mixed,
        http_engine: false,
        connections: 16,
        seconds: 10,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--mix" => {
                options.mix = match value().as_str() {
                    "get_user" => Mix::GetUser,
                    "mixed" => Mix::Mixed,
                    _ => usage(),
                }
            }
            "--engine" => {
                options.http_engine = match value().as_str() {
                    "http" => true,
                    "in-process" => false,
                    _ => usage(),
                }
            }
            "--connections" => {
                options.connections = value()
                    .parse::<usize>()
                    .unwrap_or_else(|_| usage())
                    .clamp(1, 256)
            }
            "--seconds" => {
                options.seconds = value()
                    .parse::<u64>()
                    .unwrap_or_else(|_| usage())
                    .clamp(1, 120)
            }
            _ => usage(),
        }
    }
    options
}

/// One kind of request of the mix: its weight, and the statuses that are
/// right answers to it.
struct Operation {
    name: &'static str,
    weight: u32,
    ok: &'static [u16],
}

/// The mixed load, by weight (out of 100): reads dominate, as in any
/// social app; one request in a hundred is a login.
const MIXED: &[Operation] = &[
    op("GET /api/users/{id}", 25, &[200]),
    op("GET /api/feed", 25, &[200]),
    op("GET /api/users", 5, &[200]),
    op("GET /api/users/{id}/followers", 5, &[200]),
    op("GET /api/users/{id}/followed", 5, &[200]),
    op("GET /api/users/{id}/followed/{t}", 5, &[204, 404]),
    op("GET /api/users/{id}/posts", 5, &[200]),
    op("GET /api/posts/{id}", 10, &[200]),
    op("POST /api/posts", 5, &[201]),
    op("PUT /api/users/{id}/followed/{t}", 3, &[204]),
    op("DELETE /api/users/{id}/followed/{t}", 3, &[204]),
    op("PUT /api/users/{id}", 3, &[200]),
    op("POST /api/tokens", 1, &[200]),
];

const GET_USER: &[Operation] = &[op("GET /api/users/{id}", 1, &[200])];

const fn op(name: &'static str, weight: u32, ok: &'static [u16]) -> Operation {
    Operation { name, weight, ok }
}

/// Runs the load; the process exits non-zero if any answer was wrong.
pub async fn main(args: impl Iterator<Item = String>) {
    let options = options(args);
    match run(&options).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(1);
        }
    }
}

/// The users' bearer tokens, by user id (index 0 is user 1), and the ids
/// of the posts written.
struct Fixture {
    tokens: Vec<String>,
    posts: Vec<u64>,
}

async fn set_up(app: &App) -> Result<Fixture, String> {
    let password = Password::parse(PASSWORD).map_err(|e| format!("{e:?}"))?;
    let hash = hash_password(password).await.map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    let mut tokens = Vec::new();
    for i in 1..=USERS {
        let name = format!("user{i:03}");
        let user = app
            .users
            .create(
                NewUser {
                    username: Username::parse(&name).map_err(|e| format!("{e:?}"))?,
                    email: Email::parse(&format!("{name}@example.com"))
                        .map_err(|e| format!("{e:?}"))?,
                    password_hash: hash.clone(),
                    about_me: None,
                },
                now,
            )
            .await
            .map_err(|e| format!("creating {name}: {e}"))?;
        if user.id != UserId::new(i) {
            return Err(format!("{name} got id {}, expected {i}", user.id));
        }
        // A session as a login opens one (epoch 0: a new user's).
        let session = new_session_id();
        let grant = Grant::new(&app.config, UserId::new(i), &session, now);
        app.tokens
            .open(UserId::new(i), 0, &session, &grant.pair, now)
            .await
            .map_err(|e| format!("a session for {name}: {e}"))?;
        tokens.push(grant.access_token);
    }
    let micros = now.timestamp_micros() as u64;
    for i in 1..=USERS {
        for k in 1..=FOLLOWS_EACH {
            let target = (i + k - 1) % USERS + 1;
            app.follows
                .follow(UserId::new(i), UserId::new(target), micros + i * 100 + k)
                .await
                .map_err(|e| format!("{i} follows {target}: {e}"))?;
        }
    }
    let mut posts = Vec::new();
    for n in 0..POSTS_EACH {
        for i in 1..=USERS {
            let body =
                PostBody::parse(&format!("Post {n} of user {i}, written by the load bench."))
                    .map_err(|e| format!("{e:?}"))?;
            let post = app
                .posts
                .create(UserId::new(i), Draft::plain(body), chrono::Utc::now(), None)
                .await
                .map_err(|e| format!("a post by {i}: {e}"))?;
            posts.push(post.id.get());
        }
    }
    Ok(Fixture { tokens, posts })
}

async fn run(options: &Options) -> Result<bool, String> {
    let engine = Engine::memory().await.map_err(|e| e.to_string())?;
    let config = Config::from_lookup(|n| (n == "TABLE_NAME").then(|| TABLE.to_string()))
        .map_err(|e| e.to_string())?;
    let (client, streams) = if options.http_engine {
        (
            client_for_endpoint(&engine.endpoint, &config.dynamodb),
            stream::client_for_endpoint(&engine.endpoint),
        )
    } else {
        (
            engine.in_process_client(&config.dynamodb),
            engine.in_process_streams(),
        )
    };
    let app = Arc::new(App::new(config, client.clone()));
    app.create_table_if_missing()
        .await
        .map_err(|e| e.to_string())?;
    let mut poller = StreamPoller::new(&client, streams, app.table_name()).await?;
    eprintln!(
        "load: setting up {USERS} users, {} follows, {} posts ...",
        USERS * FOLLOWS_EACH,
        USERS * POSTS_EACH
    );
    let at = Instant::now();
    let fixture = Arc::new(set_up(&app).await?);
    poller.settle(&app).await?;
    eprintln!("load: set up in {:.1} s", at.elapsed().as_secs_f64());

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server = {
        let mut stopped = stopped.clone();
        // The bench is one client with many connections on purpose.
        tokio::spawn(serve_with(
            listener,
            app.clone(),
            async move {
                let _ = stopped.changed().await;
            },
            Limits::one_client(),
        ))
    };
    // The fan-out runs meanwhile, as on the local server.
    let fan_out = {
        let (app, mut stopped) = (app.clone(), stopped.clone());
        tokio::spawn(async move {
            poller
                .run(&app, async move {
                    let _ = stopped.changed().await;
                })
                .await;
        })
    };
    let operations = match options.mix {
        Mix::GetUser => GET_USER,
        Mix::Mixed => MIXED,
    };
    let length = Duration::from_secs(options.seconds);
    eprintln!(
        "load: {} connections for {} s on http://{addr} ...",
        options.connections, options.seconds
    );
    let cpu_before = cpu_time();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..options.connections {
        let fixture = fixture.clone();
        tasks.push(tokio::spawn(connection(
            addr, c as u64, operations, fixture, start, length,
        )));
    }
    let mut answers: Vec<Vec<(Duration, bool)>> = vec![Vec::new(); operations.len()];
    let mut failures = Vec::new();
    for task in tasks {
        let (got, failed) = task.await.map_err(|e| e.to_string())?;
        for (i, took, ok) in got {
            answers[i].push((took, ok));
        }
        failures.extend(failed);
    }
    let elapsed = start.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let _ = stop.send(true);
    let _ = server.await;
    let _ = fan_out.await;
    engine.stop().await;
    report(options, operations, &answers, &failures, elapsed, cpu);
    Ok(failures.is_empty() && answers.iter().flatten().all(|(_, ok)| *ok))
}

/// A small deterministic generator (xorshift64*), one per connection.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) % n
    }
}

/// The method, path, authorization and body of one request of operation
/// `name`, for a random caller.
fn request(
    name: &str,
    random: &mut Random,
    fixture: &Fixture,
    serial: u64,
) -> (Method, String, String, Option<String>) {
    let me = random.below(USERS) + 1;
    let other = random.below(USERS) + 1;
    let bearer = format!("Bearer {}", fixture.tokens[(me - 1) as usize]);
    let post = fixture.posts[random.below(fixture.posts.len() as u64) as usize];
    // Follows and unfollows of users outside the fixture's edges, so the
    // fixture's feeds stay as they are.
    let stranger = (me + FOLLOWS_EACH + 1 + random.below(USERS - FOLLOWS_EACH - 2)) % USERS + 1;
    match name {
        "GET /api/users/{id}" => (Method::GET, format!("/api/users/{other}"), bearer, None),
        "GET /api/feed" => (Method::GET, "/api/feed".into(), bearer, None),
        "GET /api/users" => (Method::GET, "/api/users".into(), bearer, None),
        "GET /api/users/{id}/followers" => (
            Method::GET,
            format!("/api/users/{other}/followers"),
            bearer,
            None,
        ),
        "GET /api/users/{id}/followed" => (
            Method::GET,
            format!("/api/users/{other}/followed"),
            bearer,
            None,
        ),
        "GET /api/users/{id}/followed/{t}" => (
            Method::GET,
            format!("/api/users/{me}/followed/{other}"),
            bearer,
            None,
        ),
        "GET /api/users/{id}/posts" => (
            Method::GET,
            format!("/api/users/{other}/posts"),
            bearer,
            None,
        ),
        "GET /api/posts/{id}" => (Method::GET, format!("/api/posts/{post}"), bearer, None),
        "POST /api/posts" => (
            Method::POST,
            "/api/posts".into(),
            bearer,
            Some(format!(
                r#"{{"body":"Load bench post {serial} by user {me}."}}"#
            )),
        ),
        "PUT /api/users/{id}/followed/{t}" => (
            Method::PUT,
            format!("/api/users/{me}/followed/{stranger}"),
            bearer,
            None,
        ),
        "DELETE /api/users/{id}/followed/{t}" => (
            Method::DELETE,
            format!("/api/users/{me}/followed/{stranger}"),
            bearer,
            None,
        ),
        "PUT /api/users/{id}" => (
            Method::PUT,
            format!("/api/users/{me}"),
            bearer,
            Some(format!(
                r#"{{"about_me":"Edited by the load bench ({serial})"}}"#
            )),
        ),
        "POST /api/tokens" => {
            let basic = STANDARD.encode(format!("user{me:03}:{PASSWORD}"));
            (
                Method::POST,
                "/api/tokens".into(),
                format!("Basic {basic}"),
                None,
            )
        }
        other => unreachable!("no request for {other}"),
    }
}

pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// Sends one request on a kept-alive connection; its status once the whole
/// body has arrived.
pub(crate) async fn send(
    sender: &mut Sender,
    host: &str,
    (method, path, authorization, body): (Method, String, String, Option<String>),
) -> Result<u16, String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::AUTHORIZATION, authorization);
    if body.is_some() {
        request = request.header(hyper::header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(status)
}

/// One connection's run: (operation index, time, right answer) per request,
/// and the failures (no answer) as sentences.
async fn connection(
    addr: SocketAddr,
    seed: u64,
    operations: &'static [Operation],
    fixture: Arc<Fixture>,
    start: Instant,
    length: Duration,
) -> (Vec<(usize, Duration, bool)>, Vec<String>) {
    let total: u32 = operations.iter().map(|o| o.weight).sum();
    let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ (seed + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let host = addr.to_string();
    let (mut answers, mut failures) = (Vec::new(), Vec::new());
    let mut sender = None;
    let mut serial = seed << 32;
    while start.elapsed() < length {
        let mut pick = random.below(u64::from(total)) as u32;
        let index = operations
            .iter()
            .position(|o| {
                let hit = pick < o.weight;
                pick = pick.saturating_sub(o.weight);
                hit
            })
            .unwrap_or(0);
        let operation = &operations[index];
        serial += 1;
        let request = request(operation.name, &mut random, &fixture, serial);
        let sending = match &mut sender {
            Some(sending) => sending,
            None => match connect(addr).await {
                Ok(connected) => sender.insert(connected),
                Err(e) => {
                    failures.push(format!("connecting: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let at = Instant::now();
        match send(sending, &host, request).await {
            Ok(status) => answers.push((index, at.elapsed(), operation.ok.contains(&status))),
            Err(e) => {
                failures.push(format!("{}: {e}", operation.name));
                sender = None;
            }
        }
    }
    (answers, failures)
}

/// CPU time this process has used (user and system, all threads), from
/// `/proc/self/stat`; `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis; utime and stime
    // are the 14th and 15th fields of the line, in clock ticks (100 a second
    // on Linux).
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn report(
    options: &Options,
    operations: &[Operation],
    answers: &[Vec<(Duration, bool)>],
    failures: &[String],
    elapsed: Duration,
    cpu: Option<Duration>,
) {
    let row = |name: &str, answers: &[(Duration, bool)], failed: usize| {
        let mut times: Vec<Duration> = answers.iter().map(|(t, _)| *t).collect();
        times.sort();
        let wrong = answers.iter().filter(|(_, ok)| !ok).count();
        println!(
            "| {name} | {} | {:.0} | {} | {} | {} | {} |",
            answers.len(),
            answers.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            wrong + failed,
        );
    };
    println!(
        "{} · load `{}` · engine {} · {} connections · {:.1} s · {USERS} users, {} follows, {} posts\n",
        crate::machine(),
        match options.mix {
            Mix::GetUser => "get_user",
            Mix::Mixed => "mixed",
        },
        if options.http_engine { "over loopback HTTP" } else { "in-process" },
        options.connections,
        elapsed.as_secs_f64(),
        USERS * FOLLOWS_EACH,
        USERS * POSTS_EACH,
    );
    println!("| operation | requests | req/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let all: Vec<(Duration, bool)> = answers.iter().flatten().copied().collect();
    row("**all**", &all, failures.len());
    if operations.len() > 1 {
        for (operation, answers) in operations.iter().zip(answers) {
            row(operation.name, answers, 0);
        }
    }
    let requests = answers.iter().map(Vec::len).sum::<usize>().max(1);
    if let Some(cpu) = cpu {
        println!(
            "\nCPU time of the whole process (server, engine and clients): {:.1} s, {:.0} µs a request; load average at the end: {}",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / requests as f64,
            std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|_| "unknown".into())
        );
    }
    if let Some(first) = failures.first() {
        eprintln!(
            "load: {} requests got no answer, e.g. {first}",
            failures.len()
        );
    }
}
