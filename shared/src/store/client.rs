//! The one place the DynamoDB client's timeouts and retries are set, for the
//! Lambda functions ([`crate::App::from_config`]) and `microblog-local`
//! (its embedded engine and any external endpoint) alike.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Builder, SharedHttpClient};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

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

/// The root certificates TLS to DynamoDB's own endpoints is checked
/// against: Amazon Trust Services', to which every AWS service endpoint
/// chains (shared/certs/README.md).
const AMAZON_ROOTS: [&[u8]; 5] = [
    include_bytes!("../../certs/AmazonRootCA1.pem"),
    include_bytes!("../../certs/AmazonRootCA2.pem"),
    include_bytes!("../../certs/AmazonRootCA3.pem"),
    include_bytes!("../../certs/AmazonRootCA4.pem"),
    include_bytes!("../../certs/SFSRootCAG2.pem"),
];

/// Which root certificates a client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Amazon Trust Services' roots, built in: for AWS's own endpoints.
    /// Reading the system's store instead (some 150 files) took most of a
    /// cold start's time before the first request (docs/PERFORMANCE.md).
    AmazonRoots,
    /// The system's root store, for an endpoint of any other origin.
    System,
}

impl Trust {
    /// What to trust for `endpoint_override` (`AWS_ENDPOINT_URL_DYNAMODB`,
    /// when set): the system's roots only for an `https` endpoint other
    /// than AWS's; a plain `http` one (a local engine) uses no TLS at all.
    pub fn for_endpoint(endpoint_override: Option<&str>) -> Trust {
        match endpoint_override {
            Some(url) if url.starts_with("https://") && !url.contains(".amazonaws.com") => {
                Trust::System
            }
            _ => Trust::AmazonRoots,
        }
    }
}

/// The HTTP(S) client of every DynamoDB client: hyper with rustls on
/// ring. The SDK's own default is the same on aws-lc, a larger library;
/// one stack for all keeps the binaries small (docs/PERFORMANCE.md).
pub fn http_client(trust: Trust) -> SharedHttpClient {
    let store = match trust {
        Trust::AmazonRoots => AMAZON_ROOTS.iter().fold(
            TrustStore::empty().with_native_roots(false),
            |store, pem| store.with_pem_certificate(*pem),
        ),
        Trust::System => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .expect("a trust store of valid certificates makes a valid TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The standard AWS environment (region, credentials, endpoints) for a
/// service whose endpoint variable is `endpoint_variable`
/// (`AWS_ENDPOINT_URL_DYNAMODB`, falling back on `AWS_ENDPOINT_URL`), on
/// [`http_client`] with the roots that endpoint needs.
pub async fn sdk_config(endpoint_variable: &str) -> aws_config::SdkConfig {
    let endpoint = std::env::var(endpoint_variable)
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client(Trust::for_endpoint(endpoint.as_deref())))
        .load()
        .await
}

/// A client from the standard AWS environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` when set) with `settings` applied. Also
/// returns whether a region was found.
pub async fn from_environment(settings: &ClientSettings) -> (aws_sdk_dynamodb::Client, bool) {
    let sdk = sdk_config("AWS_ENDPOINT_URL_DYNAMODB").await;
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
    fn the_system_roots_are_read_only_for_https_endpoints_outside_aws() {
        assert_eq!(Trust::for_endpoint(None), Trust::AmazonRoots);
        assert_eq!(
            Trust::for_endpoint(Some("https://dynamodb.eu-west-1.amazonaws.com")),
            Trust::AmazonRoots
        );
        assert_eq!(
            Trust::for_endpoint(Some("http://127.0.0.1:8000")),
            Trust::AmazonRoots
        );
        assert_eq!(
            Trust::for_endpoint(Some("https://dynamo.internal.example")),
            Trust::System
        );
    }

    #[test]
    fn the_built_in_roots_are_amazons_and_parse() {
        for pem in AMAZON_ROOTS {
            let text = std::str::from_utf8(pem).unwrap();
            assert!(text.starts_with("-----BEGIN CERTIFICATE-----"), "{text}");
        }
        // Building the client parses them (it panics on a bad one).
        let _ = http_client(Trust::AmazonRoots);
    }

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
