//! Mail: composing a message from its templates ([`compose`]) and sending
//! it where [`MailSettings`] say: SES v2 on AWS, an SMTP server, or an
//! outbox directory of `.eml` files. Only the `send_mail` worker sends;
//! requests write mail jobs (`store::mail`), never mail.

mod compose;
mod settings;

pub use compose::{compose, escape_html, validity};
pub use settings::{
    MailSettings, Transport, DEFAULT_RESET_TOKEN_TTL_SECONDS, DEFAULT_VERIFY_TOKEN_TTL_SECONDS,
    MAX_RESET_TOKEN_TTL_SECONDS, MAX_VERIFY_TOKEN_TTL_SECONDS,
};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::OnceCell;

/// Why a message was not sent. Never holds the message (it holds a code)
/// nor a server's own words (they may quote the address): codes and kinds
/// only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailError {
    /// A template is broken: a bug of ours.
    Template(String),
    /// The sender or recipient is not an address lettre accepts.
    Address(String),
    /// The transport refused this message for good (an SMTP 5xx, SES's
    /// MessageRejected): sending it again would be refused again.
    Refused(String),
    /// The transport failed; a retry may succeed.
    Transport(String),
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailError::Template(m) => write!(f, "mail template: {m}"),
            MailError::Address(m) => write!(f, "mail address: {m}"),
            MailError::Refused(m) => write!(f, "mail refused: {m}"),
            MailError::Transport(m) => write!(f, "sending mail: {m}"),
        }
    }
}

impl std::error::Error for MailError {}

/// What sends: built on first use, so that only the function that sends
/// mail ever makes an SES client or an SMTP connection.
enum Backend {
    Ses(aws_sdk_sesv2::Client),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Sends messages as its settings say.
#[derive(Clone)]
pub struct Mailer {
    settings: MailSettings,
    backend: Arc<OnceCell<Backend>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password.
        let transport = match &self.settings.transport {
            Transport::Ses { .. } => "ses",
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(_) => "outbox",
        };
        f.debug_struct("Mailer")
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    /// A mailer; nothing is connected until the first message.
    pub fn new(settings: MailSettings) -> Self {
        Mailer {
            settings,
            backend: Arc::new(OnceCell::new()),
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    async fn backend(&self) -> Result<&Backend, MailError> {
        self.backend
            .get_or_try_init(|| async {
                Ok(match &self.settings.transport {
                    Transport::Ses { .. } => Backend::Ses(ses_client().await),
                    Transport::Smtp(url) => Backend::Smtp(
                        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                            .map_err(smtp_error)?
                            .build(),
                    ),
                    Transport::Outbox(dir) => Backend::Outbox(dir.clone()),
                })
            })
            .await
    }

    /// Sends `message`, which job `job_id` asked for (the outbox names its
    /// file after it, so that sending a job again replaces its file).
    pub async fn send(&self, job_id: &str, message: Message) -> Result<(), MailError> {
        match self.backend().await? {
            Backend::Ses(client) => {
                let configuration_set = match &self.settings.transport {
                    Transport::Ses { configuration_set } => configuration_set.clone(),
                    _ => None,
                };
                send_ses(client, configuration_set, message).await
            }
            Backend::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(smtp_error),
            Backend::Outbox(dir) => write_eml(dir, job_id, &message.formatted()).await,
        }
    }
}

/// An SES v2 client from the standard AWS environment (`AWS_ENDPOINT_URL_SESV2`
/// points it elsewhere, as the tests do), on the same HTTPS stack as
/// DynamoDB's.
async fn ses_client() -> aws_sdk_sesv2::Client {
    let sdk = crate::store::client::sdk_config("AWS_ENDPOINT_URL_SESV2").await;
    aws_sdk_sesv2::Client::new(&sdk)
}

/// One SendEmail of the raw message: SES sends it as it is, both parts
/// and every header.
async fn send_ses(
    client: &aws_sdk_sesv2::Client,
    configuration_set: Option<String>,
    message: Message,
) -> Result<(), MailError> {
    use aws_sdk_sesv2::primitives::Blob;
    use aws_sdk_sesv2::types::{EmailContent, RawMessage};
    let raw = RawMessage::builder()
        .data(Blob::new(message.formatted()))
        .build()
        .map_err(|e| MailError::Transport(format!("SES: {e}")))?;
    client
        .send_email()
        .content(EmailContent::builder().raw(raw).build())
        .set_configuration_set_name(configuration_set)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            use aws_sdk_sesv2::error::ProvideErrorMetadata;
            use aws_sdk_sesv2::operation::send_email::SendEmailError;
            let code = e.code().unwrap_or("no error code").to_string();
            match e.as_service_error() {
                Some(SendEmailError::MessageRejected(_)) => {
                    MailError::Refused(format!("SES {code}"))
                }
                Some(_) => MailError::Transport(format!("SES {code}")),
                None => MailError::Transport(format!("SES unreachable or timed out ({code})")),
            }
        })
}

/// What an SMTP failure was, by its reply code and kind only.
fn smtp_error(e: lettre::transport::smtp::Error) -> MailError {
    let code = e
        .status()
        .map_or_else(|| "no reply code".to_string(), |c| c.to_string());
    if e.is_permanent() {
        MailError::Refused(format!("SMTP {code}"))
    } else if e.is_timeout() {
        MailError::Transport("SMTP timed out".into())
    } else if e.is_tls() {
        MailError::Transport("SMTP TLS failed".into())
    } else {
        MailError::Transport(format!("SMTP failed ({code})"))
    }
}

/// Writes `raw` as `<dir>/<job id>.eml`, whole or not at all (a temporary
/// file renamed), creating `dir` when missing.
async fn write_eml(dir: &Path, job_id: &str, raw: &[u8]) -> Result<(), MailError> {
    let failed = |e: std::io::Error| MailError::Transport(format!("outbox {}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    let partial = dir.join(format!(".{job_id}.eml.partial"));
    tokio::fs::write(&partial, raw).await.map_err(failed)?;
    tokio::fs::rename(&partial, dir.join(format!("{job_id}.eml")))
        .await
        .map_err(failed)
}
