//! Push devices: the tokens a user's apps register to be told of new
//! notifications, each tied to the session that registered it.

use super::errors::ValidationError;
use super::ids::UserId;

/// The most devices one user may register; the next is a 409 until one is
/// unregistered (or its session ends).
pub const MAX_DEVICES: usize = 20;

/// Which push service reaches a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Apple's (APNs).
    Ios,
    /// Google's (FCM).
    Android,
}

impl Platform {
    /// The name the API and the table use.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
        }
    }

    /// The platform named `name` (`ios` or `android`).
    pub fn parse(name: &str) -> Result<Platform, ValidationError> {
        match name {
            "ios" => Ok(Platform::Ios),
            "android" => Ok(Platform::Android),
            _ => Err(ValidationError::invalid(
                "platform",
                "must be \"ios\" or \"android\"",
            )),
        }
    }
}

/// A device token as the push service issued it: 8 to 512 characters of
/// letters, digits and `_ - : .` (APNs tokens are hex, FCM ones use the
/// others), so that it is one path segment as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Validates `raw` as a device token.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (8..=512).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.'));
        match ok {
            true => Ok(DeviceToken(raw.to_string())),
            false => Err(ValidationError::invalid(
                "device_token",
                "must be 8 to 512 letters, digits, '_', '-', ':' or '.', as the push service issued it",
            )),
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Whose it is.
    pub user: UserId,
    /// The push service's token.
    pub token: String,
    /// The SHA-256 of the token in hex (its key).
    pub token_hash: String,
    /// Its push service.
    pub platform: Platform,
    /// The session that registered it: when that session ends, so does
    /// the registration.
    pub session_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_token_is_one_path_segment_of_8_to_512_token_characters() {
        assert!(DeviceToken::parse(&"a1".repeat(32)).is_ok());
        assert!(DeviceToken::parse("fcm:APA91b-x_y.z").is_ok());
        for bad in [
            "short",
            "has space token",
            "slash/es-token",
            &"x".repeat(513),
        ] {
            assert!(DeviceToken::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(Platform::parse("ios"), Ok(Platform::Ios)));
        assert!(Platform::parse("windows").is_err());
    }
}
