//! Configuration, read from the environment once per cold start.
//!
//! A missing or malformed value stops start-up with a message naming the
//! variable; nothing falls back silently. Optional values have documented
//! defaults (README, "Configuration").

use std::time::Duration;

/// Everything a function needs besides its DynamoDB client.
#[derive(Debug, Clone)]
pub struct Config {
    /// The DynamoDB table holding every item (`TABLE_NAME`).
    pub table_name: String,
    /// How long an issued token stays valid (`TOKEN_TTL_SECONDS`, default 3600).
    pub token_ttl: Duration,
    /// How long a refresh token stays valid after it is issued
    /// (`REFRESH_TOKEN_TTL_SECONDS`, default 30 days).
    pub refresh_token_ttl: Duration,
    /// How long after a refresh the refresh token it replaced may be
    /// presented again and get a pair of the same session instead of ending
    /// it as a reuse (`REFRESH_REUSE_INTERVAL_SECONDS`, default 10; 0: never).
    /// Two requests of one app that find the access token expired together
    /// both refresh with the same token.
    pub refresh_reuse_interval: Duration,
    /// Followers from which an author's posts are merged into feeds at
    /// read time instead of fanned out (`POPULAR_FOLLOWERS`, default 10,000).
    pub popular_followers: u64,
    /// Items one step of an account clean-up handles at most
    /// (`ACCOUNT_CLEANUP_STEP`, default 100).
    pub cleanup_step: u32,
    /// Days a notification stays in its inbox (`NOTIFICATION_TTL_DAYS`,
    /// default 90, at most 365).
    pub notification_ttl_days: u32,
    /// Timeouts and retries of the DynamoDB client.
    pub dynamodb: ClientSettings,
    /// Abuse limits per client address.
    pub rate_limits: RateLimits,
    /// How mail goes out and what it says.
    pub mail: crate::mail::MailSettings,
    /// Where pushes go (`PUSH_OUTBOX_DIR`, or SNS's platform applications).
    pub push: crate::push::PushTarget,
}

/// How many attempts a client address may make, in the table's counters
/// (`shared::store::limits`); 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed logins per (username, address) in 15 minutes, after which
    /// `POST /api/tokens` for that pair answers 429 until the window ends
    /// (`RATE_LIMIT_LOGIN_FAILURES`, default 10).
    pub login_failures: u32,
    /// Failed logins per address in 15 minutes, whatever the usernames
    /// (password spraying), after which `POST /api/tokens` from that address
    /// answers 429 until the window ends
    /// (`RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS`, default 100).
    pub login_failures_per_address: u32,
    /// Sign-ups per address in an hour (`RATE_LIMIT_SIGNUPS_PER_HOUR`,
    /// default 30).
    pub signups_per_hour: u32,
    /// Reports one user may make in an hour (`RATE_LIMIT_REPORTS_PER_HOUR`,
    /// default 20); a repeat of an open report does not count.
    pub reports_per_hour: u32,
    /// Password reset requests for one email address in an hour, whoever
    /// asks (`RATE_LIMIT_RESETS_PER_EMAIL`, default 3): a mailbox is not
    /// flooded.
    pub resets_per_email: u32,
    /// Password reset requests from one client address in an hour, for any
    /// email addresses (`RATE_LIMIT_RESETS_PER_ADDRESS`, default 20).
    pub resets_per_address: u32,
    /// Verification mails one user may ask for again in an hour
    /// (`RATE_LIMIT_VERIFICATION_RESENDS`, default 5).
    pub verification_resends: u32,
}

/// Default failed logins per (username, address) per 15 minutes.
pub const DEFAULT_LOGIN_FAILURES: u32 = 10;
/// Default failed logins per address, any usernames, per 15 minutes.
pub const DEFAULT_LOGIN_FAILURES_PER_ADDRESS: u32 = 100;
/// Default sign-ups per address per hour.
pub const DEFAULT_SIGNUPS_PER_HOUR: u32 = 30;
/// Default reports per user per hour.
pub const DEFAULT_REPORTS_PER_HOUR: u32 = crate::domain::DEFAULT_REPORTS_PER_HOUR;
/// Default reset requests per email address per hour.
pub const DEFAULT_RESETS_PER_EMAIL: u32 = 3;
/// Default reset requests per client address per hour.
pub const DEFAULT_RESETS_PER_ADDRESS: u32 = 20;
/// Default verification mails asked for again per user per hour.
pub const DEFAULT_VERIFICATION_RESENDS: u32 = 5;
/// Largest limit accepted (a million is "off" for any real client, but 0
/// says so).
pub const MAX_RATE_LIMIT: u32 = 1_000_000;

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            login_failures: DEFAULT_LOGIN_FAILURES,
            login_failures_per_address: DEFAULT_LOGIN_FAILURES_PER_ADDRESS,
            signups_per_hour: DEFAULT_SIGNUPS_PER_HOUR,
            reports_per_hour: DEFAULT_REPORTS_PER_HOUR,
            resets_per_email: DEFAULT_RESETS_PER_EMAIL,
            resets_per_address: DEFAULT_RESETS_PER_ADDRESS,
            verification_resends: DEFAULT_VERIFICATION_RESENDS,
        }
    }
}

