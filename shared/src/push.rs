//! Push notifications to the devices users register: Amazon SNS mobile
//! push on AWS (one platform application per platform, given as template
//! parameters), JSON files in a directory locally, or nothing at all when
//! neither is configured (logged once).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::config::ConfigError;
use crate::domain::{Device, Notification, NotificationKind, Platform};

/// Where pushes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    /// A directory (`PUSH_OUTBOX_DIR`): each push a JSON file.
    Outbox(PathBuf),
    /// Amazon SNS mobile push, to the platform applications
    /// (`SNS_PLATFORM_APPLICATION_IOS`, `SNS_PLATFORM_APPLICATION_ANDROID`;
    /// a platform without one gets no push).
    Sns {
        /// The APNs platform application's ARN.
        ios: Option<String>,
        /// The FCM platform application's ARN.
        android: Option<String>,
    },
    /// No push at all.
    Off,
}

impl PushTarget {
    /// Reads the push settings: `PUSH_OUTBOX_DIR` when set and not empty,
    /// else SNS when either platform application is given, else off.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(dir) = get("PUSH_OUTBOX_DIR") {
            return Ok(PushTarget::Outbox(dir.into()));
        }
        let (ios, android) = (
            get("SNS_PLATFORM_APPLICATION_IOS"),
            get("SNS_PLATFORM_APPLICATION_ANDROID"),
        );
        for arn in ios.iter().chain(android.iter()) {
            if !arn.starts_with("arn:") || !arn.contains(":app/") {
                return Err(ConfigError(format!(
                    "SNS_PLATFORM_APPLICATION_* must be the ARN of an SNS platform application (arn:aws:sns:<region>:<account>:app/<platform>/<name>), got {arn:?}"
                )));
            }
        }
        Ok(match (ios, android) {
            (None, None) => PushTarget::Off,
            (ios, android) => PushTarget::Sns { ios, android },
        })
    }
}

/// Why a push was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The device is gone for good (SNS disabled its endpoint, or refused
    /// its token): forget it.
    Gone,
    /// The push failed; it is not tried again (a push is best effort).
    Failed(String),
}

/// What a push says: the notification, told in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The notification.
    pub notification: Notification,
    /// Its actor's username, now.
    pub actor_username: String,
}

impl PushMessage {
    /// The line shown on the device.
    pub fn text(&self) -> String {
        let who = &self.actor_username;
        match self.notification.kind {
            NotificationKind::Follow => format!("{who} followed you"),
            NotificationKind::Like => format!("{who} liked your post"),
            NotificationKind::Reply => format!("{who} replied to your post"),
            NotificationKind::Mention => format!("{who} mentioned you"),
        }
    }

    /// What the app gets with it, to open the right screen: strings only,
    /// as FCM's data payload requires, and no `post_id` for a follow.
    fn data(&self) -> serde_json::Value {
        let n = &self.notification;
        let mut data = serde_json::json!({
            "notification_id": n.id.to_string(),
            "type": n.kind.as_str(),
            "actor_id": n.actor.to_string(),
        });
        if let Some(post) = n.post {
            data["post_id"] = post.to_string().into();
        }
        data
    }
}

/// Sends pushes as its target says; the SNS client is made on first use,
/// so only the function that pushes ever makes one.
#[derive(Clone)]
pub struct Pusher {
    target: PushTarget,
    sns: Arc<OnceCell<aws_sdk_sns::Client>>,
    said_off: Arc<AtomicBool>,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher")
            .field("target", &self.target)
            .finish()
    }
}

