//! The HTTP front: accepts connections, routes by the shared route table,
//! shapes each request as an API Gateway event and runs the matching handler.
//!
//! It answers every request, as API Gateway would, with the API's JSON error
//! when something is wrong with it: a `Host` or `X-Forwarded-Proto` that
//! cannot make a URL (400), a body over the API's 16 KiB limit (413, at
//! once when its length is declared, even when the client waits for
//! `100 Continue`, and a chunked one read no further than the limit), a body that stops coming
//! (408), too many connections (503), and what hyper refuses itself (400,
//! 414, 431, see [`guard`]). Slow or idle clients are cut off by the header
//! and body read timeouts of [`Limits`], and a failing `accept` (out of file
//! descriptors) backs off instead of spinning.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, CONTENT_LENGTH, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::Body;
use microblog_shared::http::MAX_BODY_BYTES;
use microblog_shared::routes::{resolve, Resolved, FALLBACK_FUNCTION};
use microblog_shared::{ApiError, App};
use std::os::fd::AsFd;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::admission::{Admission, Refused};
use crate::apigw;
pub use crate::apigw::Call;
use crate::dispatch::dispatch;
use crate::guard::{error_response, JsonParseErrors};

/// The largest body read: every operation's limit (its JSON body's, 16
/// KiB; the operations without a body take none larger). API Gateway would
/// pass up to 10 MB on to the function, which refuses it after it is in
/// memory; reading that much here let a hundred slow clients hold a
/// gigabyte (issue 18), so the local server refuses it on the way in.
const MAX_BODY: usize = MAX_BODY_BYTES;

/// The largest request head read (request line and headers): room for
/// hyper's longest URI (64 KiB, then 414), and 431 beyond. API Gateway's
/// own limits are far lower.
const MAX_HEAD_BYTES: usize = 128 * 1024;

type HttpResponse = hyper::Response<Full<Bytes>>;

/// How long the server waits for clients, and for how many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time for a request's head (request line and headers) to arrive,
    /// counted from when the server starts waiting for it, so an idle
    /// keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// Time for a request's whole body to arrive; then 408.
    pub body_timeout: Duration,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Connections served at once from one client (an IPv4 address or an
    /// IPv6 /64); one more is answered 429 and closed, whatever the others
    /// hold, so that one client cannot starve the rest.
    pub max_connections_per_client: usize,
}

impl Limits {
    /// The defaults, but every connection may come from one client: for a
    /// load test, which is one client on purpose.
    pub fn one_client() -> Limits {
        let limits = Limits::default();
        Limits {
            max_connections_per_client: limits.max_connections,
            ..limits
        }
    }
}

impl Default for Limits {
    /// 10 s for a head, 30 s for a body, 256 connections: far more than a
    /// developer's client needs, few enough that a stuck client or a flood
    /// cannot exhaust the process's file descriptors (1,024 by default; a
    /// connection holds two, the second for a late 408);
    /// 32 of them per client, an eighth: a browser opens 6 per host, a load
    /// test or a test suite a few dozen.
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 256,
            max_connections_per_client: 32,
        }
    }
}

/// Serves the API on `listener` until `shutdown` resolves, with the default
/// [`Limits`].
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    serve_with(listener, app, shutdown, Limits::default()).await
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve_with(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    limits: Limits,
) {
    let counter = Arc::new(AtomicU64::new(0));
    let admission = Admission::new(limits.max_connections, limits.max_connections_per_client);
    let mut backoff = Backoff::default();
    let mut log_tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return,
            _ = log_tick.tick() => {
                admission.flush_log();
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors (or another resource): the
                    // next accept would fail at once too, so wait first.
                    let wait = backoff.next_wait();
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "accept failed; waiting before the next");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(wait) => continue,
                    }
                }
            },
        };
        let ticket = match admission.admit(peer.ip()) {
            // Only a connection served ends the backoff: one refused at
            // once frees its descriptor for the next accept, which would
            // fail again at once, out of descriptors, without waiting.
            Ok(ticket) => {
                backoff.reset();
                ticket
            }
            Err(why) => {
                tokio::spawn(refuse(stream, why, limits));
                continue;
            }
        };
        let app = app.clone();
        let counter = counter.clone();
        tokio::spawn(async move {
            let _ticket = ticket;
            // A second handle on the socket, to answer 408 after hyper,
            // which owns the first, gave up waiting for a head.
            let late = stream.as_fd().try_clone_to_owned().ok();
            let connection = JsonParseErrors::new(stream);
            let head_started = connection.head_started();
            let service = service_fn(move |req| {
                let app = app.clone();
                let id = counter.fetch_add(1, Ordering::Relaxed);
                async move { Ok::<_, Infallible>(handle(&app, &limits, req, peer, id).await) }
            });
            match http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(connection), service)
                .await
            {
                // Part of a head came, not all of it: say so. A connection
                // idle between requests (nothing sent) is closed silently,
                // as HTTP allows.
                Err(e) if e.is_timeout() && head_started.load(Ordering::Relaxed) => {
                    if let Some(fd) = late {
                        answer_slow_head(fd, limits.header_timeout).await;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "connection closed with an error"),
                Ok(()) => {}
            }
        });
    }
}

