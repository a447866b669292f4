//! The JSON representation of notifications and of the unread count.

use serde::Serialize;
use utoipa::ToSchema;

use super::post::AuthorRepr;
use crate::domain::{timestamp, Notification, User};

/// A notification as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationRepr {
    /// Its id: ids increase in the order notifications reach the inbox.
    #[schema(minimum = 1)]
    pub id: u64,
    /// What it tells of: `follow`, `like`, `reply` or `mention`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(follow|like|reply|mention)$")]
    pub kind: &'static str,
    /// When its cause happened: RFC 3339, UTC, ending in `Z`.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Who did it, as they are named now.
    pub actor: AuthorRepr,
    /// The post concerned (the post liked, the reply, the mentioning post),
    /// or null for a follow.
    pub post: Option<PostRef>,
    /// Whether the caller has marked it read (`PUT /api/notifications/read`).
    pub read: bool,
}

/// A post, by reference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct PostRef {
    /// The post's id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// The post.
    pub _links: PostRefLinks,
}

/// The link of a post by reference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct PostRefLinks {
    /// The post: `/api/posts/{id}`.
    #[serde(rename = "self")]
    self_: String,
}

impl NotificationRepr {
    /// `notification`, whose actor is `actor`, read or not.
    pub fn new(notification: &Notification, actor: &User, read: bool) -> Self {
        NotificationRepr {
            id: notification.id,
            kind: notification.kind.as_str(),
            created_at: timestamp(notification.created_at),
            actor: AuthorRepr::of(actor),
            post: notification.post.map(|post| PostRef {
                id: post.get(),
                _links: PostRefLinks {
                    self_: format!("/api/posts/{post}"),
                },
            }),
            read,
        }
    }
}

/// How many notifications are unread.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct UnreadCount {
    /// Unread notifications, at most 100.
    #[schema(minimum = 0, maximum = 100)]
    pub count: u64,
    /// Whether there are more than `count` (then `count` is 100).
    pub capped: bool,
}