impl RateLimits {
    /// Reads the `RATE_LIMIT_*` variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let limit = |name: &str, default: u32| -> Result<u32, ConfigError> {
            match lookup(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= MAX_RATE_LIMIT)
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "{name} must be a whole number from 0 (no limit) to {MAX_RATE_LIMIT}, got {raw:?}"
                        ))
                    }),
            }
        };
        Ok(RateLimits {
            login_failures: limit("RATE_LIMIT_LOGIN_FAILURES", DEFAULT_LOGIN_FAILURES)?,
            login_failures_per_address: limit(
                "RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS",
                DEFAULT_LOGIN_FAILURES_PER_ADDRESS,
            )?,
            signups_per_hour: limit("RATE_LIMIT_SIGNUPS_PER_HOUR", DEFAULT_SIGNUPS_PER_HOUR)?,
            reports_per_hour: limit("RATE_LIMIT_REPORTS_PER_HOUR", DEFAULT_REPORTS_PER_HOUR)?,
            resets_per_email: limit("RATE_LIMIT_RESETS_PER_EMAIL", DEFAULT_RESETS_PER_EMAIL)?,
            resets_per_address: limit("RATE_LIMIT_RESETS_PER_ADDRESS", DEFAULT_RESETS_PER_ADDRESS)?,
            verification_resends: limit(
                "RATE_LIMIT_VERIFICATION_RESENDS",
                DEFAULT_VERIFICATION_RESENDS,
            )?,
        })
    }
}

/// How the DynamoDB client retries a failed attempt (`DYNAMODB_RETRY_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Exponential backoff with jitter and a retry quota (the default).
    Standard,
    /// Standard, plus a client-side rate limiter that slows the client down
    /// after throttling.
    Adaptive,
}

/// Timeouts and retries of the DynamoDB client, the same on Lambda and in
/// `microblog-local`. docs/ARCHITECTURE.md ("Timeouts and retries") explains
/// the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// Time to open a connection, TLS included (`DYNAMODB_CONNECT_TIMEOUT_MS`).
    pub connect_timeout: Duration,
    /// Time for one attempt of a call, from sending to the whole answer
    /// (`DYNAMODB_ATTEMPT_TIMEOUT_MS`).
    pub attempt_timeout: Duration,
    /// Time for a whole call, every retry and backoff included
    /// (`DYNAMODB_OPERATION_TIMEOUT_MS`): no DynamoDB call takes longer.
    pub operation_timeout: Duration,
    /// Retry mode (`DYNAMODB_RETRY_MODE`, `standard` or `adaptive`).
    pub retry_mode: RetryMode,
    /// Attempts per call, the first included (`DYNAMODB_MAX_ATTEMPTS`).
    pub max_attempts: u32,
}