/// Waits between failed accepts: 5 ms, doubling up to 1 s, so a process out
/// of file descriptors logs about once a second instead of spinning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const LONGEST: Duration = Duration::from_secs(1);

    /// How long to wait after this failure.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(Self::LONGEST);
        wait
    }

    /// An accept succeeded: the next failure waits the shortest time again.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: Self::FIRST }
    }
}

/// Answers a connection over a cap with a JSON 503 (every slot taken) or
/// 429 (its client's share taken), and closes it.
async fn refuse(mut stream: TcpStream, why: Refused, limits: Limits) {
    let response = match why {
        Refused::Full => error_response(
            503,
            "the server has too many open connections; retry in a moment",
            &[("retry-after", "1")],
        ),
        Refused::ClientFull => error_response(
            429,
            &format!(
                "your address has {} connections open to the server already, its share; \
                 close some or retry in a moment",
                limits.max_connections_per_client
            ),
            &[("retry-after", "1")],
        ),
    };
    let write = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// Writes the JSON 408 of a request head that did not arrive within
/// `waited` on the socket `fd`, and closes it.
async fn answer_slow_head(fd: std::os::fd::OwnedFd, waited: Duration) {
    let std = std::net::TcpStream::from(fd);
    if std.set_nonblocking(true).is_err() {
        return;
    }
    let Ok(mut stream) = TcpStream::from_std(std) else {
        return;
    };
    let response = error_response(
        408,
        &format!(
            "the request head (request line and headers) did not arrive within {} s",
            waited.as_secs_f64()
        ),
        &[],
    );
    let write = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

async fn handle(
    app: &App,
    limits: &Limits,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    id: u64,
) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = microblog_shared::routes::shown(req.uri().path()).into_owned();
    let response = match route(app, limits, req, peer, id).await {
        Ok(response) => response,
        Err(error) => to_hyper(error.into_response()),
    };
    tracing::info!(
        target: "microblog_local::access",
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

async fn route(
    app: &App,
    limits: &Limits,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    id: u64,
) -> Result<HttpResponse, ApiError> {
    let (parts, body) = req.into_parts();
    let too_large =
        || ApiError::PayloadTooLarge(format!("the request body must be at most {MAX_BODY} bytes"));
    // Answered before the body is read, so a client sending
    // `Expect: 100-continue` gets the 413 instead of `100 Continue`, and a
    // chunked body is read no further than the limit.
    if declared_length(&parts.headers).is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    check_url_headers(&parts.headers)?;
    let collected =
        tokio::time::timeout(limits.body_timeout, Limited::new(body, MAX_BODY).collect()).await;
    let body = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "reading the request body failed");
            return Err(ApiError::bad_request("the request body could not be read"));
        }
        Err(_) => {
            return Err(ApiError::RequestTimeout(format!(
                "the request body did not arrive within {} s",
                limits.body_timeout.as_secs_f64()
            )))
        }
    };
    let request = Call {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
        source_ip: &peer.ip().to_string(),
        request_id: &format!("local-{id}"),
    };
    match invoke(app, &request).await {
        Ok(response) => Ok(to_hyper(response)),
        Err(()) => Ok(gateway_error()),
    }
}