impl Pusher {
    /// A pusher to `target`.
    pub fn new(target: PushTarget) -> Self {
        Pusher {
            target,
            sns: Arc::new(OnceCell::new()),
            said_off: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether pushes go anywhere (else devices need not be read at all).
    pub fn is_on(&self) -> bool {
        if self.target != PushTarget::Off {
            return true;
        }
        if !self.said_off.swap(true, Ordering::Relaxed) {
            tracing::info!("push is off: no PUSH_OUTBOX_DIR and no SNS platform application");
        }
        false
    }

    /// Pushes `message` to `device`. Never logs the device token.
    pub async fn push(&self, device: &Device, message: &PushMessage) -> Result<(), PushError> {
        match &self.target {
            PushTarget::Off => Ok(()),
            PushTarget::Outbox(dir) => write_to_outbox(dir, device, message).await,
            PushTarget::Sns { ios, android } => {
                let application = match device.platform {
                    Platform::Ios => ios,
                    Platform::Android => android,
                };
                let Some(application) = application else {
                    return Ok(());
                };
                let client = self
                    .sns
                    .get_or_init(|| async {
                        let sdk = crate::store::client::sdk_config("AWS_ENDPOINT_URL_SNS").await;
                        aws_sdk_sns::Client::new(&sdk)
                    })
                    .await;
                publish(client, application, device, message).await
            }
        }
    }
}

/// The file of one push: named by recipient, notification and device, so a
/// push made again replaces its file.
async fn write_to_outbox(
    dir: &std::path::Path,
    device: &Device,
    message: &PushMessage,
) -> Result<(), PushError> {
    let body = serde_json::json!({
        "platform": device.platform.as_str(),
        "device_token": device.token,
        "recipient_id": device.user.get(),
        "text": message.text(),
        "data": message.data(),
    });
    let name = format!(
        "{}-{}-{}.json",
        device.user,
        message.notification.id,
        &device.token_hash[..16]
    );
    let failed =
        |e: std::io::Error| PushError::Failed(format!("writing the push outbox: {}", e.kind()));
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    let temporary = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&temporary, format!("{body:#}\n"))
        .await
        .map_err(failed)?;
    tokio::fs::rename(&temporary, dir.join(name))
        .await
        .map_err(failed)
}

/// CreatePlatformEndpoint (idempotent for one token: it answers the
/// existing endpoint) and Publish with one message per platform.
async fn publish(
    client: &aws_sdk_sns::Client,
    application: &str,
    device: &Device,
    message: &PushMessage,
) -> Result<(), PushError> {
    use aws_sdk_sns::error::ProvideErrorMetadata;
    let endpoint = client
        .create_platform_endpoint()
        .platform_application_arn(application)
        .token(&device.token)
        .send()
        .await;
    let endpoint = match endpoint {
        Ok(out) => out.endpoint_arn.unwrap_or_default(),
        // The token's endpoint exists with other attributes: SNS disabled
        // it (the token is dead). Deleted, as below, so that registering
        // the token again makes a new one; any other refusal of the token
        // means it is no token of this platform application.
        Err(err) if err.code() == Some("InvalidParameter") => {
            if let Some(existing) = err.message().and_then(existing_endpoint) {
                delete_endpoint(client, existing).await;
            }
            return Err(PushError::Gone);
        }
        Err(err) => {
            return Err(PushError::Failed(format!(
                "CreatePlatformEndpoint: {}",
                err.code().unwrap_or("no code")
            )))
        }
    };
    let text = message.text();
    let data = message.data();
    let apns = serde_json::json!({"aps": {"alert": text}, "data": data}).to_string();
    let fcm = serde_json::json!({"notification": {"body": text}, "data": data}).to_string();
    let payload = serde_json::json!({
        "default": text,
        "APNS": apns,
        "APNS_SANDBOX": apns,
        "GCM": fcm,
    });
    let sent = client
        .publish()
        .target_arn(&endpoint)
        .message_structure("json")
        .message(payload.to_string())
        .send()
        .await;
    match sent {
        Ok(_) => Ok(()),
        // SNS disabled the endpoint (APNs or FCM said the token is dead).
        // Deleted, so that the app registering the token again gets a new,
        // enabled endpoint rather than this one back.
        Err(err) if err.code() == Some("EndpointDisabled") => {
            delete_endpoint(client, &endpoint).await;
            Err(PushError::Gone)
        }
        Err(err) => Err(PushError::Failed(format!(
            "Publish: {}",
            err.code().unwrap_or("no code")
        ))),
    }
}

/// The endpoint SNS names when it refuses to make another for a token:
/// "... Endpoint <arn> already exists with the same Token, but different
/// attributes."
fn existing_endpoint(message: &str) -> Option<&str> {
    let rest = message.split("Endpoint ").nth(1)?;
    let arn = rest.split(' ').next()?;
    (arn.starts_with("arn:") && rest.contains("already exists")).then_some(arn)
}

/// Deletes a disabled endpoint; a failure only costs a stale endpoint, so
/// it is logged (by code) and nothing more.
async fn delete_endpoint(client: &aws_sdk_sns::Client, endpoint: &str) {
    use aws_sdk_sns::error::ProvideErrorMetadata;
    if let Err(err) = client.delete_endpoint().endpoint_arn(endpoint).send().await {
        tracing::warn!(
            code = err.code().unwrap_or("no code"),
            "deleting a disabled SNS endpoint failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(env: &[(&str, &str)]) -> Result<PushTarget, ConfigError> {
        PushTarget::from_lookup(|name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_endpoint_sns_names_when_a_token_has_one_already_is_read_from_its_message() {
        let message = "Invalid parameter: Token Reason: Endpoint arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1f2e already exists with the same Token, but different attributes.";
        assert_eq!(
            existing_endpoint(message),
            Some("arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1f2e")
        );
        assert_eq!(existing_endpoint("Invalid parameter: Token"), None);
    }

    #[test]
    fn the_outbox_wins_over_sns_which_is_on_with_either_platform_and_off_without() {
        assert_eq!(read(&[]).unwrap(), PushTarget::Off);
        let arn = "arn:aws:sns:eu-west-1:123456789012:app/APNS/microblog";
        assert_eq!(
            read(&[("SNS_PLATFORM_APPLICATION_IOS", arn)]).unwrap(),
            PushTarget::Sns {
                ios: Some(arn.into()),
                android: None
            }
        );
        assert_eq!(
            read(&[
                ("PUSH_OUTBOX_DIR", "/tmp/push"),
                ("SNS_PLATFORM_APPLICATION_IOS", arn)
            ])
            .unwrap(),
            PushTarget::Outbox("/tmp/push".into())
        );
        assert_eq!(read(&[("PUSH_OUTBOX_DIR", " ")]).unwrap(), PushTarget::Off);
        let err = read(&[("SNS_PLATFORM_APPLICATION_ANDROID", "my-app")]).unwrap_err();
        assert!(err
            .to_string()
            .contains("ARN of an SNS platform application"));
    }
}
