//! How mail goes out and what it says: read from the environment with the
//! rest of the configuration, each value checked at start-up.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::ConfigError;

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Amazon SES v2 (the default: what a deployed function uses), with the
    /// configuration set named by `SES_CONFIGURATION_SET`, if any.
    Ses {
        /// The configuration set every message is sent with.
        configuration_set: Option<String>,
    },
    /// An SMTP server (`SMTP_URL`, as lettre reads it: `smtp://host:port`
    /// without TLS, `smtp://…?tls=required` for STARTTLS, `smtps://` for
    /// TLS; credentials as `user:pass@`), such as a local mail catcher.
    Smtp(String),
    /// A directory (`MAIL_OUTBOX_DIR`): each message an RFC 5322 `.eml`
    /// file, as the local server does by default.
    Outbox(PathBuf),
}

/// The mail settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Where messages go: `SMTP_URL` when set, else `MAIL_OUTBOX_DIR` when
    /// set, else SES.
    pub transport: Transport,
    /// The sender, `Name <address>` or an address (`MAIL_FROM`); on SES,
    /// an address of a verified identity.
    pub from: String,
    /// The product's name in every message (`PRODUCT_NAME`).
    pub product_name: String,
    /// The link a reset code is sent in, with `{token}` where the code goes
    /// (`RESET_URL_TEMPLATE`): an app's universal link, or a web page.
    pub reset_url_template: String,
    /// How long a reset code works (`RESET_TOKEN_TTL_SECONDS`).
    pub reset_code_ttl: Duration,
    /// The link a verification code is sent in, with `{token}`
    /// (`VERIFY_URL_TEMPLATE`).
    pub verify_url_template: String,
    /// How long a verification code works (`VERIFY_TOKEN_TTL_SECONDS`).
    pub verify_code_ttl: Duration,
}

/// Default sender.
pub const DEFAULT_FROM: &str = "microblog <no-reply@microblog.localhost>";
/// Default product name.
pub const DEFAULT_PRODUCT_NAME: &str = "microblog";
/// Default reset link: the app's own URL scheme.
pub const DEFAULT_RESET_URL_TEMPLATE: &str = "microblog://reset-password?token={token}";
/// Default lifetime of a reset code: 15 minutes.
pub const DEFAULT_RESET_TOKEN_TTL_SECONDS: u64 = 15 * 60;
/// Longest lifetime of a reset code accepted: a day.
pub const MAX_RESET_TOKEN_TTL_SECONDS: u64 = 24 * 60 * 60;
/// Default verification link.
pub const DEFAULT_VERIFY_URL_TEMPLATE: &str = "microblog://verify-email?token={token}";
/// Default lifetime of a verification code: 2 days.
pub const DEFAULT_VERIFY_TOKEN_TTL_SECONDS: u64 = 2 * 24 * 60 * 60;
/// Longest lifetime of a verification code accepted: 30 days.
pub const MAX_VERIFY_TOKEN_TTL_SECONDS: u64 = 30 * 24 * 60 * 60;
/// Longest product name accepted (it goes into subject lines).
const MAX_PRODUCT_NAME_CHARS: usize = 60;

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            transport: Transport::Ses {
                configuration_set: None,
            },
            from: DEFAULT_FROM.to_string(),
            product_name: DEFAULT_PRODUCT_NAME.to_string(),
            reset_url_template: DEFAULT_RESET_URL_TEMPLATE.to_string(),
            reset_code_ttl: Duration::from_secs(DEFAULT_RESET_TOKEN_TTL_SECONDS),
            verify_url_template: DEFAULT_VERIFY_URL_TEMPLATE.to_string(),
            verify_code_ttl: Duration::from_secs(DEFAULT_VERIFY_TOKEN_TTL_SECONDS),
        }
    }
}

