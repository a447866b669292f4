//! Users: the stored profile, a registration checked whole, and the
//! changes a profile update may make.

use super::ids::UserId;
use chrono::{DateTime, Utc};

use super::values::{AboutMe, Change, Email, Password, Username};

/// A user's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The integer id, from the atomic counter.
    pub id: UserId,
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
    /// Whether the user may work the moderation queue; granted and revoked
    /// only by an operator (`microblog-local grant-moderator`), never
    /// through the API.
    pub moderator: bool,
    /// When a moderator suspended the user, while suspended: no log-in, no
    /// request, and their profile and posts hidden from all but
    /// moderators.
    pub suspended_at: Option<DateTime<Utc>>,
    /// Whether the holder proved they read the current address (a code
    /// mailed to it); a change of the address makes it false again.
    pub email_verified: bool,
    /// Whether the address was changed since sign-up: then no password
    /// reset goes to it until it is verified.
    pub email_changed: bool,
}

impl User {
    /// Whether a password reset may go to the current address: one verified,
    /// or the one the account was created with. Never a changed, unverified
    /// one (docs/ARCHITECTURE.md, "Password reset by email").
    pub fn may_reset_by_email(&self) -> bool {
        self.email_verified || !self.email_changed
    }

    /// Whether `viewer` may see this user and their posts: anyone, unless
    /// the user is suspended, when only moderators may.
    pub fn visible_to(&self, viewer: &User) -> bool {
        self.suspended_at.is_none() || viewer.moderator
    }
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

/// The profile fields a user may change: an absent `username` or `email`
/// stays as it is; `about_me` is a [`Change`], which may clear it.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// A new username, or the same.
    pub username: Option<Username>,
    /// A new email address, or the same.
    pub email: Option<Email>,
    /// A new about-me text, none, or the same.
    pub about_me: Change<AboutMe>,
}

impl ProfileUpdate {
    /// `user` with these changes applied.
    pub fn apply_to(&self, user: &User) -> User {
        let mut updated = user.clone();
        if let Some(username) = &self.username {
            updated.username = username.as_str().to_string();
        }
        if let Some(email) = &self.email {
            // A new address is unverified; a change of case is none.
            if !email.as_str().eq_ignore_ascii_case(&user.email) {
                updated.email_verified = false;
                updated.email_changed = true;
            }
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
