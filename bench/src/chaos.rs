//! `microblog-bench chaos`: N clients for T seconds on a mixed workload
//! against the real `microblog-local` binary, whose DynamoDB is a
//! file-backed dynoxide engine (external to it, in this process) that the
//! run stops and restarts a few times. Loopback only. Reports requests
//! served, answers by status, the longest answer, the time to recover after
//! each restart, and checks the whole table's invariants at the end
//! (docs/RELIABILITY.md).
//!
//! ```text
//! cargo build --release -p microblog-local -p microblog-bench
//! target/release/microblog-bench chaos [--clients N] [--seconds T] [--restarts K] [--down S]
//! ```

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use microblog_local::engine::Engine;
use microblog_tests::api::http;
use microblog_tests::invariants;

use crate::load::{by_status, Answer, Server};

const TABLE: &str = "microblog-chaos";

struct Options {
    clients: usize,
    seconds: u64,
    restarts: usize,
    down: Duration,
}

fn usage() -> ! {
    eprintln!(
        "usage: microblog-bench chaos [--clients N] [--seconds T] [--restarts K] [--down SECONDS]\n\n\
         --clients   concurrent clients (default 8)\n\
         --seconds   length of the run (default 30, at most 600)\n\
         --restarts  engine stops and restarts during the run (default 3)\n\
         --down      seconds the engine stays stopped each time (default 2)"
    );
    std::process::exit(2)
}

fn options(args: impl Iterator<Item = String>) -> Options {
    let mut options = Options {
        clients: 8,
        seconds: 30,
        restarts: 3,
        down: Duration::from_secs(2),
    };
    let mut args = args;
    while let Some(arg) = args.next() {
        let mut number = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage())
        };
        match arg.as_str() {
            "--clients" => options.clients = number().clamp(1, 256) as usize,
            "--seconds" => options.seconds = number().clamp(5, 600),
            "--restarts" => options.restarts = number().min(20) as usize,
            "--down" => options.down = Duration::from_secs(number().clamp(1, 60)),
            _ => usage(),
        }
    }
    options
}

