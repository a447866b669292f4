//! The real `microblog-local` opens no port for its embedded engine unless
//! asked: dynoxide takes any signature on its wire protocol, so a port
//! would hand every item to any local process (issue 18).

use std::process::Command;

mod common;

use common::Server;

/// The TCP ports `pid` listens on (Linux: its socket descriptors matched
/// with the kernel's table of listening sockets).
#[cfg(target_os = "linux")]
fn listening_ports(pid: u32) -> Vec<u16> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(
                link.strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is field 1 (addr:port in hex), st field 3
            // (0A: LISTEN), inode field 9.
            if fields.len() > 9 && fields[3] == "0A" && inodes.iter().any(|i| i == fields[9]) {
                let port = fields[1].rsplit(':').next().unwrap();
                ports.push(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports.sort_unstable();
    ports
}

fn server(extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_microblog-local"));
    command
        .args(["--port", "0", "--memory"])
        .args(extra)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RUST_LOG", "warn,dynoxide=error");
    Server::start(command)
}

#[test]
#[cfg(target_os = "linux")]
fn the_server_listens_on_its_api_port_only_unless_the_engine_port_is_asked_for() {
    let plain = server(&[]);
    let api_port: u16 = plain.addr.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(listening_ports(plain.pid()), [api_port]);

    let with_engine = server(&["--engine-port", "0"]);
    let api_port: u16 = with_engine
        .addr
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let ports = listening_ports(with_engine.pid());
    assert_eq!(ports.len(), 2, "{ports:?}");
    assert!(ports.contains(&api_port), "{ports:?}");
}
