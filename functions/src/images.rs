//! The stream records the workers read, typed: their keys, and the images
//! of the items they care about (posts, likes, follow edges).

use aws_lambda_events::event::dynamodb::EventRecord;
use microblog_shared::domain::{PostId, UserId};
use microblog_shared::store::items::{key_of, KeyOf};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// What happened to the item of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemEvent {
    /// Written for the first time.
    Inserted,
    /// Written over.
    Modified,
    /// Deleted (by a request, a clean-up or TTL).
    Removed,
}

/// A record's event, and what its key names.
pub fn event_of(record: &EventRecord) -> Result<(ItemEvent, KeyOf), String> {
    #[derive(Deserialize)]
    struct Keys {
        pk: String,
        sk: String,
    }
    let keys: Keys = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|e| format!("unreadable keys: {e}"))?;
    let event = match record.event_name.as_str() {
        "INSERT" => ItemEvent::Inserted,
        "MODIFY" => ItemEvent::Modified,
        "REMOVE" => ItemEvent::Removed,
        other => return Err(format!("unknown stream event {other:?}")),
    };
    Ok((event, key_of(&keys.pk, &keys.sk)))
}

/// The item as it is after the record (`new`) or was before it.
pub fn image<T: DeserializeOwned>(record: &EventRecord, new: bool) -> Result<T, String> {
    let image = match new {
        true => &record.change.new_image,
        false => &record.change.old_image,
    };
    serde_dynamo::from_item(image.clone()).map_err(|e| format!("unreadable image: {e}"))
}

/// A post's image: what the workers need of it.
#[derive(Debug, Clone, Deserialize)]
pub struct PostImage {
    /// Its id.
    pub id: u64,
    /// Its author.
    pub author_id: u64,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// The post it replies to.
    #[serde(default)]
    pub in_reply_to: Option<u64>,
    /// That post's author.
    #[serde(default)]
    pub in_reply_to_author: Option<u64>,
    /// The users it mentions.
    #[serde(default)]
    pub mentions: Vec<MentionImage>,
}

/// One mention of a post's image.
#[derive(Debug, Clone, Deserialize)]
pub struct MentionImage {
    /// The user mentioned.
    pub id: u64,
}

impl PostImage {
    /// The post's id.
    pub fn post(&self) -> PostId {
        PostId::new(self.id)
    }

    /// Its author.
    pub fn author(&self) -> UserId {
        UserId::new(self.author_id)
    }

    /// The post it answers and that post's author, if it is a reply.
    pub fn parent(&self) -> Option<(PostId, UserId)> {
        Some((
            PostId::new(self.in_reply_to?),
            UserId::new(self.in_reply_to_author?),
        ))
    }

    /// The ids of the users it mentions.
    pub fn mentioned(&self) -> Vec<UserId> {
        self.mentions.iter().map(|m| UserId::new(m.id)).collect()
    }
}

/// A follow edge's image (`USER#<follower> / FOLLOWING#<followed>`).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct EdgeImage {
    /// When it was made, in microseconds.
    pub followed_at: u64,
}

/// A like's image (`POST#<post> / LIKE#<user>`).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct LikeImage {
    /// The post liked.
    pub post_id: u64,
    /// Who likes it.
    pub user_id: u64,
    /// The post's author.
    pub author_id: u64,
    /// When, in microseconds.
    pub liked_at: u64,
}
