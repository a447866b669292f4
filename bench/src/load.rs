//! What the load runs (`chaos`, `feed`, `load`, `signups`) share: a
//! keep-alive connection, a server process, one answer as a client saw it,
//! answers counted by status, and percentiles of latencies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Child;
use std::time::Duration;

use hyper::body::Body;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A keep-alive HTTP/1.1 connection to `addr` (no Nagle delay), its
/// connection task running in the background.
pub async fn connect<B>(addr: SocketAddr) -> Result<SendRequest<B>, String>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// One answer: when it came (since the start), its status, how long it took.
#[derive(Clone, Copy)]
pub struct Answer {
    pub at: Duration,
    pub status: u16,
    pub took: Duration,
}

/// How many of `answers` had each status.
pub fn by_status<'a>(answers: impl IntoIterator<Item = &'a Answer>) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for a in answers {
        *counts.entry(a.status).or_default() += 1;
    }
    counts
}

/// The `q` quantile (0 to 1) of `sorted` (ascending) by nearest rank, so
/// p99 of 100 values is the 99th and p50 is never above the median;
/// zero when empty.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A server process, killed when dropped.
pub struct Server(pub Child);

impl Server {
    /// Starts `server` (a `microblog-local` binary) on a free loopback port
    /// with `--memory` and `env`, waits until it accepts connections (30 s
    /// at most), and returns it with its base URL.
    pub async fn local(server: &std::path::Path, env: &[(&str, &str)]) -> (Server, String) {
        Server::start(server, &["--memory"], env).await
    }

    /// [`Server::local`] with `args` instead of `--memory` (`--data PATH`).
    pub async fn start(
        server: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Server, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(server)
            .args(args)
            .args(["--port", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("microblog-local starts");
        let started = Server(child);
        let ready = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                ready.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (started, format!("http://127.0.0.1:{port}"))
    }
}

impl Server {
    /// The process's resident memory now and at its peak, in MiB (Linux's
    /// `VmRSS` and `VmHWM`); zeros where /proc cannot tell.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
                .map_or(0.0, |kib| kib / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
