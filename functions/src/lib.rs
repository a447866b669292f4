//! Every Lambda function of the API. Each is one file of `src/bin/`: its
//! handler, and through [`http_function!`], [`stream_function!`] or
//! [`scheduled_function!`] the
//! entry point of its binary, so that each stays its own small Lambda
//! function (its zip holds its own code and what it calls, nothing of the
//! others).
//!
//! The library compiles the same files as modules of the same names
//! (build.rs lists them), so the local server and the tests run every
//! handler in-process by name ([`FUNCTIONS`], [`function`]). That each
//! route and worker of `microblog_shared::routes` has its file, of the
//! right kind, is a test of this crate.

// The files of src/bin/ name this crate as their binaries see it.
extern crate self as microblog_functions;

pub mod images;
pub mod openapi;

use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::{Body, Request, Response};
use lambda_runtime::LambdaEvent;
use microblog_shared::lambda::{app_from_env, init_tracing};
use microblog_shared::App;

/// A handler's future, boxed so that every handler of a kind has one type.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A function serving HTTP requests (API Gateway's payload 2.0).
pub type HttpHandler =
    for<'a> fn(&'a App, Request) -> BoxFuture<'a, Result<Response<Body>, lambda_http::Error>>;

/// A function invoked with batches of the table's stream records.
pub type StreamHandler =
    for<'a> fn(
        &'a App,
        LambdaEvent<Event>,
    ) -> BoxFuture<'a, Result<DynamoDbEventResponse, lambda_runtime::Error>>;

/// A function invoked on a schedule (EventBridge's scheduled event, which
/// it ignores); its answer is what it found, for logs and tests.
pub type ScheduledHandler =
    for<'a> fn(
        &'a App,
        LambdaEvent<serde_json::Value>,
    ) -> BoxFuture<'a, Result<serde_json::Value, lambda_runtime::Error>>;

/// One function's handler, by what invokes it.
#[derive(Clone, Copy)]
pub enum Function {
    /// An HTTP request.
    Http(HttpHandler),
    /// The table's stream.
    Stream(StreamHandler),
    /// A schedule.
    Scheduled(ScheduledHandler),
}

include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// The function called `name` (its file's name), if there is one.
pub fn function(name: &str) -> Option<Function> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The HTTP handler called `name`, if there is one.
pub fn http(name: &str) -> Option<HttpHandler> {
    match function(name)? {
        Function::Http(handler) => Some(handler),
        _ => None,
    }
}

/// The stream handler called `name`, if there is one.
pub fn stream(name: &str) -> Option<StreamHandler> {
    match function(name)? {
        Function::Stream(handler) => Some(handler),
        _ => None,
    }
}

/// The scheduled handler called `name`, if there is one.
pub fn scheduled(name: &str) -> Option<ScheduledHandler> {
    match function(name)? {
        Function::Scheduled(handler) => Some(handler),
        _ => None,
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The `main` of an HTTP function: logging and the [`App`] set up once per
/// cold start, then every request to `handler`.
pub fn serve_http(handler: HttpHandler) -> Result<(), lambda_http::Error> {
    runtime()?.block_on(async {
        init_tracing();
        let app = app_from_env().await?;
        lambda_http::run(lambda_http::service_fn(|req| handler(&app, req))).await
    })
}

/// A stream worker's answer to a batch: `apply` runs on each record in
/// order, and the first that fails is reported (`ReportBatchItemFailures`)
/// and logged as `work` failing, so Lambda retries the batch from that
/// record; the records after it are not tried now.
pub async fn in_order<'a, F, Fut>(
    records: &'a [EventRecord],
    work: &str,
    mut apply: F,
) -> DynamoDbEventResponse
where
    F: FnMut(&'a EventRecord) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut response = DynamoDbEventResponse::default();
    for record in records {
        if let Err(error) = apply(record).await {
            let sequence = record.change.sequence_number.clone();
            tracing::error!(event_id = %record.event_id, ?sequence, %error, "{work} failed; the batch is retried from this record");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// The `main` of a stream worker, as [`serve_http`].
pub fn serve_stream(handler: StreamHandler) -> Result<(), lambda_runtime::Error> {
    runtime()?.block_on(async {
        init_tracing();
        let app = app_from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| handler(&app, event))).await
    })
}

/// The `main` of a scheduled worker, as [`serve_http`].
pub fn serve_scheduled(handler: ScheduledHandler) -> Result<(), lambda_runtime::Error> {
    runtime()?.block_on(async {
        init_tracing();
        let app = app_from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| handler(&app, event))).await
    })
}

