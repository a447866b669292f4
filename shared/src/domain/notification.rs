//! Notifications: what a user is told of others' doings (a follow, a like
//! of their post, a reply to it, a mention), kept in their inbox for a
//! while, newest first, with a read marker.

use chrono::{DateTime, Utc};

use super::ids::{PostId, UserId};

/// How long a notification stays in an inbox by default.
pub const DEFAULT_NOTIFICATION_TTL_DAYS: u32 = 90;

/// What a notification tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotificationKind {
    /// Someone followed the user.
    Follow,
    /// Someone liked the user's post.
    Like,
    /// Someone replied to the user's post.
    Reply,
    /// Someone mentioned the user in a post.
    Mention,
}

impl NotificationKind {
    /// The name the API and the table use.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Follow => "follow",
            NotificationKind::Like => "like",
            NotificationKind::Reply => "reply",
            NotificationKind::Mention => "mention",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<NotificationKind> {
        [
            NotificationKind::Follow,
            NotificationKind::Like,
            NotificationKind::Reply,
            NotificationKind::Mention,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// What caused a notification: one like, one follow, one post. Each cause
/// notifies its recipient at most once, however often its stream record is
/// delivered, and undoing it (an unlike, an unfollow, the post deleted or
/// the mention edited out) takes the notification back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause {
    /// Who is told.
    pub recipient: UserId,
    /// What of.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: UserId,
    /// The post concerned (the one liked, the reply, the mentioning post).
    pub post: Option<PostId>,
    /// When it happened, in microseconds: a like or follow made again
    /// after being undone is a new cause.
    pub at_micros: u64,
}

/// A notification in an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id, increasing in the order notifications reach the inbox.
    pub id: u64,
    /// What it tells of.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: UserId,
    /// The post concerned, if any.
    pub post: Option<PostId>,
    /// When its cause happened.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_parses_back() {
        for kind in [
            NotificationKind::Follow,
            NotificationKind::Like,
            NotificationKind::Reply,
            NotificationKind::Mention,
        ] {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NotificationKind::parse("poke"), None);
    }
}
