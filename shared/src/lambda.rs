//! Cold-start wiring shared by every function binary: logging, config, the
//! DynamoDB client, and reporting an init failure to the Lambda Runtime API.

use lambda_http::http::{Method, Request, Uri};
use lambda_runtime_api_client::body::Body;

use crate::config::{Config, ConfigError};
use crate::App;

/// Sets up logging: JSON when Lambda's log format is JSON, text otherwise;
/// level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` directives, else INFO.
///
/// The Lambda runtime logs every raw event at TRACE, and an event carries the
/// `Authorization` header and request bodies with passwords: the runtime
/// and HTTP crates are capped whatever the level asked for, so no setting can
/// put a secret (or a password hash sent to DynamoDB) in the logs.
pub fn init_tracing() {
    use lambda_http::tracing::subscriber::filter::{EnvFilter, LevelFilter};
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    for directive in [
        "lambda_runtime=debug",
        "lambda_http=debug",
        "lambda_runtime_api_client=debug",
        "aws_smithy_runtime=debug",
        "aws_smithy_http_client=debug",
        "hyper=info",
        "hyper_util=info",
    ] {
        filter = filter.add_directive(directive.parse().expect("static directive is valid"));
    }
    let builder = lambda_http::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // A second initialisation (tests) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Builds the [`App`] from the environment once per cold start. On a
/// configuration error it reports the error to the Runtime API's
/// `/runtime/init/error` (so the failure shows up as a clear init error rather
/// than a later panic) and returns it.
pub async fn app_from_env() -> Result<App, lambda_http::Error> {
    match Config::from_env() {
        Ok(config) => Ok(App::from_config(config).await),
        Err(err) => {
            tracing::error!(error = %err, "cannot start");
            report_init_error(&err).await;
            Err(err.into())
        }
    }
}

/// Posts `err` to `/2018-06-01/runtime/init/error` when running under Lambda.
async fn report_init_error(err: &ConfigError) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let Ok(base) = format!("http://{api}").parse::<Uri>() else {
        return;
    };
    let body = serde_json::json!({
        "errorType": "Runtime.ConfigError",
        "errorMessage": err.to_string(),
    });
    let client = match lambda_runtime_api_client::Client::builder()
        .with_endpoint(base)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot reach the Runtime API");
            return;
        }
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.ConfigError")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("static request parts are valid");
    if let Err(e) = client.call(request).await {
        tracing::error!(error = %e, "reporting the init error failed");
    }
}
