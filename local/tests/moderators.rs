//! `microblog-local grant-moderator` and `revoke-moderator` change the role
//! on the server's own data file while that server runs on it, and the
//! running server sees the change at the next request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

mod common;

use common::Server;

/// One HTTP/1.1 request to `addr`; the status and the body.
fn request(addr: &str, method: &str, path: &str, auth: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: {auth}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn role(change: &str, username: &str, data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_microblog-local"))
        .args([change, username, "--data", data.to_str().unwrap()])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RUST_LOG", "warn,dynoxide=error")
        .output()
        .expect("microblog-local runs")
}

#[test]
fn an_operator_grants_and_revokes_the_moderator_role_on_the_file_a_server_is_using() {
    let dir = std::env::temp_dir().join(format!("microblog-moderators-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("local.db");
    let _ = std::fs::remove_file(&data);
    let mut command = Command::new(env!("CARGO_BIN_EXE_microblog-local"));
    command
        .args(["--port", "0", "--data", data.to_str().unwrap()])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RATE_LIMIT_SIGNUPS_PER_HOUR", "0")
        // Its verification mail goes beside the data, not into the crate.
        .env("MAIL_OUTBOX_DIR", dir.join("outbox"))
        .env("PUSH_OUTBOX_DIR", dir.join("push"))
        .env("RUST_LOG", "warn,dynoxide=error");
    let server = Server::start(command);
    let addr = server.addr.clone();
    let user =
        r#"{"username": "olga", "email": "olga@example.com", "password": "correct-horse-99"}"#;
    assert_eq!(request(&addr, "POST", "/api/users", "", Some(user)).0, 201);
    let basic = "Basic b2xnYTpjb3JyZWN0LWhvcnNlLTk5"; // olga:correct-horse-99
    let (status, grant) = request(&addr, "POST", "/api/tokens", basic, None);
    assert_eq!(status, 200, "{grant}");
    let token: serde_json::Value = serde_json::from_str(&grant).unwrap();
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    assert_eq!(request(&addr, "GET", "/api/reports", &bearer, None).0, 403);

    let granted = role("grant-moderator", "olga", &data);
    let said = String::from_utf8_lossy(&granted.stdout);
    assert!(
        granted.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    assert!(said.contains("olga (user 1) is now a moderator"), "{said}");
    let (status, queue) = request(&addr, "GET", "/api/reports", &bearer, None);
    assert_eq!(status, 200, "{queue}");

    let revoked = role("revoke-moderator", "olga", &data);
    assert!(revoked.status.success());
    assert_eq!(request(&addr, "GET", "/api/reports", &bearer, None).0, 403);

    let unknown = role("grant-moderator", "nobody", &data);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user is named nobody"));
    let missing = role("grant-moderator", "olga", &dir.join("none.db"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    assert!(!dir.join("none.db").exists(), "no empty file is made");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