impl MailSettings {
    /// Reads the mail variables through `lookup`. An empty value is the
    /// same as an unset one, so that a template can declare a variable
    /// without setting it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = MailSettings::default();
        let transport = match (get("SMTP_URL"), get("MAIL_OUTBOX_DIR")) {
            (Some(url), _) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    return Err(ConfigError(
                        "SMTP_URL must start with smtp:// or smtps://".into(),
                    ));
                }
                Transport::Smtp(url)
            }
            (None, Some(dir)) => Transport::Outbox(PathBuf::from(dir)),
            (None, None) => Transport::Ses {
                configuration_set: get("SES_CONFIGURATION_SET"),
            },
        };
        let from = get("MAIL_FROM").unwrap_or(defaults.from);
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(format!(
                "MAIL_FROM must be an address or `Name <address>`, got {from:?}"
            )));
        }
        let product_name = get("PRODUCT_NAME").unwrap_or(defaults.product_name);
        if product_name.chars().count() > MAX_PRODUCT_NAME_CHARS
            || product_name.chars().any(char::is_control)
        {
            return Err(ConfigError(format!(
                "PRODUCT_NAME must be at most {MAX_PRODUCT_NAME_CHARS} characters on one line"
            )));
        }
        let link = |name: &str, default: String| -> Result<String, ConfigError> {
            let template = get(name).unwrap_or(default);
            if template.matches("{token}").count() == 1 {
                Ok(template)
            } else {
                Err(ConfigError(format!(
                    "{name} must contain {{token}} once, got {template:?}"
                )))
            }
        };
        let lifetime = |name: &str, default: Duration, max: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=max).contains(s))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "{name} must be a whole number of seconds from 1 to {max}, got {raw:?}"
                        ))
                    }),
            }
        };
        let reset_url_template = link("RESET_URL_TEMPLATE", defaults.reset_url_template)?;
        let verify_url_template = link("VERIFY_URL_TEMPLATE", defaults.verify_url_template)?;
        let reset_code_ttl = lifetime(
            "RESET_TOKEN_TTL_SECONDS",
            defaults.reset_code_ttl,
            MAX_RESET_TOKEN_TTL_SECONDS,
        )?;
        let verify_code_ttl = lifetime(
            "VERIFY_TOKEN_TTL_SECONDS",
            defaults.verify_code_ttl,
            MAX_VERIFY_TOKEN_TTL_SECONDS,
        )?;
        Ok(MailSettings {
            transport,
            from,
            product_name,
            reset_url_template,
            reset_code_ttl,
            verify_url_template,
            verify_code_ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<MailSettings, ConfigError> {
        MailSettings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn smtp_wins_over_the_outbox_which_wins_over_ses() {
        assert_eq!(read(&[]).unwrap(), MailSettings::default());
        let outbox = read(&[("MAIL_OUTBOX_DIR", "/tmp/out"), ("SMTP_URL", "")]).unwrap();
        assert_eq!(outbox.transport, Transport::Outbox("/tmp/out".into()));
        let smtp = read(&[
            ("MAIL_OUTBOX_DIR", "/tmp/out"),
            ("SMTP_URL", "smtp://127.0.0.1:1025"),
        ])
        .unwrap();
        assert_eq!(
            smtp.transport,
            Transport::Smtp("smtp://127.0.0.1:1025".into())
        );
        let ses = read(&[("SES_CONFIGURATION_SET", "microblog")]).unwrap();
        assert_eq!(
            ses.transport,
            Transport::Ses {
                configuration_set: Some("microblog".into())
            }
        );
    }

    #[test]
    fn malformed_mail_settings_are_refused_naming_the_variable() {
        for (name, bad) in [
            ("SMTP_URL", "http://x"),
            ("MAIL_FROM", "not an address"),
            ("RESET_URL_TEMPLATE", "https://example.com/reset"),
            ("RESET_TOKEN_TTL_SECONDS", "0"),
            ("RESET_TOKEN_TTL_SECONDS", "86401"),
            ("VERIFY_URL_TEMPLATE", "https://example.com/{token}/{token}"),
            ("VERIFY_TOKEN_TTL_SECONDS", "2592001"),
            ("PRODUCT_NAME", "two\nlines"),
        ] {
            let err = read(&[(name, bad)]).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={bad:?}: {err}");
        }
    }
}
