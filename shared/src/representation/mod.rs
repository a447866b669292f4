//! The JSON representations of users, posts, reports and notifications, with their
//! hypermedia links.

mod notification;
mod post;
mod report;

pub use notification::{NotificationRepr, PostRef, PostRefLinks, UnreadCount};
pub use post::{AuthorLinks, AuthorRepr, MentionLinks, MentionRepr, PostLinks, PostRepr};
pub use report::{ModeratedReport, QueueMeta, ReportLinks, ReportQueue, ReportRepr, TargetRepr};

use md5::{Digest, Md5};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{timestamp, User, UserId};

/// A user as the API shows it. `email` only appears for the user themself.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = User)]
pub struct UserRepr {
    /// The integer id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// The username.
    pub username: String,
    /// The email address, only for the user themself.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Whether the address is verified (a code mailed to it was used), only
    /// for the user themself: until it is, a changed address gets no
    /// password reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// When the user last obtained a token (or registered): RFC 3339, UTC,
    /// ending in `Z`.
    #[schema(format = DateTime)]
    pub last_seen: String,
    /// Free text or null.
    pub about_me: Option<String>,
    /// Posts written.
    pub post_count: u64,
    /// Users following this one.
    pub follower_count: u64,
    /// Users this one follows.
    pub followed_count: u64,
    /// Related resources.
    pub _links: UserLinks,
}

/// The links of a user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct UserLinks {
    /// The user: `/api/users/{id}`.
    #[serde(rename = "self")]
    self_: String,
    /// Who follows the user.
    followers: String,
    /// Whom the user follows.
    followed: String,
    /// The Gravatar identicon of the user's email address.
    #[schema(format = "uri")]
    avatar: String,
}

/// The answer of `POST /api/tokens` and `PUT /api/tokens`: a session's
/// access token and refresh token.
#[derive(Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = TokenGrant)]
pub struct TokenGrant<'a> {
    /// The access token: send it as `Authorization: Bearer <token>`.
    pub token: &'a str,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// The refresh token: send it to `PUT /api/tokens` for a new pair.
    pub refresh_token: &'a str,
    /// The user the session is for.
    #[schema(minimum = 1)]
    pub user_id: u64,
}

/// The Gravatar URL for `email`: MD5 of the trimmed, lower-cased address.
pub fn avatar_url(email: &str, size: u32) -> String {
    let digest = Md5::digest(email.trim().to_lowercase().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("https://www.gravatar.com/avatar/{hex}?d=identicon&s={size}")
}

impl UserRepr {
    /// `user` as the user themself sees it: with the email address.
    pub fn private(user: &User) -> Self {
        Self::new(user, true)
    }

    /// `user` as anyone else sees it: without the email address.
    pub fn public(user: &User) -> Self {
        Self::new(user, false)
    }

    /// `user` as the user with id `viewer` sees it.
    pub fn for_viewer(user: &User, viewer: UserId) -> Self {
        Self::new(user, user.id == viewer)
    }

    fn new(user: &User, include_email: bool) -> Self {
        let path = format!("/api/users/{}", user.id);
        UserRepr {
            id: user.id.get(),
            username: user.username.clone(),
            email: include_email.then(|| user.email.clone()),
            email_verified: include_email.then_some(user.email_verified),
            last_seen: timestamp(user.last_seen),
            about_me: user.about_me.clone(),
            post_count: user.post_count,
            follower_count: user.follower_count,
            followed_count: user.followed_count,
            _links: UserLinks {
                followers: format!("{path}/followers"),
                followed: format!("{path}/followed"),
                avatar: avatar_url(&user.email, 128),
                self_: path,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use chrono::TimeZone;

    fn user() -> User {
        User {
            id: UserId::new(3),
            username: "susan".into(),
            email: "Susan@Example.com".into(),
            password_hash: "$argon2id$secret".into(),
            about_me: None,
            last_seen: chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 2, 3).unwrap(),
            post_count: 0,
            follower_count: 4,
            followed_count: 5,
            session_epoch: 0,
            moderator: false,
            suspended_at: None,
            email_verified: false,
            email_changed: false,
        }
    }

    #[test]
    fn the_avatar_hashes_the_trimmed_lower_cased_email() {
        assert_eq!(
            avatar_url("  MyEmailAddress@example.com ", 128),
            "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?d=identicon&s=128"
        );
    }

    #[test]
    fn a_user_shows_links_and_counts_but_never_the_password_hash() {
        let json = serde_json::to_value(UserRepr::public(&user())).unwrap();
        assert_eq!(json["_links"]["self"], "/api/users/3");
        assert_eq!(json["_links"]["followers"], "/api/users/3/followers");
        assert_eq!(json["_links"]["followed"], "/api/users/3/followed");
        assert_eq!(json["last_seen"], "2026-11-25T01:02:03Z");
        assert_eq!(json["about_me"], serde_json::Value::Null);
        assert_eq!(json["follower_count"], 4);
        assert!(json.get("email").is_none());
        assert!(!json.to_string().contains("argon2"));
    }

    #[test]
    fn the_email_shows_only_when_asked_for() {
        let json = serde_json::to_value(UserRepr::private(&user())).unwrap();
        assert_eq!(json["email"], "Susan@Example.com");
    }
}
