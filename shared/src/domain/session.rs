//! The bodies of the session and account routes: a refresh, a password
//! change, an account deletion. Their secrets never show in `Debug`.

use serde::Deserialize;

use super::errors::ValidationError;
use super::values::{Password, Unchecked};

/// A secret as the client sent it (a password to verify, a refresh token),
/// unvalidated: checking it is the caller's business. Never in `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The text, to verify or hash.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Takes the text out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The body of `PUT /api/tokens`.
#[derive(Debug, Deserialize)]
pub struct RefreshRequest {
    /// Required.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
}

impl RefreshRequest {
    /// The refresh token; missing (or null) is a 400.
    pub fn token(self) -> Result<Secret, ValidationError> {
        self.refresh_token
            .ok_or(ValidationError::Missing(&["refresh_token"]))
    }
}

/// The body of `PUT /api/users/{id}/password`.
#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    /// Required: the password now, verified before anything changes.
    #[serde(default)]
    pub old_password: Option<Secret>,
    /// Required: the new password, under the rules of a new password.
    #[serde(default)]
    pub new_password: Option<Unchecked<Password>>,
}

impl PasswordChange {
    /// Both fields present and the new password valid (400 otherwise,
    /// naming `new_password`), before the old one is verified.
    pub fn check(self) -> Result<(Secret, Password), ValidationError> {
        let (Some(old), Some(new)) = (self.old_password, self.new_password) else {
            return Err(ValidationError::Missing(&["old_password", "new_password"]));
        };
        let new = new.check().map_err(|e| match e {
            ValidationError::Invalid { rule, .. } => ValidationError::invalid("new_password", rule),
            other => other,
        })?;
        Ok((old, new))
    }
}

/// The body of `DELETE /api/users/{id}`: the password, so that a token
/// alone (a borrowed phone) cannot delete an account.
#[derive(Debug, Deserialize)]
pub struct AccountDeletion {
    /// Required.
    #[serde(default)]
    pub password: Option<Secret>,
}

impl AccountDeletion {
    /// The password; missing (or null) is a 400.
    pub fn password(self) -> Result<Secret, ValidationError> {
        self.password.ok_or(ValidationError::Missing(&["password"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_new_password_is_refused_naming_new_password() {
        let change: PasswordChange =
            serde_json::from_str(r#"{"old_password": "x", "new_password": "short"}"#).unwrap();
        assert_eq!(
            change.check().unwrap_err().to_string(),
            "new_password must be 8 to 1024 characters long"
        );
        let change: PasswordChange = serde_json::from_str(r#"{"old_password": "x"}"#).unwrap();
        assert_eq!(
            change.check().unwrap_err().to_string(),
            "must include old_password and new_password fields"
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let deletion: AccountDeletion =
            serde_json::from_str(r#"{"password": "hunter2-hunter2"}"#).unwrap();
        assert!(!format!("{deletion:?}").contains("hunter2"));
        let refresh: RefreshRequest =
            serde_json::from_str(r#"{"refresh_token": "1.abc.def"}"#).unwrap();
        assert!(!format!("{refresh:?}").contains("abc"));
    }
}