/// Default connect timeout: 1 s.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 1_000;
/// Default per-attempt timeout: 1 s.
pub const DEFAULT_ATTEMPT_TIMEOUT_MS: u64 = 1_000;
/// Default per-operation timeout: 3 s.
pub const DEFAULT_OPERATION_TIMEOUT_MS: u64 = 3_000;
/// Default attempts per call: 3 (the SDK's standard).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Longest timeout accepted, for any of the three: 20 s, under API
/// Gateway's 30 s integration timeout with room for the request's other work.
pub const MAX_TIMEOUT_MS: u64 = 20_000;
/// Most attempts accepted per call.
pub const MAX_ATTEMPTS: u32 = 10;
/// First retry backoff (the n-th waits a random time up to this times 2^n,
/// capped at [`MAX_BACKOFF`]): DynamoDB answers in milliseconds, so the SDK's
/// general default of 1 s would spend the whole budget waiting.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
/// Longest retry backoff.
pub const MAX_BACKOFF: Duration = Duration::from_millis(500);

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS),
            attempt_timeout: Duration::from_millis(DEFAULT_ATTEMPT_TIMEOUT_MS),
            operation_timeout: Duration::from_millis(DEFAULT_OPERATION_TIMEOUT_MS),
            retry_mode: RetryMode::Standard,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl ClientSettings {
    /// Reads the `DYNAMODB_*` variables through `lookup`; absent ones take
    /// their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = ClientSettings::default();
        let millis = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            match lookup(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (1..=MAX_TIMEOUT_MS).contains(ms))
                    .map(Duration::from_millis)
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "{name} must be a whole number of milliseconds from 1 to {MAX_TIMEOUT_MS}, got {raw:?}"
                        ))
                    }),
            }
        };
        let connect_timeout = millis("DYNAMODB_CONNECT_TIMEOUT_MS", defaults.connect_timeout)?;
        let attempt_timeout = millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", defaults.attempt_timeout)?;
        let operation_timeout =
            millis("DYNAMODB_OPERATION_TIMEOUT_MS", defaults.operation_timeout)?;
        if attempt_timeout > operation_timeout {
            return Err(ConfigError(format!(
                "DYNAMODB_ATTEMPT_TIMEOUT_MS ({} ms) must not exceed DYNAMODB_OPERATION_TIMEOUT_MS ({} ms): one attempt is part of an operation",
                attempt_timeout.as_millis(),
                operation_timeout.as_millis()
            )));
        }
        let retry_mode = match lookup("DYNAMODB_RETRY_MODE") {
            None => defaults.retry_mode,
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "standard" => RetryMode::Standard,
                "adaptive" => RetryMode::Adaptive,
                _ => {
                    return Err(ConfigError(format!(
                        "DYNAMODB_RETRY_MODE must be standard or adaptive, got {raw:?}"
                    )))
                }
            },
        };
        let max_attempts = match lookup("DYNAMODB_MAX_ATTEMPTS") {
            None => defaults.max_attempts,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_ATTEMPTS).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "DYNAMODB_MAX_ATTEMPTS must be a whole number from 1 to {MAX_ATTEMPTS}, got {raw:?}"
                    ))
                })?,
        };
        Ok(ClientSettings {
            connect_timeout,
            attempt_timeout,
            operation_timeout,
            retry_mode,
            max_attempts,
        })
    }
}

/// A configuration value is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Default token lifetime: one hour, as in the tutorial.
pub const DEFAULT_TOKEN_TTL_SECONDS: u64 = 3600;
/// Default refresh token lifetime: 30 days (an app used once a month stays
/// logged in).
pub const DEFAULT_REFRESH_TOKEN_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// Longest refresh token lifetime accepted: one year.
pub const MAX_REFRESH_TOKEN_TTL_SECONDS: u64 = 365 * 24 * 3600;
/// Default refresh reuse interval: 10 seconds.
pub const DEFAULT_REFRESH_REUSE_INTERVAL_SECONDS: u64 = 10;
/// Longest refresh reuse interval accepted: 5 minutes.
pub const MAX_REFRESH_REUSE_INTERVAL_SECONDS: u64 = 300;
/// Default size of an account clean-up step: one Query page of 100 items,
/// well under a second of work.
pub const DEFAULT_CLEANUP_STEP: u32 = 100;
/// Largest clean-up step accepted.
pub const MAX_CLEANUP_STEP: u32 = 1000;
/// Default follower count from which an author is popular: their posts are
/// merged into feeds when read rather than written into each.
pub const DEFAULT_POPULAR_FOLLOWERS: u64 = 10_000;
/// Longest token lifetime accepted: 30 days.
pub const MAX_TOKEN_TTL_SECONDS: u64 = 30 * 24 * 3600;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME").ok_or_else(|| {
            ConfigError("TABLE_NAME is not set; set it to the DynamoDB table name".into())
        })?;
        validate_table_name(&table_name)?;
        let token_ttl = match lookup("TOKEN_TTL_SECONDS") {
            None => DEFAULT_TOKEN_TTL_SECONDS,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=MAX_TOKEN_TTL_SECONDS).contains(s))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "TOKEN_TTL_SECONDS must be a whole number of seconds from 1 to {MAX_TOKEN_TTL_SECONDS}, got {raw:?}"
                    ))
                })?,
        };
        let refresh_token_ttl = match lookup("REFRESH_TOKEN_TTL_SECONDS") {
            None => DEFAULT_REFRESH_TOKEN_TTL_SECONDS,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=MAX_REFRESH_TOKEN_TTL_SECONDS).contains(s))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "REFRESH_TOKEN_TTL_SECONDS must be a whole number of seconds from 1 to {MAX_REFRESH_TOKEN_TTL_SECONDS}, got {raw:?}"
                    ))
                })?,
        };
        let refresh_reuse_interval = match lookup("REFRESH_REUSE_INTERVAL_SECONDS") {
            None => DEFAULT_REFRESH_REUSE_INTERVAL_SECONDS,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= MAX_REFRESH_REUSE_INTERVAL_SECONDS)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "REFRESH_REUSE_INTERVAL_SECONDS must be a whole number of seconds from 0 (no reuse) to {MAX_REFRESH_REUSE_INTERVAL_SECONDS}, got {raw:?}"
                    ))
                })?,
        };
        let popular_followers = match lookup("POPULAR_FOLLOWERS") {
            None => DEFAULT_POPULAR_FOLLOWERS,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "POPULAR_FOLLOWERS must be a whole number of followers, at least 1, got {raw:?}"
                    ))
                })?,
        };
        let cleanup_step = match lookup("ACCOUNT_CLEANUP_STEP") {
            None => DEFAULT_CLEANUP_STEP,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_CLEANUP_STEP).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "ACCOUNT_CLEANUP_STEP must be a whole number of items from 1 to {MAX_CLEANUP_STEP}, got {raw:?}"
                    ))
                })?,
        };
        let notification_ttl_days = match lookup("NOTIFICATION_TTL_DAYS") {
            None => crate::domain::DEFAULT_NOTIFICATION_TTL_DAYS,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=365).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "NOTIFICATION_TTL_DAYS must be a whole number of days from 1 to 365, got {raw:?}"
                    ))
                })?,
        };
        Ok(Config {
            table_name,
            cleanup_step,
            notification_ttl_days,
            token_ttl: Duration::from_secs(token_ttl),
            refresh_token_ttl: Duration::from_secs(refresh_token_ttl),
            refresh_reuse_interval: Duration::from_secs(refresh_reuse_interval),
            popular_followers,
            rate_limits: RateLimits::from_lookup(&lookup)?,
            mail: crate::mail::MailSettings::from_lookup(&lookup)?,
            push: crate::push::PushTarget::from_lookup(&lookup)?,
            dynamodb: ClientSettings::from_lookup(lookup)?,
        })
    }
}

