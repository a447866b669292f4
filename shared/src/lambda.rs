//! Cold-start wiring shared by every function binary: logging, config, the
//! DynamoDB client, and reporting an init failure to the Lambda Runtime API.

use lambda_http::http::{Method, Request, Uri};
use lambda_http::tracing::subscriber::filter::{EnvFilter, LevelFilter};
use lambda_runtime_api_client::body::Body;

use crate::config::{Config, ConfigError};
use crate::App;

/// Crates that log requests or responses whole at TRACE: the Lambda runtime
/// logs each raw event (with the `Authorization` header and bodies holding
/// passwords), the SDK and HTTP crates what goes to DynamoDB, and the
/// embedded engine (`microblog-local`, tests) every request and response
/// body it serves (password and token hashes). At DEBUG they log sizes and
/// names only.
pub const NEVER_TRACE: &[&str] = &[
    "dynoxide",
    "lambda_runtime",
    "lambda_http",
    "lambda_runtime_api_client",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "hyper",
    "hyper_util",
];

/// The level [`NEVER_TRACE`] crates log at, given the most verbose level
/// enabled anywhere: the same, but never beyond DEBUG.
fn capped(most_verbose: LevelFilter) -> LevelFilter {
    most_verbose.min(LevelFilter::DEBUG)
}

/// Sets up logging: JSON when Lambda's log format is JSON, text otherwise;
/// level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` directives, else INFO.
/// Whatever level is asked for, the [`NEVER_TRACE`] crates stop at DEBUG, so
/// no setting can put a secret in the logs.
pub fn init_tracing() {
    let filter = log_filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
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

/// The log filter for `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG` directives:
/// the level from the first, else the directives, else INFO; whatever they
/// say, the [`NEVER_TRACE`] crates stop at DEBUG.
pub fn log_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    let level = lambda_level
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(rust_log.unwrap_or(""));
    let cap = capped(filter.max_level_hint().unwrap_or(level));
    for target in NEVER_TRACE {
        // A level asked for this crate by name stays, if not beyond DEBUG.
        let mut asked = rust_log.unwrap_or("").split(',').filter_map(|directive| {
            let level = directive.trim().strip_prefix(target)?.strip_prefix('=')?;
            level.parse::<LevelFilter>().ok()
        });
        let level = asked.next_back().map_or(cap, capped);
        filter = filter.add_directive(
            format!("{target}={level}")
                .parse()
                .expect("a crate name and a level make a valid directive"),
        );
    }
    filter
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_crates_never_log_at_trace_and_stay_quiet_at_info() {
        assert_eq!(capped(LevelFilter::TRACE), LevelFilter::DEBUG);
        assert_eq!(capped(LevelFilter::DEBUG), LevelFilter::DEBUG);
        assert_eq!(capped(LevelFilter::INFO), LevelFilter::INFO);
        assert_eq!(capped(LevelFilter::ERROR), LevelFilter::ERROR);
    }

    #[test]
    fn the_engine_and_runtime_crates_stop_at_debug_and_keep_a_quieter_level_asked_by_name() {
        let loudest = log_filter(Some("TRACE"), Some("trace")).to_string();
        for target in NEVER_TRACE {
            assert!(
                loudest.contains(&format!("{target}=debug")),
                "{target}: {loudest}"
            );
        }
        let quiet = log_filter(None, Some("info,dynoxide=error")).to_string();
        assert!(quiet.contains("dynoxide=error"), "{quiet}");
        assert!(!quiet.contains("dynoxide=info"), "{quiet}");
        let asked_trace = log_filter(None, Some("dynoxide=trace")).to_string();
        assert!(asked_trace.contains("dynoxide=debug"), "{asked_trace}");
    }
}
