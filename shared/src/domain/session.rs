//! Secrets as clients send them (a password to verify, a refresh token):
//! never shown in `Debug`.

use serde::Deserialize;

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
