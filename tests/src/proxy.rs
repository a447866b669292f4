//! A fault-injecting proxy between the SDK and a real engine: it forwards
//! DynamoDB's HTTP/1.1 requests untouched until a test sets a [`Fault`], then
//! refuses connections, resets them mid-answer, hangs, delays the engine's
//! answer, or answers DynamoDB's own throttling or 500 errors itself. A fault
//! can target one DynamoDB operation (`TransactWriteItems`), so the calls
//! before it succeed and the one that writes is the one that fails.
//!
//! Each test starts its own proxy on an ephemeral loopback port.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it (no fault).
    None,
    /// Stop listening: every connection is refused, open ones are reset.
    /// Applies to every operation.
    Refuse,
    /// Forward it, so the engine acts on it, then send half of the answer
    /// and reset the connection.
    Reset,
    /// Accept it and never answer, never forwarding it (a stuck engine).
    Hang,
    /// Forward it, so the engine acts on it, and hold the answer this long.
    Delay(Duration),
    /// Answer DynamoDB's ThrottlingException (400) without forwarding.
    Throttle,
    /// Answer DynamoDB's InternalServerError (500) without forwarding.
    ServerError,
}

#[derive(Debug)]
struct State {
    fault: Fault,
    /// The operation the fault applies to; `None` for every operation.
    only: Option<&'static str>,
    connections: Vec<JoinHandle<()>>,
    acceptor: Option<JoinHandle<()>>,
}

/// The proxy. Stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    /// `http://127.0.0.1:<port>`, the endpoint to give the SDK.
    pub endpoint: String,
    addr: std::net::SocketAddr,
    upstream: String,
    state: Arc<Mutex<State>>,
    faulted: Arc<AtomicUsize>,
}

impl Proxy {
    /// A proxy forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().unwrap();
        let proxy = Proxy {
            endpoint: format!("http://{addr}"),
            addr,
            upstream: upstream
                .strip_prefix("http://")
                .expect("upstream is http://host:port")
                .to_string(),
            state: Arc::new(Mutex::new(State {
                fault: Fault::None,
                only: None,
                connections: Vec::new(),
                acceptor: None,
            })),
            faulted: Arc::new(AtomicUsize::new(0)),
        };
        proxy.accept_on(listener);
        proxy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn accept_on(&self, listener: TcpListener) {
        let state = self.state.clone();
        let upstream = self.upstream.clone();
        let faulted = self.faulted.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let task = tokio::spawn(serve_connection(
                    client,
                    upstream.clone(),
                    state.clone(),
                    faulted.clone(),
                ));
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                state.connections.retain(|c| !c.is_finished());
                state.connections.push(task);
            }
        });
        self.lock().acceptor = Some(acceptor);
    }

    /// Applies `fault` to every request from now on.
    pub async fn set(&self, fault: Fault) {
        self.set_for(fault, None).await;
    }

    /// Applies `fault` to the requests of one DynamoDB operation
    /// (`"TransactWriteItems"`), or of all with `None`.
    pub async fn set_for(&self, fault: Fault, only: Option<&'static str>) {
        let was_refusing = {
            let mut state = self.lock();
            let was = state.fault == Fault::Refuse;
            state.fault = fault;
            state.only = only;
            if fault == Fault::Refuse {
                if let Some(acceptor) = state.acceptor.take() {
                    acceptor.abort();
                }
                for connection in state.connections.drain(..) {
                    connection.abort();
                }
            }
            was
        };
        if fault == Fault::Refuse {
            // The aborted acceptor drops the listener at its next poll.
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        } else if was_refusing {
            let listener = TcpListener::bind(self.addr)
                .await
                .expect("the proxy listens again on its port");
            self.accept_on(listener);
        }
    }

    /// Forwards everything again.
    pub async fn clear(&self) {
        self.set(Fault::None).await;
    }

    /// How many requests got a fault so far (refused connections aside).
    pub fn faulted(&self) -> usize {
        self.faulted.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let mut state = self.lock();
        if let Some(acceptor) = state.acceptor.take() {
            acceptor.abort();
        }
        for connection in state.connections.drain(..) {
            connection.abort();
        }
    }
}

/// One HTTP/1.1 message: its head (start line and headers, with the blank
/// line) and its body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<String> {
        String::from_utf8_lossy(&self.head)
            .split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    }

    fn bytes(&self) -> Vec<u8> {
        [self.head.as_slice(), self.body.as_slice()].concat()
    }
}

/// Reads one message with a `content-length` body; `None` at end of stream.
async fn read_message<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Message> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head).await.ok()?;
        if n == 0 {
            return None;
        }
        if &head[before..] == b"\r\n" {
            break;
        }
    }
    let mut message = Message {
        head,
        body: Vec::new(),
    };
    let length: usize = message
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    message.body = vec![0; length];
    reader.read_exact(&mut message.body).await.ok()?;
    Some(message)
}

/// DynamoDB's JSON error answer, as the service sends it.
fn dynamodb_error(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": message,
    })
    .to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: proxy\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve_connection(
    client: TcpStream,
    upstream: String,
    state: Arc<Mutex<State>>,
    faulted: Arc<AtomicUsize>,
) {
    let (read, mut write) = client.into_split();
    let mut read = BufReader::new(read);
    let mut engine: Option<(BufReader<tokio::net::tcp::OwnedReadHalf>, _)> = None;
    while let Some(request) = read_message(&mut read).await {
        let operation = request
            .header("x-amz-target")
            .and_then(|t| t.rsplit('.').next().map(str::to_string))
            .unwrap_or_default();
        let fault = {
            let state = state.lock().unwrap_or_else(|e| e.into_inner());
            match state.only {
                Some(only) if only != operation => Fault::None,
                _ => state.fault,
            }
        };
        if fault != Fault::None {
            faulted.fetch_add(1, Ordering::Relaxed);
        }
        let answer = match fault {
            Fault::Refuse | Fault::Hang => {
                // Never answer; wait for the client to give up and close.
                let mut rest = Vec::new();
                let _ = read.read_to_end(&mut rest).await;
                return;
            }
            Fault::Throttle => dynamodb_error(
                "400 Bad Request",
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            ),
            Fault::ServerError => dynamodb_error(
                "500 Internal Server Error",
                "InternalServerError",
                "Internal server error",
            ),
            Fault::None | Fault::Reset | Fault::Delay(_) => {
                if engine.is_none() {
                    let Ok(stream) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (r, w) = stream.into_split();
                    engine = Some((BufReader::new(r), w));
                }
                let (engine_read, engine_write) = engine.as_mut().unwrap();
                if engine_write.write_all(&request.bytes()).await.is_err() {
                    return;
                }
                let Some(response) = read_message(engine_read).await else {
                    return;
                };
                response.bytes()
            }
        };
        match fault {
            Fault::Reset => {
                let _ = write.write_all(&answer[..answer.len() / 2]).await;
                let _ = write.flush().await;
                // Linger 0: closing sends RST, not FIN.
                if let Ok(stream) = read.into_inner().reunite(write) {
                    let _ = stream.set_zero_linger();
                }
                return;
            }
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            _ => {}
        }
        if write.write_all(&answer).await.is_err() {
            return;
        }
    }
}