/// A small xorshift, so the workload needs no extra crate.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the chaos run; the process exits non-zero if an invariant broke.
pub async fn main(args: impl Iterator<Item = String>) {
    let options = options(args);
    let dir = std::env::temp_dir().join(format!("microblog-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let data = dir.join("engine.db");
    let data = data.to_str().expect("a UTF-8 path").to_string();
    let open = || dynoxide::Database::new(&data).expect("the engine's file opens");
    let mut engine = Engine::start(open()).await.expect("the engine starts");
    let endpoint = engine.endpoint.clone();
    let addr = endpoint.trim_start_matches("http://").to_string();

    let binary = std::env::current_exe()
        .expect("own path")
        .with_file_name("microblog-local");
    if !binary.exists() {
        eprintln!(
            "{} is missing: cargo build --release -p microblog-local first",
            binary.display()
        );
        std::process::exit(2);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _server = Server(
        Command::new(&binary)
            .args(["--port", &port.to_string()])
            // Every client calls from 127.0.0.1: one client's share is all.
            .args(["--connections-per-client", "256"])
            .env("AWS_ENDPOINT_URL_DYNAMODB", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("TABLE_NAME", TABLE)
            // Every client calls from 127.0.0.1: no abuse limits.
            .env("RATE_LIMIT_LOGIN_FAILURES", "0")
            .env("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0")
            .env("RATE_LIMIT_SIGNUPS_PER_HOUR", "0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("microblog-local starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let ready = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // One user and token per client, made while the engine is up.
    let mut users = Vec::new();
    for c in 0..options.clients {
        let name = format!("client{c}");
        let body = format!(
            r#"{{"username":"{name}","email":"{name}@example.com","password":"password-123"}}"#
        );
        let reply = http(&base, "POST", "/api/users", &[], Some(&body)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = reply.json()["id"].as_u64().unwrap();
        let basic = format!("Basic {}", basic_credentials(&name));
        let reply = http(
            &base,
            "POST",
            "/api/tokens",
            &[("authorization", &basic)],
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let token = reply.json()["token"].as_str().unwrap().to_string();
        users.push((id, name, token));
    }
    let ids: Vec<u64> = users.iter().map(|(id, _, _)| *id).collect();

    eprintln!(
        "chaos: {} clients for {} s, {} engine restarts ({} s down each), server {base}, engine {endpoint} ({data})",
        options.clients,
        options.seconds,
        options.restarts,
        options.down.as_secs()
    );
    let start = Instant::now();
    let length = Duration::from_secs(options.seconds);
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let mut clients = Vec::new();
    for (c, (id, name, token)) in users.into_iter().enumerate() {
        let base = base.clone();
        let ids = ids.clone();
        let answers = answers.clone();
        clients.push(tokio::spawn(async move {
            let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ ((c as u64 + 1) * 0x2545_F491_4F6C_DD1D));
            let bearer = format!("Bearer {token}");
            let basic = format!("Basic {}", basic_credentials(&name));
            let mut created = 0;
            while start.elapsed() < length {
                let other = ids[dice.below(ids.len() as u64) as usize];
                let sent = Instant::now();
                let roll = dice.below(100);
                let reply = if roll < 50 {
                    http(&base, "GET", &format!("/api/users/{other}"), &[("authorization", &bearer)], None).await
                } else if roll < 70 {
                    http(&base, "PUT", &format!("/api/users/{id}/followed/{other}"), &[("authorization", &bearer)], None).await
                } else if roll < 85 {
                    http(&base, "DELETE", &format!("/api/users/{id}/followed/{other}"), &[("authorization", &bearer)], None).await
                } else if roll < 90 {
                    http(&base, "GET", &format!("/api/users/{other}/followers"), &[("authorization", &bearer)], None).await
                } else if roll < 95 {
                    http(&base, "POST", "/api/tokens", &[("authorization", &basic)], None).await
                } else {
                    created += 1;
                    let body = format!(
                        r#"{{"username":"{name}x{created}","email":"{name}x{created}@example.com","password":"password-123"}}"#
                    );
                    http(&base, "POST", "/api/users", &[], Some(&body)).await
                };
                let answer = Answer {
                    at: start.elapsed(),
                    status: reply.status,
                    took: sent.elapsed(),
                };
                answers.lock().unwrap().push(answer);
            }
        }));
    }

    // Stop and restart the engine at even intervals.
    let mut restarted_at = Vec::new();
    let interval = length / (options.restarts as u32 + 1);
    for k in 1..=options.restarts {
        tokio::time::sleep_until((start + interval * k as u32).into()).await;
        engine.stop().await;
        let stopped = start.elapsed();
        tokio::time::sleep(options.down).await;
        engine = loop {
            match Engine::start_on(open(), &addr).await {
                Ok(engine) => break engine,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        restarted_at.push((stopped, start.elapsed()));
    }
    for client in clients {
        client.await.expect("a client ran to the end");
    }
    let elapsed = start.elapsed();

    let answers = answers.lock().unwrap().clone();
    let by_status = by_status(&answers);
    let longest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    let client = engine.client();
    let census = invariants::check(&client, TABLE, None).await;

    println!("## Chaos run\n");
    println!(
        "{} clients, {:.1} s, {} engine stops of {} s; file-backed dynoxide engine stopped and restarted on its port, microblog-local pointed at it\n",
        options.clients,
        elapsed.as_secs_f64(),
        options.restarts,
        options.down.as_secs()
    );
    println!("| requests answered | per second | longest answer |");
    println!("|---|---|---|");
    println!(
        "| {} | {:.0} | {} ms |\n",
        answers.len(),
        answers.len() as f64 / elapsed.as_secs_f64(),
        longest.as_millis()
    );
    println!("| status | answers |");
    println!("|---|---|");
    for (status, count) in &by_status {
        println!("| {status} | {count} |");
    }
    println!("\n| engine stopped at | restarted at | first success after restart | recovery | answers while down (503 / other) |");
    println!("|---|---|---|---|---|");
    for (stopped, restarted) in &restarted_at {
        let first_ok = answers
            .iter()
            .filter(|a| a.at > *restarted && a.status < 500)
            .map(|a| a.at)
            .min();
        let down: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.at > *stopped && a.at <= *restarted)
            .collect();
        let unavailable = down.iter().filter(|a| a.status == 503).count();
        println!(
            "| {:.2} s | {:.2} s | {} | {} | {} / {} |",
            stopped.as_secs_f64(),
            restarted.as_secs_f64(),
            first_ok.map_or("none".into(), |t| format!("{:.2} s", t.as_secs_f64())),
            first_ok.map_or("never".into(), |t| format!(
                "{} ms",
                (t - *restarted).as_millis()
            )),
            unavailable,
            down.len() - unavailable
        );
    }
    println!();
    let failed = match census {
        Ok(census) => {
            println!(
                "Invariants hold over the whole table: {} users, {} follows, {} tokens; every count equals its list, every marker has its user and every user its markers, no id twice.",
                census.users, census.follows, census.tokens
            );
            false
        }
        Err(problems) => {
            println!("**Invariants broken:**\n");
            for p in &problems {
                println!("- {p}");
            }
            true
        }
    };
    engine.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    if failed {
        std::process::exit(1);
    }
}

fn basic_credentials(name: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{name}:password-123"))
}
