//! The real `microblog-local` under a burst of logins: its peak memory
//! stays bounded, because password checks wait their turn on a small pool
//! instead of each holding argon2's 19 MiB at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

mod common;

use common::Server;

/// One request over a fresh connection; the status and the whole reply.
fn send(addr: &str, head: &str, body: &str) -> (u16, String) {
    send_from("127.0.0.1", addr, head, body)
}

/// [`send`] from the loopback address `source` (any of 127.0.0.0/8), which
/// the server counts as a client of its own.
fn send_from(source: &str, addr: &str, head: &str, body: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(addr.parse().unwrap()).await
    });
    let mut stream: TcpStream = stream.expect("the server accepts").into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    let request = format!(
        "{head}\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().expect("a status line");
    (status, reply)
}

/// The peak resident memory of process `pid` so far, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/<pid>/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn a_hundred_concurrent_logins_keep_the_server_under_256_mib() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_microblog-local"));
    command
        .args(["--port", "0", "--memory"])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RUST_LOG", "error")
        .env("RATE_LIMIT_LOGIN_FAILURES", "0")
        .env("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0");
    // Its output stays open to the end: the server prints to it when it
    // stops.
    let server = Server::start(command);
    let addr = server.addr.clone();

    let body =
        r#"{"username": "susan", "email": "susan@example.com", "password": "a-long-passphrase"}"#;
    let (status, reply) = send(&addr, "POST /api/users HTTP/1.1", body);
    assert_eq!(status, 201, "{reply}");
    let before = peak_rss_kib(server.pid());

    // "susan:a-long-passphrase", and as many wrong guesses.
    let logins: Vec<_> = (0..100)
        .map(|n| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let credentials = if n % 2 == 0 {
                    "c3VzYW46YS1sb25nLXBhc3NwaHJhc2U="
                } else {
                    "c3VzYW46d3JvbmctZ3Vlc3M="
                };
                let head =
                    format!("POST /api/tokens HTTP/1.1\r\nauthorization: Basic {credentials}");
                // From four addresses: one client may hold 32 connections.
                send_from(&format!("127.0.0.{}", 1 + n % 4), &addr, &head, "").0
            })
        })
        .collect();
    let statuses: Vec<u16> = logins.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        50,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        50,
        "{statuses:?}"
    );

    let peak = peak_rss_kib(server.pid());
    eprintln!(
        "peak RSS: {} MiB before the logins, {} MiB after",
        before / 1024,
        peak / 1024
    );
    assert!(peak < 256 * 1024, "peak RSS {} MiB", peak / 1024);
}
