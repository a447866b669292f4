//! The JSON representation of a post: its author as they are now (name and
//! avatar), and links to itself and the author.

use serde::Serialize;
use utoipa::ToSchema;

use super::avatar_url;
use crate::domain::{timestamp, Post, User};

/// A post as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = Post)]
pub struct PostRepr {
    /// The integer id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// The text.
    pub body: String,
    /// When it was written: RFC 3339, UTC, ending in `Z`.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// When it was last edited, or null.
    #[schema(format = DateTime)]
    pub edited: Option<String>,
    /// Who wrote it, as they are named now.
    pub author: AuthorRepr,
    /// The id of the post it replies to, or null. Kept when that post is
    /// deleted (which then answers 404).
    #[schema(minimum = 1)]
    pub in_reply_to: Option<u64>,
    /// The users its body mentions (`@username`, at most 10), by the
    /// names they had when it was written or last edited.
    pub mentions: Vec<MentionRepr>,
    /// How many users like it.
    pub like_count: u64,
    /// How many replies it has.
    pub reply_count: u64,
    /// Whether the caller likes it.
    pub liked: bool,
    /// Itself, its author, its likes and its replies.
    pub _links: PostLinks,
}

/// A user a post mentions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = Mention)]
pub struct MentionRepr {
    /// The user's id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// Their username when the post was written or last edited.
    pub username: String,
    /// The user.
    pub _links: MentionLinks,
}

/// The links of a mentioned user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct MentionLinks {
    /// The user: `/api/users/{id}`.
    #[serde(rename = "self")]
    self_: String,
}

/// The author of a post, in short.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(as = Author)]
pub struct AuthorRepr {
    /// The author's id.
    #[schema(minimum = 1)]
    pub id: u64,
    /// The author's current username.
    pub username: String,
    /// The author's resource and avatar.
    pub _links: AuthorLinks,
}

/// The links of a post's author.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct AuthorLinks {
    /// The author: `/api/users/{id}`.
    #[serde(rename = "self")]
    self_: String,
    /// The author's Gravatar identicon.
    #[schema(format = "uri")]
    avatar: String,
}

/// The links of a post.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct PostLinks {
    /// The post: `/api/posts/{id}`.
    #[serde(rename = "self")]
    self_: String,
    /// The author: `/api/users/{id}`.
    author: String,
    /// Who likes it: `/api/posts/{id}/likes`.
    likes: String,
    /// Its replies: `/api/posts/{id}/replies`.
    replies: String,
}

impl AuthorRepr {
    /// `user`, in short: id, current name, resource and avatar.
    pub fn of(user: &User) -> Self {
        AuthorRepr {
            id: user.id.get(),
            username: user.username.clone(),
            _links: AuthorLinks {
                self_: format!("/api/users/{}", user.id),
                avatar: avatar_url(&user.email, 128),
            },
        }
    }
}

impl PostRepr {
    /// `post` by `author` (the post's `author_id`), as seen by a caller who
    /// likes it or not.
    pub fn new(post: &Post, author: &User, liked: bool) -> Self {
        debug_assert_eq!(post.author_id, author.id);
        let author_path = format!("/api/users/{}", author.id);
        PostRepr {
            id: post.id.get(),
            body: post.body.clone(),
            timestamp: timestamp(post.created_at),
            edited: post.edited_at.map(timestamp),
            author: AuthorRepr::of(author),
            in_reply_to: post.in_reply_to.map(|parent| parent.post.get()),
            mentions: post
                .mentions
                .iter()
                .map(|m| MentionRepr {
                    id: m.id.get(),
                    username: m.username.clone(),
                    _links: MentionLinks {
                        self_: format!("/api/users/{}", m.id),
                    },
                })
                .collect(),
            like_count: post.like_count,
            reply_count: post.reply_count,
            liked,
            _links: PostLinks {
                self_: format!("/api/posts/{}", post.id),
                author: author_path,
                likes: format!("/api/posts/{}/likes", post.id),
                replies: format!("/api/posts/{}/replies", post.id),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PostId, UserId};
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_post_shows_its_author_by_current_name_with_links_and_no_email() {
        let author = User {
            id: UserId::new(1),
            username: "alice".into(),
            email: "alice@example.com".into(),
            password_hash: "$argon2id$secret".into(),
            about_me: None,
            last_seen: Utc.with_ymd_and_hms(2026, 11, 25, 1, 2, 3).unwrap(),
            post_count: 1,
            follower_count: 0,
            followed_count: 0,
            session_epoch: 0,
            moderator: false,
            suspended_at: None,
            email_verified: false,
            email_changed: false,
        };
        let post = Post {
            id: PostId::new(17),
            author_id: UserId::new(1),
            body: "Hello from the train".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 25, 15, 4, 27).unwrap(),
            edited_at: None,
            in_reply_to: None,
            mentions: Vec::new(),
            like_count: 2,
            reply_count: 0,
        };
        let json = serde_json::to_value(PostRepr::new(&post, &author, true)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 17,
                "body": "Hello from the train",
                "timestamp": "2026-11-25T15:04:27Z",
                "edited": null,
                "author": {
                    "id": 1,
                    "username": "alice",
                    "_links": {"self": "/api/users/1", "avatar": avatar_url("alice@example.com", 128)},
                },
                "in_reply_to": null,
                "mentions": [],
                "like_count": 2,
                "reply_count": 0,
                "liked": true,
                "_links": {
                    "self": "/api/posts/17",
                    "author": "/api/users/1",
                    "likes": "/api/posts/17/likes",
                    "replies": "/api/posts/17/replies",
                },
            })
        );
    }
}