/// Makes `handler` (`async fn(&App, Request) -> Result<Response<Body>,
/// Error>`) the function of its file: its `FUNCTION` for the library, and
/// the `main` of its binary.
#[macro_export]
macro_rules! http_function {
    ($handler:ident) => {
        fn __boxed(
            app: &$crate::__private::App,
            req: $crate::__private::lambda_http::Request,
        ) -> $crate::BoxFuture<
            '_,
            Result<
                $crate::__private::lambda_http::Response<$crate::__private::lambda_http::Body>,
                $crate::__private::lambda_http::Error,
            >,
        > {
            Box::pin($handler(app, req))
        }

        /// This function, for the local server and the tests.
        #[allow(dead_code)]
        pub const FUNCTION: $crate::Function = $crate::Function::Http(__boxed);

        // The binary's entry point; in the library, a function never called.
        #[allow(dead_code)]
        fn main() -> Result<(), $crate::__private::lambda_http::Error> {
            $crate::serve_http(__boxed)
        }
    };
}

/// Makes `handler` (`async fn(&App, LambdaEvent<Event>) ->
/// Result<DynamoDbEventResponse, Error>`) the function of its file, as
/// [`http_function!`] does for HTTP.
#[macro_export]
macro_rules! stream_function {
    ($handler:ident) => {
        fn __boxed(
            app: &$crate::__private::App,
            event: $crate::__private::LambdaEvent<$crate::__private::Event>,
        ) -> $crate::BoxFuture<
            '_,
            Result<
                $crate::__private::DynamoDbEventResponse,
                $crate::__private::lambda_runtime::Error,
            >,
        > {
            Box::pin($handler(app, event))
        }

        /// This function, for the local server and the tests.
        #[allow(dead_code)]
        pub const FUNCTION: $crate::Function = $crate::Function::Stream(__boxed);

        // The binary's entry point; in the library, a function never called.
        #[allow(dead_code)]
        fn main() -> Result<(), $crate::__private::lambda_runtime::Error> {
            $crate::serve_stream(__boxed)
        }
    };
}

/// Makes `handler` (`async fn(&App, LambdaEvent<serde_json::Value>) ->
/// Result<serde_json::Value, Error>`) the function of its file, as
/// [`http_function!`] does for HTTP.
#[macro_export]
macro_rules! scheduled_function {
    ($handler:ident) => {
        fn __boxed(
            app: &$crate::__private::App,
            event: $crate::__private::LambdaEvent<$crate::__private::serde_json::Value>,
        ) -> $crate::BoxFuture<
            '_,
            Result<$crate::__private::serde_json::Value, $crate::__private::lambda_runtime::Error>,
        > {
            Box::pin($handler(app, event))
        }

        /// This function, for the local server and the tests.
        #[allow(dead_code)]
        pub const FUNCTION: $crate::Function = $crate::Function::Scheduled(__boxed);

        // The binary's entry point; in the library, a function never called.
        #[allow(dead_code)]
        fn main() -> Result<(), $crate::__private::lambda_runtime::Error> {
            $crate::serve_scheduled(__boxed)
        }
    };
}

/// What the macros name, whatever the calling file imports.
#[doc(hidden)]
pub mod __private {
    pub use aws_lambda_events::event::dynamodb::Event;
    pub use aws_lambda_events::event::streams::DynamoDbEventResponse;
    pub use lambda_http;
    pub use lambda_runtime;
    pub use lambda_runtime::LambdaEvent;
    pub use microblog_shared::App;
    pub use serde_json;
}

#[cfg(test)]
mod tests {
    use super::*;
    use microblog_shared::routes::{functions, route_of, worker_of, Trigger};

    #[test]
    fn every_route_and_worker_has_its_file_of_its_kind_and_no_file_is_left_over() {
        for name in functions() {
            match (function(name), worker_of(name)) {
                (None, _) => panic!("{name} has no file: add functions/src/bin/{name}.rs"),
                (Some(Function::Http(_)), Some(_)) => {
                    panic!("{name} is a worker: its file calls stream_function! or scheduled_function!")
                }
                (Some(Function::Stream(_) | Function::Scheduled(_)), None) => {
                    panic!("{name} serves HTTP: its file calls http_function!")
                }
                (Some(Function::Stream(_)), Some(worker)) => {
                    assert_eq!(worker.trigger, Trigger::TableStream, "{name}")
                }
                (Some(Function::Scheduled(_)), Some(worker)) => {
                    assert!(matches!(worker.trigger, Trigger::Schedule(_)), "{name}")
                }
                (Some(Function::Http(_)), None) => {}
            }
        }
        for (name, _) in FUNCTIONS {
            assert!(
                route_of(name).is_some()
                    || worker_of(name).is_some()
                    || *name == microblog_shared::routes::FALLBACK_FUNCTION,
                "functions/src/bin/{name}.rs is neither a route's nor a worker's function in shared/src/routes/"
            );
        }
    }
}
