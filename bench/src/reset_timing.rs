//! `reset-timing`: whether `POST /api/tokens/reset` tells, by its timing,
//! that an account has an address. A real `microblog-local` (`--server
//! PATH`, default the one beside this binary) with one account; N requests
//! for its address and N for addresses nobody has, interleaved one at a
//! time from one client; the latency percentiles of each and their
//! difference. The handler makes the same calls either way (the worker
//! looks the address up later), so the difference should be noise: compare
//! it with the spread within each.
//!
//! ```text
//! cargo run --release -p microblog-bench -- reset-timing [--requests N] [--server PATH]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use microblog_tests::api::http;

use crate::load::{percentile, Server};

fn usage() -> ! {
    eprintln!("usage: microblog-bench reset-timing [--requests N] [--server PATH]");
    std::process::exit(2)
}

/// Runs the measurement and prints a Markdown table.
pub async fn main(mut args: impl Iterator<Item = String>) {
    let mut requests = 2000_usize;
    let mut server = std::env::current_exe()
        .expect("own path")
        .with_file_name("microblog-local");
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--requests" => {
                requests = value
                    .parse::<usize>()
                    .unwrap_or_else(|_| usage())
                    .clamp(10, 100_000)
            }
            "--server" => server = PathBuf::from(value),
            _ => usage(),
        }
    }
    if !server.exists() {
        eprintln!(
            "{} is missing: cargo build --release -p microblog-local first",
            server.display()
        );
        std::process::exit(2);
    }
    let outbox =
        std::env::temp_dir().join(format!("microblog-reset-timing-{}", std::process::id()));
    let outbox_text = outbox.display().to_string();
    let (_server, base) = Server::local(
        &server,
        &[
            ("RATE_LIMIT_SIGNUPS_PER_HOUR", "0"),
            ("RATE_LIMIT_RESETS_PER_EMAIL", "0"),
            ("RATE_LIMIT_RESETS_PER_ADDRESS", "0"),
            ("MAIL_OUTBOX_DIR", &outbox_text),
            ("RUST_LOG", "error"),
        ],
    )
    .await;
    let user = r#"{"username":"known","email":"known@example.com","password":"password-123"}"#;
    let created = http(&base, "POST", "/api/users", &[], Some(user)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..requests * 2 {
        let (email, into) = if n % 2 == 0 {
            ("known@example.com".to_string(), &mut known)
        } else {
            (format!("nobody{n}@example.com"), &mut unknown)
        };
        let body = format!(r#"{{"email":"{email}"}}"#);
        let sent = Instant::now();
        let reply = http(&base, "POST", "/api/tokens/reset", &[], Some(&body)).await;
        into.push(sent.elapsed());
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    let _ = std::fs::remove_dir_all(&outbox);
    let row = |name: &str, took: &mut Vec<Duration>| {
        took.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = took.iter().map(|d| ms(*d)).sum::<f64>() / took.len() as f64;
        println!(
            "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            took.len(),
            ms(percentile(took, 0.5)),
            ms(percentile(took, 0.9)),
            ms(percentile(took, 0.99)),
            mean
        );
        ms(percentile(took, 0.5))
    };
    println!(
        "{} · {} requests each, interleaved, one client\n",
        crate::machine(),
        requests
    );
    println!("| address | requests | p50 ms | p90 ms | p99 ms | mean ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let a = row("an account's", &mut known);
    let b = row("nobody's", &mut unknown);
    println!(
        "\np50 difference: {:.3} ms ({:+.1}%)",
        a - b,
        (a - b) / b * 100.0
    );
}
