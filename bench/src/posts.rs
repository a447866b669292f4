//! `posts`: does a write cost the same at the 100,000th post as at the
//! first? A real `microblog-local` binary (`--server PATH`, default the one
//! beside this binary), on `--memory` or on a file (`--data PATH`), gets
//! `--users U` users who each follow the next `--follows F` (so every post
//! is fanned out to F feeds while the run goes on), then N posts in a row on
//! one keep-alive connection, post *i* by user *i* mod U. Reports, for each
//! block of 1,000 posts, the latency percentiles of its posts and the
//! server's resident memory at its end; then the last block's p50 against
//! the first's, the server's peak memory, and how long after one more post
//! it reached a follower's feed (how far the fan-out was behind the writes).
//! With `--restart M` the server is then killed and started again on the
//! same file and M more posts are timed the same way (the stream positions
//! and the trimmed stream survive the restart). `--retention SECONDS` sets
//! the server's `STREAM_RETENTION_SECONDS`. Exits non-zero when a post is
//! not answered 201.
//!
//! ```text
//! cargo run --release -p microblog-bench -- posts [--posts N] [--users U] [--follows F]
//!     [--data PATH] [--restart M] [--retention SECONDS] [--server PATH]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper::Method;
use microblog_tests::api::http;

use crate::load::{connect, percentile, Server};
use crate::serve::{send, Sender};

/// Posts a block of the report holds.
const BLOCK: usize = 1000;

struct Options {
    posts: usize,
    users: usize,
    follows: usize,
    data: Option<PathBuf>,
    restart: usize,
    retention: Option<u64>,
    server: PathBuf,
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench posts [--posts N] [--users U] [--follows F] [--data PATH] [--restart M] [--server PATH]\n\n\
         --posts    posts written in a row on one connection (default 100000)\n\
         --users    users writing them in turn (default 100)\n\
         --follows  users each one follows, so each post reaches that many feeds (default 10)\n\
         --data     the server's SQLite file (default: --memory); it must not exist yet\n\
         --restart  after the run, restart the server on --data and write M more posts\n\
         --retention  seconds the server's stream keeps a record (default: the server's, 24 hours)\n\
         --server   the microblog-local binary (default: the one beside this binary)"
    );
    std::process::exit(2)
}

fn options(mut args: impl Iterator<Item = String>) -> Options {
    let mut options = Options {
        posts: 100_000,
        users: 100,
        follows: 10,
        data: None,
        restart: 0,
        retention: None,
        server: std::env::current_exe()
            .expect("own path")
            .with_file_name("microblog-local"),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        let mut number = || value().parse::<usize>().unwrap_or_else(|_| usage());
        match arg.as_str() {
            "--posts" => options.posts = number().clamp(BLOCK, 10_000_000),
            "--users" => options.users = number().clamp(2, 10_000),
            "--follows" => options.follows = number(),
            "--restart" => options.restart = number(),
            "--retention" => options.retention = Some(number().max(1) as u64),
            "--data" => options.data = Some(PathBuf::from(value())),
            "--server" => options.server = PathBuf::from(value()),
            _ => usage(),
        }
    }
    options.follows = options.follows.min(options.users - 1);
    if options.restart > 0 && options.data.is_none() {
        eprintln!("--restart needs --data: a server on --memory starts empty");
        std::process::exit(2);
    }
    options
}

/// The server's environment: no limit stands in the way of one client
/// writing this much, and tokens outlive the run.
const ENV: &[(&str, &str)] = &[
    ("RATE_LIMIT_SIGNUPS_PER_HOUR", "0"),
    ("RATE_LIMIT_LOGIN_FAILURES", "0"),
    ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0"),
    ("TOKEN_TTL_SECONDS", "604800"),
    ("RUST_LOG", "error"),
];

/// Runs the measurement.
pub async fn main(args: impl Iterator<Item = String>) {
    let options = options(args);
    if !options.server.exists() {
        eprintln!(
            "{} is missing: cargo build --release -p microblog-local first",
            options.server.display()
        );
        std::process::exit(2);
    }
    if let Some(data) = options.data.as_ref().filter(|d| d.exists()) {
        eprintln!("{} exists: give a new file", data.display());
        std::process::exit(2);
    }
    let data = options.data.as_ref().map(|d| d.display().to_string());
    let args: Vec<&str> = match &data {
        Some(path) => vec!["--data", path],
        None => vec!["--memory"],
    };
    let retention = options.retention.map(|s| s.to_string());
    let mut env = ENV.to_vec();
    if let Some(seconds) = &retention {
        env.push(("STREAM_RETENTION_SECONDS", seconds));
    }
    let env = &env[..];
    let (server, base) = Server::start(&options.server, &args, env).await;
    let set_up = Instant::now();
    let tokens = users(&base, options.users, options.follows).await;
    eprintln!(
        "posts: {} users, each following {}, set up in {:.1} s; writing {} posts on {}",
        options.users,
        options.follows,
        set_up.elapsed().as_secs_f64(),
        options.posts,
        data.as_deref().unwrap_or("--memory"),
    );
    println!("| posts | p50 ms | p90 ms | p99 ms | max ms | server RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|");
    let blocks = write(&server, &base, &tokens, 0, options.posts).await;
    let lag = fan_out_lag(&base, &tokens).await;
    let (_, peak) = server.memory_mib();
    drop(server);
    summary("this run", &blocks, peak);
    println!(
        "The fan-out ({} feed entries a post) caught up {lag:.1} s after the last post.",
        options.follows
    );
    if let Some(data) = &options.data {
        println!("The file: {:.0} MiB", file_mib(data));
    }
    if options.restart > 0 {
        let (server, base) = Server::start(&options.server, &args, env).await;
        println!("\nRestarted on the same file:\n");
        println!("| posts | p50 ms | p90 ms | p99 ms | max ms | server RSS MiB |");
        println!("|---|---:|---:|---:|---:|---:|");
        let after = write(&server, &base, &tokens, options.posts, options.restart).await;
        let (_, peak) = server.memory_mib();
        summary("after the restart", &after, peak);
        if let Some(data) = &options.data {
            println!("The file: {:.0} MiB", file_mib(data));
        }
        println!(
            "\nThe last block after the restart against the first block of the run: {:.2}×",
            ratio(&after, &blocks)
        );
    }
}

