//! The HTTP front: accepts connections, routes by the shared route table,
//! shapes each request as an API Gateway event and runs the matching handler.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use microblog_shared::routes::{resolve, Resolved, FALLBACK_FUNCTION};
use microblog_shared::{ApiError, App};
use tokio::net::TcpListener;

use crate::apigw;
pub use crate::apigw::Call;
use crate::dispatch::dispatch;

/// API Gateway refuses payloads over 10 MB before any function runs.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

type HttpResponse = hyper::Response<Full<Bytes>>;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let counter = Arc::new(AtomicU64::new(0));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let app = app.clone();
        let counter = counter.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                let id = counter.fetch_add(1, Ordering::Relaxed);
                async move { Ok::<_, Infallible>(handle(&app, req, peer, id).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

async fn handle(
    app: &App,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    id: u64,
) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let response = route(app, req, peer, id).await;
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
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    id: u64,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return to_hyper(
                ApiError::PayloadTooLarge("the request body is over 10 MB".into()).into_response(),
            )
        }
        Err(e) => {
            tracing::debug!(error = %e, "reading the request body failed");
            return to_hyper(
                ApiError::bad_request("the request body could not be read").into_response(),
            );
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
        Ok(response) => to_hyper(response),
        Err(()) => gateway_error(),
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
    let request = match apigw::request(&event) {
        Ok(request) => request,
        Err(e) => {
            tracing::error!(error = %e, "could not shape the request as an API Gateway event");
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
