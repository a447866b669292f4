//! The real `microblog-local` out of file descriptors: its accept loop backs
//! off instead of spinning and logging without pause, and it serves again
//! once descriptors are free.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

mod common;

use common::Server;

/// User plus system CPU time of `pid` so far, in clock ticks (Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let after = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn out_of_file_descriptors_the_server_backs_off_then_serves_again() {
    let binary = env!("CARGO_BIN_EXE_microblog-local");
    // 64 descriptors: enough to start (engine, SDK connections), few
    // enough that 100 idle clients exhaust them.
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            &format!("ulimit -n 64 && exec \"{binary}\" --port 0 --memory"),
        ])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RUST_LOG", "warn,dynoxide=error");
    let mut server = Server::start(command);
    let addr = server.addr.clone();
    let mut output = server.output.take().unwrap();

    // Read the log as it comes, so a server logging without pause is not
    // held up by a full pipe.
    let log = std::thread::spawn(move || {
        let mut logged = String::new();
        let _ = output.read_to_string(&mut logged);
        logged
    });

    let idle: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    assert!(idle.len() >= 64, "{} connections", idle.len());
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(server.pid());
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(server.pid()) - before;
    // Spinning would use both seconds (200 ticks at 100 Hz); backing off
    // uses next to nothing.
    assert!(
        spent < 50,
        "{spent} ticks of CPU in 2 s while out of descriptors"
    );

    drop(idle);
    std::thread::sleep(Duration::from_millis(1500));
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            format!("GET /api/users HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 401"), "served again: {reply:?}");

    drop(server);
    // The log goes to standard output, after the address line.
    let logged = log.join().unwrap();
    let failures = logged.matches("accept failed").count();
    assert!(failures >= 1, "the failing accepts are logged: {logged}");
    // 5 ms doubling to 1 s: about a dozen lines in these 4 s, not thousands.
    assert!(failures < 40, "{failures} lines of accept failures");
}