/// `count` users, user i following the next `follows` (wrapping round);
/// their bearer tokens.
async fn users(base: &str, count: usize, follows: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("writer{i}");
        let body = format!(
            r#"{{"username":"{name}","email":"{name}@example.com","password":"password-123"}}"#
        );
        let reply = http(base, "POST", "/api/users", &[], Some(&body)).await;
        assert_eq!(reply.status, 201, "signing up {name}: {}", reply.body);
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{name}:password-123"));
        let reply = http(
            base,
            "POST",
            "/api/tokens",
            &[("authorization", &format!("Basic {basic}"))],
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "logging {name} in: {}", reply.body);
        tokens.push(reply.json()["token"].as_str().expect("a token").to_string());
    }
    for (i, token) in tokens.iter().enumerate() {
        for step in 1..=follows {
            let followed = (i + step) % count + 1;
            let reply = http(
                base,
                "PUT",
                &format!("/api/users/{}/followed/{followed}", i + 1),
                &[("authorization", &format!("Bearer {token}"))],
                None,
            )
            .await;
            assert!(
                reply.status == 201 || reply.status == 204,
                "a follow: {} {}",
                reply.status,
                reply.body
            );
        }
    }
    tokens
}

/// Seconds from one more post until it is in a follower's feed: how far
/// the fan-out is behind the writes when they stop.
async fn fan_out_lag(base: &str, tokens: &[String]) -> f64 {
    let (author, follower) = (0, tokens.len() - 1);
    let reply = http(
        base,
        "POST",
        "/api/posts",
        &[("authorization", &format!("Bearer {}", tokens[author]))],
        Some(r#"{"body":"the last post"}"#),
    )
    .await;
    assert_eq!(reply.status, 201, "the last post: {}", reply.body);
    let id = reply.json()["id"].clone();
    let posted = Instant::now();
    loop {
        let feed = http(
            base,
            "GET",
            "/api/feed?per_page=1",
            &[("authorization", &format!("Bearer {}", tokens[follower]))],
            None,
        )
        .await;
        if feed.json()["items"][0]["id"] == id {
            return posted.elapsed().as_secs_f64();
        }
        assert!(
            posted.elapsed() < Duration::from_secs(3600),
            "the fan-out did not catch up in an hour"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One block's posts' latencies, sorted.
struct Block {
    took: Vec<Duration>,
}

/// Writes posts `first..first + count` on one connection, printing each
/// block's row as it ends.
async fn write(
    server: &Server,
    base: &str,
    tokens: &[String],
    first: usize,
    count: usize,
) -> Vec<Block> {
    let addr = base.strip_prefix("http://").expect("http base");
    let mut sender: Sender = connect(addr.parse().expect("an address"))
        .await
        .expect("a connection");
    let mut blocks = Vec::new();
    let mut took = Vec::with_capacity(BLOCK);
    for i in first..first + count {
        let token = &tokens[i % tokens.len()];
        let body = format!(
            r#"{{"body":"post {i}: what a local server should do after a day of use, a week, a month"}}"#
        );
        let sent = Instant::now();
        let status = send(
            &mut sender,
            addr,
            (
                Method::POST,
                "/api/posts".to_string(),
                format!("Bearer {token}"),
                Some(body),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("post {i}: {e}"));
        if status != 201 {
            eprintln!("post {i} was answered {status}");
            std::process::exit(1);
        }
        took.push(sent.elapsed());
        if took.len() == BLOCK || i + 1 == first + count {
            took.sort_unstable();
            let (rss, _) = server.memory_mib();
            let ms = |q| percentile(&took, q).as_secs_f64() * 1000.0;
            println!(
                "| {}–{} | {:.2} | {:.2} | {:.2} | {:.2} | {rss:.0} |",
                i + 2 - took.len(),
                i + 1,
                ms(0.5),
                ms(0.9),
                ms(0.99),
                ms(1.0),
            );
            blocks.push(Block {
                took: std::mem::take(&mut took),
            });
        }
    }
    blocks
}

/// The size of an engine's file and its write-ahead log, in MiB.
fn file_mib(data: &std::path::Path) -> f64 {
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = data.as_os_str().to_owned();
    wal.push("-wal");
    (size(data.to_path_buf()) + size(PathBuf::from(wal))) as f64 / (1024.0 * 1024.0)
}

fn p50(block: &Block) -> f64 {
    percentile(&block.took, 0.5).as_secs_f64()
}

/// The last block's p50 over the first block's of `base`.
fn ratio(blocks: &[Block], base: &[Block]) -> f64 {
    match (blocks.last(), base.first()) {
        (Some(last), Some(first)) => p50(last) / p50(first),
        _ => f64::NAN,
    }
}

fn summary(what: &str, blocks: &[Block], peak_mib: f64) {
    println!(
        "\n{what}: the last block's p50 is {:.2}× the first block's; the server's peak RSS {peak_mib:.0} MiB",
        ratio(blocks, blocks)
    );
}