/// DynamoDB's own rule for table names, checked early so a typo fails at
/// start-up rather than on the first request.
pub fn validate_table_name(name: &str) -> Result<(), ConfigError> {
    let ok = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "TABLE_NAME {name:?} is not a valid DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, '_', '-', '.')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_missing_table_name_is_an_error_naming_the_variable() {
        let err = Config::from_lookup(env(&[])).unwrap_err();
        assert!(err.to_string().contains("TABLE_NAME"));
    }

    #[test]
    fn the_token_lifetime_defaults_to_an_hour() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(config.token_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn a_malformed_token_lifetime_is_refused_not_ignored() {
        for bad in ["0", "abc", "-5", "99999999999"] {
            let err = Config::from_lookup(env(&[
                ("TABLE_NAME", "microblog"),
                ("TOKEN_TTL_SECONDS", bad),
            ]))
            .unwrap_err();
            assert!(err.to_string().contains("TOKEN_TTL_SECONDS"), "{bad}");
        }
    }

    #[test]
    fn the_refresh_token_lifetime_defaults_to_30_days_and_refuses_nonsense() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(
            config.refresh_token_ttl,
            Duration::from_secs(30 * 24 * 3600)
        );
        let set = Config::from_lookup(env(&[
            ("TABLE_NAME", "microblog"),
            ("REFRESH_TOKEN_TTL_SECONDS", "2"),
        ]))
        .unwrap();
        assert_eq!(set.refresh_token_ttl, Duration::from_secs(2));
        for bad in ["0", "soon", "-5", "99999999999"] {
            let err = Config::from_lookup(env(&[
                ("TABLE_NAME", "microblog"),
                ("REFRESH_TOKEN_TTL_SECONDS", bad),
            ]))
            .unwrap_err();
            assert!(
                err.to_string().contains("REFRESH_TOKEN_TTL_SECONDS"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_refresh_reuse_interval_defaults_to_10_seconds_and_0_turns_it_off() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(config.refresh_reuse_interval, Duration::from_secs(10));
        let off = Config::from_lookup(env(&[
            ("TABLE_NAME", "microblog"),
            ("REFRESH_REUSE_INTERVAL_SECONDS", "0"),
        ]))
        .unwrap();
        assert_eq!(off.refresh_reuse_interval, Duration::ZERO);
        for bad in ["301", "soon", "-1"] {
            let err = Config::from_lookup(env(&[
                ("TABLE_NAME", "microblog"),
                ("REFRESH_REUSE_INTERVAL_SECONDS", bad),
            ]))
            .unwrap_err();
            assert!(
                err.to_string().contains("REFRESH_REUSE_INTERVAL_SECONDS"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_clean_up_step_defaults_to_100_items_and_refuses_nonsense() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(config.cleanup_step, 100);
        assert_eq!(config.notification_ttl_days, 90);
        for bad in ["0", "1001", "some"] {
            let err = Config::from_lookup(env(&[
                ("TABLE_NAME", "microblog"),
                ("ACCOUNT_CLEANUP_STEP", bad),
            ]))
            .unwrap_err();
            assert!(err.to_string().contains("ACCOUNT_CLEANUP_STEP"), "{bad}");
        }
    }

    #[test]
    fn the_client_settings_default_to_documented_values_and_refuse_nonsense() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(config.dynamodb, ClientSettings::default());
        let set = Config::from_lookup(env(&[
            ("TABLE_NAME", "microblog"),
            ("DYNAMODB_CONNECT_TIMEOUT_MS", "200"),
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "900"),
            ("DYNAMODB_RETRY_MODE", "Adaptive"),
            ("DYNAMODB_MAX_ATTEMPTS", "5"),
        ]))
        .unwrap()
        .dynamodb;
        assert_eq!(set.connect_timeout, Duration::from_millis(200));
        assert_eq!(set.attempt_timeout, Duration::from_millis(300));
        assert_eq!(set.operation_timeout, Duration::from_millis(900));
        assert_eq!(set.retry_mode, RetryMode::Adaptive);
        assert_eq!(set.max_attempts, 5);
        for (name, bad) in [
            ("DYNAMODB_CONNECT_TIMEOUT_MS", "0"),
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "1.5"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "60000"),
            ("DYNAMODB_RETRY_MODE", "legacy"),
            ("DYNAMODB_MAX_ATTEMPTS", "0"),
            ("DYNAMODB_MAX_ATTEMPTS", "11"),
        ] {
            let err =
                Config::from_lookup(env(&[("TABLE_NAME", "microblog"), (name, bad)])).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={bad}: {err}");
        }
        let inverted = Config::from_lookup(env(&[
            ("TABLE_NAME", "microblog"),
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "5000"),
        ]))
        .unwrap_err();
        assert!(
            inverted.to_string().contains("must not exceed"),
            "{inverted}"
        );
    }

    #[test]
    fn the_popular_author_threshold_defaults_to_ten_thousand_and_refuses_zero() {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(config.popular_followers, 10_000);
        for bad in ["0", "many", "-1"] {
            let err = Config::from_lookup(env(&[
                ("TABLE_NAME", "microblog"),
                ("POPULAR_FOLLOWERS", bad),
            ]))
            .unwrap_err();
            assert!(err.to_string().contains("POPULAR_FOLLOWERS"), "{bad}");
        }
    }

    #[test]
    fn rate_limits_default_to_10_failed_logins_100_per_address_and_30_sign_ups_and_0_turns_them_off(
    ) {
        let config = Config::from_lookup(env(&[("TABLE_NAME", "microblog")])).unwrap();
        assert_eq!(
            config.rate_limits,
            RateLimits {
                login_failures: 10,
                login_failures_per_address: 100,
                signups_per_hour: 30,
                reports_per_hour: 20,
                resets_per_email: 3,
                resets_per_address: 20,
                verification_resends: 5,
            }
        );
        let off = Config::from_lookup(env(&[
            ("TABLE_NAME", "microblog"),
            ("RATE_LIMIT_LOGIN_FAILURES", "0"),
            ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "0"),
            ("RATE_LIMIT_SIGNUPS_PER_HOUR", " 5 "),
        ]))
        .unwrap();
        assert_eq!(
            (
                off.rate_limits.login_failures,
                off.rate_limits.login_failures_per_address,
                off.rate_limits.signups_per_hour
            ),
            (0, 0, 5)
        );
        for (name, bad) in [
            ("RATE_LIMIT_LOGIN_FAILURES", "-1"),
            ("RATE_LIMIT_LOGIN_FAILURES", "ten"),
            ("RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS", "many"),
            ("RATE_LIMIT_SIGNUPS_PER_HOUR", "1000001"),
            ("RATE_LIMIT_RESETS_PER_EMAIL", "x"),
            ("RATE_LIMIT_RESETS_PER_ADDRESS", "-3"),
        ] {
            let err =
                Config::from_lookup(env(&[("TABLE_NAME", "microblog"), (name, bad)])).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={bad}: {err}");
        }
    }

    #[test]
    fn an_invalid_table_name_is_refused() {
        assert!(Config::from_lookup(env(&[("TABLE_NAME", "ab")])).is_err());
        assert!(Config::from_lookup(env(&[("TABLE_NAME", "a b c")])).is_err());
    }
}
