//! The JSON representation of a post: its author as they are now (name and
//! avatar), and links to itself and the author.

use serde::Serialize;

use super::avatar_url;
use crate::domain::{timestamp, Post, User};

/// A post as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PostRepr {
    /// The integer id.
    pub id: u64,
    /// The text.
    pub body: String,
    /// When it was written: RFC 3339, UTC, ending in `Z`.
    pub timestamp: String,
    /// When it was last edited, or null.
    pub edited: Option<String>,
    /// Who wrote it, as they are named now.
    pub author: AuthorRepr,
    /// Itself and its author.
    pub _links: PostLinks,
}

/// The author of a post, in short.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorRepr {
    /// The author's id.
    pub id: u64,
    /// The author's current username.
    pub username: String,
    /// The author's resource and avatar.
    pub _links: AuthorLinks,
}

/// The links of a post's author.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorLinks {
    #[serde(rename = "self")]
    self_: String,
    avatar: String,
}

/// The links of a post.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PostLinks {
    #[serde(rename = "self")]
    self_: String,
    author: String,
}

impl PostRepr {
    /// `post` by `author` (the post's `author_id`).
    pub fn new(post: &Post, author: &User) -> Self {
        debug_assert_eq!(post.author_id, author.id);
        let author_path = format!("/api/users/{}", author.id);
        PostRepr {
            id: post.id,
            body: post.body.clone(),
            timestamp: timestamp(post.created_at),
            edited: post.edited_at.map(timestamp),
            author: AuthorRepr {
                id: author.id,
                username: author.username.clone(),
                _links: AuthorLinks {
                    self_: author_path.clone(),
                    avatar: avatar_url(&author.email, 128),
                },
            },
            _links: PostLinks {
                self_: format!("/api/posts/{}", post.id),
                author: author_path,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_post_shows_its_author_by_current_name_with_links_and_no_email() {
        let author = User {
            id: 1,
            username: "alice".into(),
            email: "alice@example.com".into(),
            password_hash: "$argon2id$secret".into(),
            about_me: None,
            last_seen: Utc.with_ymd_and_hms(2026, 11, 25, 1, 2, 3).unwrap(),
            post_count: 1,
            follower_count: 0,
            followed_count: 0,
            session_epoch: 0,
        };
        let post = Post {
            id: 17,
            author_id: 1,
            body: "Hello from the train".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 25, 15, 4, 27).unwrap(),
            edited_at: None,
        };
        let json = serde_json::to_value(PostRepr::new(&post, &author)).unwrap();
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
                "_links": {"self": "/api/posts/17", "author": "/api/users/1"},
            })
        );
    }
}
