//! `signups`: the sustained sign-up rate of a real `microblog-local`
//! binary (`--server PATH`, default the one beside this binary, so an
//! older build can be measured against a newer one in the same run), with
//! N clients signing different people up at once for T seconds, on the
//! embedded engine or, with `AWS_ENDPOINT_URL_DYNAMODB` (and `AWS_REGION`
//! and credentials) set, on that engine (moto, say). Reports sign-ups a
//! second, the answers by status and the latency percentiles, then reads
//! `total_items` back, which must equal the sign-ups answered 201.
//!
//! ```text
//! cargo run --release -p microblog-bench -- signups [--clients N] [--seconds T] [--server PATH]
//! ```

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use microblog_tests::api::http;

use crate::load::{by_status, percentile, Answer, Server};

struct Options {
    clients: usize,
    seconds: u64,
    server: PathBuf,
}

fn usage() -> ! {
    eprintln!("usage: microblog-bench signups [--clients N] [--seconds T] [--server PATH]");
    std::process::exit(2)
}

fn options(mut args: impl Iterator<Item = String>) -> Options {
    let mut options = Options {
        clients: 24,
        seconds: 20,
        server: std::env::current_exe()
            .expect("own path")
            .with_file_name("microblog-local"),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        let mut number = || value().parse::<u64>().unwrap_or_else(|_| usage());
        match arg.as_str() {
            "--clients" => options.clients = number().clamp(1, 256) as usize,
            "--seconds" => options.seconds = number().clamp(1, 600),
            "--server" => options.server = PathBuf::from(value()),
            _ => usage(),
        }
    }
    options
}

/// Runs the measurement; exits non-zero if the count came out wrong.
pub async fn main(args: impl Iterator<Item = String>) {
    let options = options(args);
    if !options.server.exists() {
        eprintln!(
            "{} is missing: cargo build --release -p microblog-local first",
            options.server.display()
        );
        std::process::exit(2);
    }
    // A table of its own on a shared engine; every client is 127.0.0.1.
    let table = format!("microblog-signups-{}", std::process::id());
    let (_server, base) = Server::local(
        &options.server,
        &[
            ("TABLE_NAME", &table),
            ("RATE_LIMIT_LOGIN_FAILURES", "0"),
            ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0"),
            ("RATE_LIMIT_SIGNUPS_PER_HOUR", "0"),
            ("RUST_LOG", "error"),
        ],
    )
    .await;
    let engine =
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_else(|_| "the embedded engine".into());
    eprintln!(
        "signups: {} clients for {} s against {} on {engine}",
        options.clients,
        options.seconds,
        options.server.display()
    );
    let start = Instant::now();
    let length = Duration::from_secs(options.seconds);
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let mut clients = Vec::new();
    for c in 0..options.clients {
        let (base, answers) = (base.clone(), answers.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while start.elapsed() < length {
                n += 1;
                let name = format!("c{c}n{n}");
                let body = format!(
                    r#"{{"username":"{name}","email":"{name}@example.com","password":"password-123"}}"#
                );
                let sent = Instant::now();
                let reply = http(&base, "POST", "/api/users", &[], Some(&body)).await;
                answers.lock().unwrap().push(Answer {
                    at: start.elapsed(),
                    status: reply.status,
                    took: sent.elapsed(),
                });
            }
        }));
    }
    for client in clients {
        client.await.expect("a client ran to the end");
    }
    let elapsed = start.elapsed();
    let answers = answers.lock().unwrap().clone();
    let statuses = by_status(&answers);
    let created = statuses.get(&201).copied().unwrap_or(0);
    let mut took: Vec<Duration> = answers.iter().map(|a| a.took).collect();
    took.sort_unstable();

    // The count, read back through the API by one of the new users.
    let total = total_items(&base).await;
    println!(
        "| {} | {} | {:.1} | {} | {:.0} | {:.0} | {} |",
        options.server.display(),
        options.clients,
        created as f64 / elapsed.as_secs_f64(),
        statuses
            .iter()
            .map(|(status, n)| format!("{n} × {status}"))
            .collect::<Vec<_>>()
            .join(", "),
        percentile(&took, 0.5).as_secs_f64() * 1000.0,
        percentile(&took, 0.99).as_secs_f64() * 1000.0,
        total.map_or("unreadable".to_string(), |t| t.to_string()),
    );
    if total != Some(created as u64) {
        eprintln!("total_items is {total:?}, but {created} sign-ups were answered 201");
        std::process::exit(1);
    }
}

/// `total_items` of `GET /api/users`, as the first client's first user.
async fn total_items(base: &str) -> Option<u64> {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("c0n1:password-123");
    let reply = http(
        base,
        "POST",
        "/api/tokens",
        &[("authorization", &format!("Basic {basic}"))],
        None,
    )
    .await;
    let token = reply.json()["token"].as_str()?.to_string();
    let reply = http(
        base,
        "GET",
        "/api/users",
        &[("authorization", &format!("Bearer {token}"))],
        None,
    )
    .await;
    reply.json()["_meta"]["total_items"].as_u64()
}