/// The `Content-Length` the client declared, if it is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// lambda_http makes the request's URL from `X-Forwarded-Proto` and `Host`
/// (as API Gateway sets them) and panics when they make no URL. API Gateway
/// never sends such values; a local client can, and gets a 400 instead.
pub fn check_url_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    let proto = match headers.get("x-forwarded-proto") {
        None => "https",
        Some(value) => match value.to_str() {
            Ok(p) if p.eq_ignore_ascii_case("http") || p.eq_ignore_ascii_case("https") => p,
            _ => {
                return Err(ApiError::bad_request(
                    "X-Forwarded-Proto must be http or https",
                ))
            }
        },
    };
    let Some(host) = headers.get(HOST) else {
        return Ok(());
    };
    let bad_host = || {
        ApiError::bad_request(
            "the Host header must be a host name or address, with a port from 0 to 65535 if any",
        )
    };
    let host = host.to_str().map_err(|_| bad_host())?;
    let plain = !host.is_empty()
        && !host.contains(['/', '?', '#', '@', '\\'])
        && host.parse::<lambda_http::http::uri::Authority>().is_ok();
    let url = url::Url::parse(&format!("{proto}://{host}/")).map_err(|_| bad_host())?;
    if plain && url.host().is_some() {
        Ok(())
    } else {
        Err(bad_host())
    }
}

/// Routes `call` as API Gateway would, shapes it as a payload 2.0 event, and
/// runs the matching function's handler. `Err` stands for what API Gateway
/// turns a failed invocation into (an opaque 500).
pub async fn invoke(app: &App, call: &Call<'_>) -> Result<lambda_http::Response<Body>, ()> {
    let (function, route_key, params) = match resolve(call.method, call.path) {
        Resolved::Route(route, params) => (route.function, route.key(), params),
        _ => (FALLBACK_FUNCTION, "$default".to_string(), Vec::new()),
    };
    let event = apigw::event(
        call,
        &apigw::Matched {
            route_key: &route_key,
            path_parameters: &params,
        },
    );
    // lambda_http panics on some inputs (see `check_url_headers`); whatever
    // else may make it panic is a 400 too, never a dropped connection.
    let shaped = std::panic::catch_unwind(|| apigw::request(&event));
    let request = match shaped {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not shape the request as an API Gateway event");
            return Ok(ApiError::bad_request("the request could not be read").into_response());
        }
        Err(_) => {
            tracing::warn!("lambda_http panicked shaping the request");
            return Ok(ApiError::bad_request("the request could not be read").into_response());
        }
    };
    match dispatch(app, function, request).await {
        Some(Ok(response)) => Ok(response),
        Some(Err(e)) => {
            tracing::error!(function, error = %e, "handler returned an error");
            Err(())
        }
        None => {
            tracing::error!(function, "no handler for a routed function");
            Err(())
        }
    }
}

/// What API Gateway answers when a function fails.
fn gateway_error() -> HttpResponse {
    hyper::Response::builder()
        .status(500)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"message":"Internal Server Error"}"#,
        )))
        .expect("static response is valid")
}

fn to_hyper(response: lambda_http::Response<Body>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn a_host_or_forwarded_proto_that_makes_no_url_is_a_400() {
        for bad in [
            &[("host", "a b")][..],
            &[("host", "[")],
            &[("host", "127.0.0.1:99999")],
            &[("host", "a/b")],
            &[("host", "user@host")],
            &[("host", "")],
            &[("x-forwarded-proto", "")],
            &[("x-forwarded-proto", "a b")],
            &[("x-forwarded-proto", "ht:tp")],
            &[("x-forwarded-proto", "ftp")],
        ] {
            let err = check_url_headers(&headers(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
        }
        for good in [
            &[][..],
            &[("host", "127.0.0.1:3000")],
            &[("host", "localhost")],
            &[("host", "[::1]:8080")],
            &[("host", "api.example.com"), ("x-forwarded-proto", "HTTPS")],
        ] {
            assert!(check_url_headers(&headers(good)).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn failed_accepts_wait_longer_each_time_up_to_a_second_and_start_over_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..10)
            .map(|_| backoff.next_wait().as_millis() as u64)
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next_wait(), Duration::from_millis(5));
    }
}
