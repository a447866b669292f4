//! Users: the stored profile, a registration, and the changes a profile
//! update may make.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::errors::ValidationError;
use super::values::{AboutMe, Change, Email, Password, Unchecked, UncheckedChange, Username};

/// A user's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The integer id, from the atomic counter.
    pub id: u64,
    /// The username as typed.
    pub username: String,
    /// The email address as typed.
    pub email: String,
    /// The argon2id PHC string. Never leaves the server.
    pub password_hash: String,
    /// Free text, or none.
    pub about_me: Option<String>,
    /// When the user last obtained a token (or registered).
    pub last_seen: DateTime<Utc>,
    /// Posts written.
    pub post_count: u64,
    /// Users following this one.
    pub follower_count: u64,
    /// Users this one follows.
    pub followed_count: u64,
    /// The generation of the user's sessions: a token or session minted
    /// under an older one is dead. Raised to revoke every session at once
    /// (a password change, logging out everywhere); 0 until then.
    pub session_epoch: u64,
}

/// The body of `POST /api/users`. Its checks run in a fixed order, the
/// order the API has always had: the JSON type of `username`, `email` and
/// `password` as they are read; then that all three are present (null is
/// absent); then their rules; then `about_me`, which may be a string or
/// null. So each field is read as [`Unchecked`] and validated in
/// [`CompleteRegistration::try_from`].
#[derive(Debug, Deserialize)]
pub struct Registration {
    /// Required.
    #[serde(default)]
    pub username: Option<Unchecked<Username>>,
    /// Required.
    #[serde(default)]
    pub email: Option<Unchecked<Email>>,
    /// Required.
    #[serde(default)]
    pub password: Option<Unchecked<Password>>,
    /// Optional; null is the same as absent.
    #[serde(default)]
    pub about_me: UncheckedChange<AboutMe>,
}

/// A registration with every required field present and valid.
#[derive(Debug)]
pub struct CompleteRegistration {
    /// The username.
    pub username: Username,
    /// The email address.
    pub email: Email,
    /// The password, to hash.
    pub password: Password,
    /// Optional profile text.
    pub about_me: Option<AboutMe>,
}

impl TryFrom<Registration> for CompleteRegistration {
    type Error = ValidationError;

    fn try_from(form: Registration) -> Result<Self, Self::Error> {
        let (Some(username), Some(email), Some(password)) =
            (form.username, form.email, form.password)
        else {
            return Err(ValidationError::Missing(&["username", "email", "password"]));
        };
        Ok(CompleteRegistration {
            username: username.check()?,
            email: email.check()?,
            password: password.check()?,
            about_me: form.about_me.check("about_me")?.into_option(),
        })
    }
}

/// A user about to be created: validated fields and the password's hash.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The username.
    pub username: Username,
    /// The email address.
    pub email: Email,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Optional profile text.
    pub about_me: Option<AboutMe>,
}

/// The body of `PUT /api/users/{id}`: the profile fields a user may change.
/// An absent or null `username` or `email` is left as it is; `about_me` is
/// a [`Change`], so null clears it. Other fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileChanges {
    /// A new username.
    #[serde(default)]
    pub username: Option<Username>,
    /// A new email address.
    #[serde(default)]
    pub email: Option<Email>,
    /// A new about-me text, or none.
    #[serde(default)]
    pub about_me: Change<AboutMe>,
}

impl ProfileChanges {
    /// `user` with these changes applied.
    pub fn apply_to(&self, user: &User) -> User {
        let mut updated = user.clone();
        if let Some(username) = &self.username {
            updated.username = username.as_str().to_string();
        }
        if let Some(email) = &self.email {
            updated.email = email.as_str().to_string();
        }
        match &self.about_me {
            Change::Keep => {}
            Change::Clear => updated.about_me = None,
            Change::Set(about) => updated.about_me = Some(about.as_str().to_string()),
        }
        updated
    }
}
