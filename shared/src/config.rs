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
        Ok(Config {
            table_name,
            token_ttl: Duration::from_secs(token_ttl),
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
    fn an_invalid_table_name_is_refused() {
        assert!(Config::from_lookup(env(&[("TABLE_NAME", "ab")])).is_err());
        assert!(Config::from_lookup(env(&[("TABLE_NAME", "a b c")])).is_err());
    }
}
