//! The real `microblog-local` on a file trims its stream in the background,
//! as DynamoDB Streams does after 24 hours (here after the
//! `STREAM_RETENTION_SECONDS` a test sets), and refuses a setting that is no
//! number of seconds.

use std::io::BufRead;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::Server;

fn data_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("microblog-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    path
}

#[test]
fn the_server_trims_stream_records_older_than_its_retention_in_the_background() {
    let data = data_file("retention");
    let mut command = Command::new(env!("CARGO_BIN_EXE_microblog-local"));
    command
        .args(["--port", "0", "--seed", "--data"])
        .arg(&data)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("STREAM_RETENTION_SECONDS", "1")
        .env(
            "MAIL_OUTBOX_DIR",
            std::env::temp_dir().join("microblog-retention-outbox"),
        )
        .env("RUST_LOG", "info,dynoxide=error");
    let mut server = Server::start(command);
    // The log is read on a thread, so a server that goes quiet fails the
    // test at the deadline instead of blocking it.
    let mut output = server.output.take().unwrap();
    let (lines, logged) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while output.read_line(&mut line).is_ok_and(|n| n > 0) {
            if lines.send(std::mem::take(&mut line)).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    // The seed's records are trimmed once a second or two old, after the
    // workers have caught up with them.
    let line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match logged.recv_timeout(left) {
            Ok(line) if line.contains("trimmed stream records") => break line,
            Ok(_) => {}
            Err(e) => panic!("no trim logged within 30 s ({e})"),
        }
    };
    assert!(line.contains("trimmed="), "says how many: {line}");
    drop(server);
    let _ = std::fs::remove_file(&data);
}

#[test]
fn a_retention_that_is_no_number_of_seconds_is_refused_at_start() {
    for bad in ["0", "a day", "-5"] {
        let out = Command::new(env!("CARGO_BIN_EXE_microblog-local"))
            .args(["--port", "0", "--memory"])
            .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
            .env("STREAM_RETENTION_SECONDS", bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} was taken");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("STREAM_RETENTION_SECONDS must be a whole number"),
            "{bad:?}: {stderr}"
        );
    }
}
