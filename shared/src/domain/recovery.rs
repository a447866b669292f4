//! Account recovery: the codes mailed to a user (to reset the password, to
//! verify the address), and the mail jobs that carry a request from the API
//! to the mail worker.

use super::{Secret, UserId, ValidationError};

/// How many characters a mailed code has: 32 random bytes in URL-safe
/// base64 without padding.
pub const CODE_CHARS: usize = 43;

/// A mailed code as a client sends it back, checked for shape only (43
/// URL-safe base64 characters), so that text that could never be a code
/// costs no read. Never in `Debug`.
#[derive(Debug, Clone)]
pub struct MailedCode(Secret);

impl MailedCode {
    /// `raw` if it has a reset code's shape; a 400 naming `token` otherwise.
    pub fn parse(raw: Secret) -> Result<MailedCode, ValidationError> {
        let text = raw.expose();
        let shaped = text.len() == CODE_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if shaped {
            Ok(MailedCode(raw))
        } else {
            Err(ValidationError::invalid(
                "token",
                "is not a code from our email: paste the whole code",
            ))
        }
    }

    /// The code, to hash.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// What a mail job asks the mail worker to send, and what its code does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A password reset code, to the address if an account may reset
    /// through it (the worker decides; the request is the same either way).
    PasswordReset,
    /// A code proving that the account's holder reads the address.
    VerifyEmail,
}

impl MailKind {
    /// The name stored on the job, and of its templates
    /// (`shared/templates/mail/<name>.txt` and `.html`).
    pub fn name(self) -> &'static str {
        match self {
            MailKind::PasswordReset => "password_reset",
            MailKind::VerifyEmail => "verify_email",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<MailKind> {
        [MailKind::PasswordReset, MailKind::VerifyEmail]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// A request for mail, written by a request in the same transaction as what
/// it asks for (or alone, for a reset request) and sent by the `send_mail`
/// worker from the table's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailJob {
    /// Random, so that two jobs never share a key.
    pub id: String,
    /// What to send.
    pub kind: MailKind,
    /// To whom, as the request gave it.
    pub email: String,
    /// Whose address it is, when the request knew (a verification).
    pub user_id: Option<UserId>,
    /// The hash of the code the worker issued for it, when it issued one
    /// and was stopped before the job was done: a retry replaces that code.
    pub code_hash: Option<String>,
}

/// A mailed code as stored (by its hash): what it does, whose it is and
/// what the profile must still be for it to work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    /// What the code does: a code of one kind never works as the other.
    pub purpose: MailKind,
    /// The hash of the code, the key it is stored under.
    pub code_hash: String,
    /// The account it resets.
    pub user_id: UserId,
    /// The address it was sent to: a code dies when the address changes.
    pub email: String,
    /// The profile's session epoch when it was issued: a reset code dies
    /// when the password changes or every session is ended.
    pub session_epoch: u64,
    /// When it stops working (seconds since the epoch); the item's TTL
    /// removes it some time after.
    pub expires_at: i64,
}

impl CodeGrant {
    /// Whether the code still works at `now` (seconds since the epoch).
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        serde_json::from_value(serde_json::Value::String(text.into())).unwrap()
    }

    #[test]
    fn a_mailed_code_is_43_url_safe_characters_and_nothing_else() {
        let code = "A".repeat(42) + "_";
        assert_eq!(MailedCode::parse(secret(&code)).unwrap().expose(), code);
        for bad in ["", "short", &"A".repeat(44), &("A".repeat(42) + "=")] {
            let err = MailedCode::parse(secret(bad)).unwrap_err();
            assert!(err.to_string().starts_with("token "), "{err}");
        }
    }

    #[test]
    fn a_grant_works_until_it_expires() {
        let grant = CodeGrant {
            purpose: MailKind::PasswordReset,
            code_hash: "h".into(),
            user_id: UserId::new(1),
            email: "a@example.com".into(),
            session_epoch: 0,
            expires_at: 100,
        };
        assert!(grant.is_live(99));
        assert!(!grant.is_live(100));
    }

    #[test]
    fn mail_kinds_are_named_as_stored() {
        assert_eq!(
            MailKind::parse("password_reset"),
            Some(MailKind::PasswordReset)
        );
        assert_eq!(MailKind::parse("verify_email"), Some(MailKind::VerifyEmail));
        assert_eq!(MailKind::parse("nope"), None);
    }
}
