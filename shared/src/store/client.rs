//! The one place the DynamoDB client's timeouts and retries are set, for the
//! Lambda functions ([`crate::App::from_config`]) and `microblog-local`
//! (its embedded engine and any external endpoint) alike.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::Builder;

use crate::config::{ClientSettings, RetryMode, INITIAL_BACKOFF, MAX_BACKOFF};

/// Applies `settings` to an SDK client configuration: connect, per-attempt
/// and per-operation timeouts, the retry mode and the attempts per call.
/// These override whatever the standard AWS environment said
/// (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`).
pub fn configure(builder: Builder, settings: &ClientSettings) -> Builder {
    let retry = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    }
    .with_max_attempts(settings.max_attempts)
    .with_initial_backoff(INITIAL_BACKOFF)
    .with_max_backoff(MAX_BACKOFF);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .operation_attempt_timeout(settings.attempt_timeout)
        .operation_timeout(settings.operation_timeout)
        .build();
    builder.retry_config(retry).timeout_config(timeouts)
}

/// A client from the standard AWS environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` when set) with `settings` applied. Also
/// returns whether a region was found.
pub async fn from_environment(settings: &ClientSettings) -> (aws_sdk_dynamodb::Client, bool) {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let has_region = sdk.region().is_some();
    let builder = configure(Builder::from(&sdk), settings);
    (
        aws_sdk_dynamodb::Client::from_conf(builder.build()),
        has_region,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_settings_reach_the_client_configuration() {
        let settings = ClientSettings {
            connect_timeout: Duration::from_millis(100),
            attempt_timeout: Duration::from_millis(200),
            operation_timeout: Duration::from_millis(700),
            retry_mode: RetryMode::Adaptive,
            max_attempts: 4,
        };
        let conf = configure(Builder::new(), &settings).build();
        let timeouts = conf.timeout_config().expect("timeouts are set");
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_millis(100)));
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            timeouts.operation_timeout(),
            Some(Duration::from_millis(700))
        );
        let retry = conf.retry_config().expect("retries are set");
        assert_eq!(retry.max_attempts(), 4);
        assert_eq!(
            retry.mode(),
            aws_sdk_dynamodb::config::retry::RetryMode::Adaptive
        );
        assert_eq!(retry.initial_backoff(), INITIAL_BACKOFF);
    }
}
