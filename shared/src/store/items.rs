//! Item <-> struct conversion and every key format, in one place.
//!
//! The table has a string partition key `pk`, a string sort key `sk`, and a
//! local secondary index `by_time` on (`pk`, `edge_order`) that only follow
//! edges carry. docs/ARCHITECTURE.md lists every item kind shown here.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::domain::{
    timestamp, Edge, EdgeKind, FeedEntry, Mention, Post, PostId, ReplyTo, User, UserId,
};

/// A DynamoDB item as the SDK hands it over.
pub type Item = HashMap<String, AttributeValue>;

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// Sort key of the `by_time` local secondary index; only edges have it.
pub const EDGE_ORDER: &str = "edge_order";
/// The local secondary index listing a user's edges newest first.
pub const BY_TIME_INDEX: &str = "by_time";
/// The TTL attribute (epoch seconds) DynamoDB expires tokens by.
pub const EXPIRES_AT: &str = "expires_at";

/// Sort key of a user's profile item.
pub const PROFILE: &str = "PROFILE";
/// Sort key of uniqueness markers.
pub const UNIQUE: &str = "UNIQUE";
/// Partition key of the directory listing every user by id.
pub const DIRECTORY_PK: &str = "USERS";
/// Key of the item holding the next user id.
pub const COUNTER_PK: &str = "COUNTER#user_id";
/// Partition of the items counting users: one per shard
/// ([`user_count_key`]), and the single item of tables made before shards
/// (sort key [`LEGACY_USER_COUNT_SK`]); the number of users is their sum.
pub const STATS_PK: &str = "STATS#users";
/// Sort key of the one user count of tables made before shards.
pub const LEGACY_USER_COUNT_SK: &str = "COUNT";
/// Shards of the user count. A sign-up's transaction updates the shard of
/// its id, so concurrent sign-ups (consecutive ids) update different items
/// instead of conflicting on one (issue 18); one Query of their partition
/// sums them.
pub const USER_COUNT_SHARDS: u64 = 32;

/// The shard of the user count that counts user `id`: `STATS#users /
/// SHARD#<id mod 32>`.
pub fn user_count_key(id: UserId) -> Item {
    key(
        STATS_PK,
        format!("SHARD#{:02}", id.get() % USER_COUNT_SHARDS),
    )
}
/// Key of the item listing every popular author (`author_ids`, a number set).
pub const POPULAR_PK: &str = "POPULAR";
/// Key of the item holding the next post id.
pub const POST_COUNTER_PK: &str = "COUNTER#post_id";
/// Sort key of a post item.
pub const POST: &str = "POST";
/// Prefix of the sort keys of a user's timeline entries and feed entries.
pub const POST_PREFIX: &str = "POST#";

/// The item failed to convert: a missing or mistyped attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError(pub String);

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed item: {}", self.0)
    }
}

impl std::error::Error for ItemError {}

/// A string attribute value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute value.
pub fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The primary key `{pk, sk}`.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// Reads a string attribute.
pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, ItemError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(ItemError(format!("attribute {name} is not a string"))),
    }
}

/// Reads a non-negative integer attribute.
pub fn get_u64(item: &Item, name: &str) -> Result<u64, ItemError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| ItemError(format!("attribute {name} is not a u64: {v}"))),
        _ => Err(ItemError(format!("attribute {name} is not a number"))),
    }
}

pub(crate) fn parse_timestamp(item: &Item, name: &str) -> Result<DateTime<Utc>, ItemError> {
    let raw = get_s(item, name)?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ItemError(format!("attribute {name} is not RFC 3339: {raw}")))
}

/// The user id in numeric attribute `name`.
pub fn get_user_id(item: &Item, name: &str) -> Result<UserId, ItemError> {
    get_u64(item, name).map(UserId::new)
}

/// The post id in numeric attribute `name`.
pub fn get_post_id(item: &Item, name: &str) -> Result<PostId, ItemError> {
    get_u64(item, name).map(PostId::new)
}

/// Partition key of everything a user owns: the profile and the edges.
pub fn user_pk(id: UserId) -> String {
    format!("{USER_PREFIX}{id}")
}

/// Prefix of the partition key of a user's profile, edges, timeline and
/// sessions.
pub const USER_PREFIX: &str = "USER#";

/// Key of a user's profile item.
pub fn user_key(id: UserId) -> Item {
    key(user_pk(id), PROFILE)
}

/// Key of the marker reserving a case-folded username.
pub fn username_key(folded: &str) -> Item {
    key(format!("USERNAME#{folded}"), UNIQUE)
}

/// Key of the marker reserving a case-folded email address.
pub fn email_key(folded: &str) -> Item {
    key(format!("EMAIL#{folded}"), UNIQUE)
}

/// The SHA-256 of `text` in hex: how keys hold secrets (tokens) and
/// unbounded client text (idempotency keys) at a fixed length.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Key of a token item, by the token's SHA-256 in hex.
pub fn token_key(token_hash: &str) -> Item {
    key(format!("TOKEN#{token_hash}"), "TOKEN")
}

/// The attribute holding a user's session epoch, on the profile, on each
/// session and on each access token.
pub const SESSION_EPOCH: &str = "session_epoch";

/// Prefix of the sort keys of a user's sessions (in the user's partition,
/// so that one Query finds them all).
pub const SESSION_PREFIX: &str = "SESSION#";

/// Key of session `session_id` of user `user_id`.
pub fn session_key(user_id: UserId, session_id: &str) -> Item {
    key(user_pk(user_id), format!("{SESSION_PREFIX}{session_id}"))
}

/// Key of the clean-up job of a deleted account: its stream records drive
/// `purge_user`, one bounded step each.
pub fn purge_key(user_id: UserId) -> Item {
    key(format!("{PURGE_PREFIX}{user_id}"), "PURGE")
}

/// Prefix of the partition key of a clean-up job.
pub const PURGE_PREFIX: &str = "PURGE#";

/// Partition key of a post, its likes and its replies' entries.
pub fn post_pk(id: PostId) -> String {
    format!("{POST_PREFIX}{id}")
}

/// Key of a post item.
pub fn post_key(id: PostId) -> Item {
    key(post_pk(id), POST)
}

/// Prefix of the sort keys of the entries of a post's replies, in its
/// partition.
pub const REPLY_PREFIX: &str = "REPLY#";

/// Key of the entry of `reply` under the post it answers, `parent`:
/// zero-padded, so that the replies list reads them oldest first.
pub fn reply_key(parent: PostId, reply: PostId) -> Item {
    key(
        post_pk(parent),
        format!("{REPLY_PREFIX}{:020}", reply.get()),
    )
}

/// The sort key of a timeline or feed entry: zero-padded so that string
/// order is id order, which is time order.
pub fn post_sk(post_id: PostId) -> String {
    format!("{POST_PREFIX}{:020}", post_id.get())
}

/// Key of the entry listing post `post_id` in its author's timeline.
pub fn timeline_key(author_id: UserId, post_id: PostId) -> Item {
    key(user_pk(author_id), post_sk(post_id))
}

/// Key of the record of `user_id`'s use of an idempotency key, by the key's
/// SHA-256 in hex (fixed length whatever the key).
pub fn idempotency_key(user_id: UserId, key_hash: &str) -> Item {
    key(format!("IDEMPOTENCY#{user_id}#{key_hash}"), "IDEMPOTENCY")
}

/// Prefix of the partition key of a user's home feed.
pub const FEED_PREFIX: &str = "FEED#";

/// Partition key of a user's home feed.
pub fn feed_pk(owner: UserId) -> String {
    format!("{FEED_PREFIX}{owner}")
}

/// Key of the entry of post `post_id` in `owner`'s feed.
pub fn feed_key(owner: UserId, post_id: PostId) -> Item {
    key(feed_pk(owner), post_sk(post_id))
}

/// What item a key names, as far as the stream workers care: they ask
/// this instead of spelling the key formats again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOf {
    /// A post item (`POST#<id>` / `POST`).
    Post(PostId),
    /// The `follower`'s half of a follow edge (`USER#<follower>` /
    /// `FOLLOWING#<followed>`).
    Following {
        /// Who follows.
        follower: UserId,
        /// Whom.
        followed: UserId,
    },
    /// The clean-up job of deleted user `0` (`PURGE#<id>`).
    PurgeJob(UserId),
    /// A like (`POST#<post>` / `LIKE#<user>`).
    Like {
        /// The post liked.
        post: PostId,
        /// Who likes it.
        user: UserId,
    },
    /// Anything else.
    Other,
}

/// What the key (`pk`, `sk`) names.
pub fn key_of(pk: &str, sk: &str) -> KeyOf {
    let id_after = |text: &str, prefix: &str| text.strip_prefix(prefix)?.parse::<u64>().ok();
    if let (Some(id), POST) = (id_after(pk, POST_PREFIX), sk) {
        return KeyOf::Post(PostId::new(id));
    }
    if let Some(user) = id_after(pk, PURGE_PREFIX) {
        return KeyOf::PurgeJob(UserId::new(user));
    }
    if let (Some(post), Some(user)) = (id_after(pk, POST_PREFIX), id_after(sk, "LIKE#")) {
        return KeyOf::Like {
            post: PostId::new(post),
            user: UserId::new(user),
        };
    }
    match (
        id_after(pk, USER_PREFIX),
        id_after(sk, edge_prefix(EdgeKind::Following)),
    ) {
        (Some(follower), Some(followed)) => KeyOf::Following {
            follower: UserId::new(follower),
            followed: UserId::new(followed),
        },
        _ => KeyOf::Other,
    }
}

/// Directory sort keys are zero-padded so that string order is id order.
pub fn directory_sk(id: UserId) -> String {
    format!("{:020}", id.get())
}

/// Key of a user's directory entry.
pub fn directory_key(id: UserId) -> Item {
    key(DIRECTORY_PK, directory_sk(id))
}

/// Item conversion of a user profile.
impl User {
    /// The full profile item.
    pub(crate) fn to_item(&self) -> Item {
        let mut item = user_key(self.id);
        item.insert("id".into(), n(self.id));
        item.insert("username".into(), s(&self.username));
        item.insert("email".into(), s(&self.email));
        item.insert("password_hash".into(), s(&self.password_hash));
        if let Some(about) = &self.about_me {
            item.insert("about_me".into(), s(about));
        }
        item.insert("last_seen".into(), s(timestamp(self.last_seen)));
        item.insert("post_count".into(), n(self.post_count));
        item.insert("follower_count".into(), n(self.follower_count));
        item.insert("followed_count".into(), n(self.followed_count));
        item.insert(SESSION_EPOCH.into(), n(self.session_epoch));
        if self.moderator {
            item.insert(MODERATOR.into(), AttributeValue::Bool(true));
        }
        if let Some(at) = self.suspended_at {
            item.insert(SUSPENDED_AT.into(), s(timestamp(at)));
        }
        item
    }

    /// Reads a profile item.
    pub(crate) fn from_item(item: &Item) -> Result<Self, ItemError> {
        Ok(User {
            id: get_user_id(item, "id")?,
            username: get_s(item, "username")?.to_string(),
            email: get_s(item, "email")?.to_string(),
            password_hash: get_s(item, "password_hash")?.to_string(),
            about_me: match item.get("about_me") {
                None | Some(AttributeValue::Null(_)) => None,
                Some(AttributeValue::S(v)) => Some(v.clone()),
                Some(_) => return Err(ItemError("attribute about_me is not a string".into())),
            },
            last_seen: parse_timestamp(item, "last_seen")?,
            post_count: get_u64(item, "post_count")?,
            follower_count: get_u64(item, "follower_count")?,
            followed_count: get_u64(item, "followed_count")?,
            // Absent on profiles written before sessions existed.
            session_epoch: match item.get(SESSION_EPOCH) {
                None => 0,
                Some(_) => get_u64(item, SESSION_EPOCH)?,
            },
            moderator: matches!(item.get(MODERATOR), Some(AttributeValue::Bool(true))),
            suspended_at: match item.get(SUSPENDED_AT) {
                None => None,
                Some(_) => Some(parse_timestamp(item, SUSPENDED_AT)?),
            },
            email_verified: item.contains_key(EMAIL_VERIFIED_AT),
            email_changed: item.contains_key(EMAIL_CHANGED_AT),
        })
    }
}

/// The profile attribute set by every change of the address (RFC 3339): a
/// password reset never goes to an address that was changed in and not
/// verified, or a stolen access token could change the address and then
/// the password.
pub const EMAIL_CHANGED_AT: &str = "email_changed_at";

/// The profile attribute saying when the current address was verified
/// (RFC 3339); removed by a change of the address.
pub const EMAIL_VERIFIED_AT: &str = "email_verified_at";

/// The profile attribute that makes a user a moderator (true, or absent).
pub const MODERATOR: &str = "moderator";
/// The profile attribute of a suspended user: when (RFC 3339).
pub const SUSPENDED_AT: &str = "suspended_at";

/// The sort key of a user's blocks-and-mutes item.
pub const SAFETY: &str = "SAFETY";

/// The key of `user`'s blocks-and-mutes item (`USER#<id> / SAFETY`).
pub fn safety_key(user: UserId) -> Item {
    key(user_pk(user), SAFETY)
}

/// The prefix of both the sort key and `edge_order` of an edge of `kind`.
pub fn edge_prefix(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Following => "FOLLOWING#",
        EdgeKind::Follower => "FOLLOWER#",
        EdgeKind::Blocking => "BLOCKING#",
        EdgeKind::Muting => "MUTING#",
    }
}

/// The sort key of an edge item: looked up directly by (owner, other).
pub fn edge_sk(kind: EdgeKind, other: UserId) -> String {
    format!("{}{other}", edge_prefix(kind))
}

/// The `edge_order` value: kind, follow time in microseconds, other id; both
/// numbers zero-padded so string order is time order.
pub fn edge_order(kind: EdgeKind, followed_at_micros: u64, other: UserId) -> String {
    format!(
        "{}{followed_at_micros:020}#{:020}",
        edge_prefix(kind),
        other.get()
    )
}

/// An entity stored as one item keyed by its integer id.
pub(crate) trait ById: Sized {
    /// Its id's type.
    type Id: Copy + Eq;
    /// The key of the item with `id`.
    fn key_of(id: Self::Id) -> Item;
    /// Reads an item.
    fn from_item(item: &Item) -> Result<Self, ItemError>;
    /// The entity's id.
    fn id(&self) -> Self::Id;
}

impl ById for User {
    type Id = UserId;
    fn key_of(id: UserId) -> Item {
        user_key(id)
    }
    fn from_item(item: &Item) -> Result<Self, ItemError> {
        User::from_item(item)
    }
    fn id(&self) -> UserId {
        self.id
    }
}

impl ById for Post {
    type Id = PostId;
    fn key_of(id: PostId) -> Item {
        post_key(id)
    }
    fn from_item(item: &Item) -> Result<Self, ItemError> {
        Post::from_item(item)
    }
    fn id(&self) -> PostId {
        self.id
    }
}

/// Item conversion of a post.
impl Post {
    /// The post item.
    pub(crate) fn to_item(&self) -> Item {
        let mut item = post_key(self.id);
        item.insert("id".into(), n(self.id));
        item.insert("author_id".into(), n(self.author_id));
        item.insert("body".into(), s(&self.body));
        item.insert("created_at".into(), s(timestamp(self.created_at)));
        if let Some(edited) = self.edited_at {
            item.insert("edited_at".into(), s(timestamp(edited)));
        }
        if let Some(parent) = self.in_reply_to {
            item.insert(IN_REPLY_TO.into(), n(parent.post));
            item.insert(IN_REPLY_TO_AUTHOR.into(), n(parent.author));
        }
        if !self.mentions.is_empty() {
            item.insert(MENTIONS.into(), mentions_value(&self.mentions));
        }
        item.insert(LIKE_COUNT.into(), n(self.like_count));
        item.insert(REPLY_COUNT.into(), n(self.reply_count));
        item
    }

    /// Reads a post item.
    pub(crate) fn from_item(item: &Item) -> Result<Self, ItemError> {
        Ok(Post {
            id: get_post_id(item, "id")?,
            author_id: get_user_id(item, "author_id")?,
            body: get_s(item, "body")?.to_string(),
            created_at: parse_timestamp(item, "created_at")?,
            edited_at: match item.get("edited_at") {
                None => None,
                Some(_) => Some(parse_timestamp(item, "edited_at")?),
            },
            in_reply_to: match item.get(IN_REPLY_TO) {
                None => None,
                Some(_) => Some(ReplyTo {
                    post: get_post_id(item, IN_REPLY_TO)?,
                    author: get_user_id(item, IN_REPLY_TO_AUTHOR)?,
                }),
            },
            mentions: mentions_of(item)?,
            // Absent on posts older than likes and replies: none yet.
            like_count: get_count(item, LIKE_COUNT)?,
            reply_count: get_count(item, REPLY_COUNT)?,
        })
    }
}

/// The post attribute naming the post a reply answers.
pub const IN_REPLY_TO: &str = "in_reply_to";
/// The post attribute naming the author of the post a reply answers.
pub const IN_REPLY_TO_AUTHOR: &str = "in_reply_to_author";
/// The post attribute listing its mentions (`[{id, username}]`).
pub const MENTIONS: &str = "mentions";
/// The post attribute counting its likes.
pub const LIKE_COUNT: &str = "like_count";
/// The post attribute counting its replies.
pub const REPLY_COUNT: &str = "reply_count";

/// A count that is 0 when absent.
pub fn get_count(item: &Item, name: &str) -> Result<u64, ItemError> {
    match item.get(name) {
        None => Ok(0),
        Some(_) => get_u64(item, name),
    }
}

/// `mentions` as a list of `{id, username}` maps.
pub fn mentions_value(mentions: &[Mention]) -> AttributeValue {
    AttributeValue::L(
        mentions
            .iter()
            .map(|m| {
                AttributeValue::M(HashMap::from([
                    ("id".to_string(), n(m.id)),
                    ("username".to_string(), s(&m.username)),
                ]))
            })
            .collect(),
    )
}

/// The mentions of a post item (none when absent).
pub fn mentions_of(item: &Item) -> Result<Vec<Mention>, ItemError> {
    let Some(value) = item.get(MENTIONS) else {
        return Ok(Vec::new());
    };
    let AttributeValue::L(list) = value else {
        return Err(ItemError("attribute mentions is not a list".into()));
    };
    list.iter()
        .map(|entry| match entry {
            AttributeValue::M(map) => Ok(Mention {
                id: get_user_id(map, "id")?,
                username: get_s(map, "username")?.to_string(),
            }),
            _ => Err(ItemError("a mention is not a map".into())),
        })
        .collect()
}

/// Item conversion of a feed entry.
impl FeedEntry {
    /// The feed entry item.
    pub(crate) fn to_item(self) -> Item {
        let mut item = feed_key(self.owner, self.post_id);
        item.insert("post_id".into(), n(self.post_id));
        item.insert("author_id".into(), n(self.author_id));
        item
    }

    /// Reads a feed entry item.
    pub(crate) fn from_item(item: &Item) -> Result<Self, ItemError> {
        let pk = get_s(item, PK)?;
        let owner = pk
            .strip_prefix(FEED_PREFIX)
            .and_then(|id| id.parse().ok())
            .map(UserId::new)
            .ok_or_else(|| ItemError(format!("feed pk {pk} is not FEED#<id>")))?;
        Ok(FeedEntry {
            owner,
            post_id: get_post_id(item, "post_id")?,
            author_id: get_user_id(item, "author_id")?,
        })
    }
}

/// Item conversion of one side of a follow.
impl Edge {
    /// The edge item.
    pub(crate) fn to_item(self) -> Item {
        let mut item = key(user_pk(self.owner), edge_sk(self.kind, self.other));
        item.insert(
            EDGE_ORDER.into(),
            s(edge_order(self.kind, self.followed_at_micros, self.other)),
        );
        item.insert("other_id".into(), n(self.other));
        item.insert("followed_at".into(), n(self.followed_at_micros));
        item
    }

    /// Reads an edge item (from the table or the index, which projects all).
    pub(crate) fn from_item(item: &Item) -> Result<Self, ItemError> {
        let pk = get_s(item, PK)?;
        let owner = pk
            .strip_prefix(USER_PREFIX)
            .and_then(|id| id.parse().ok())
            .map(UserId::new)
            .ok_or_else(|| ItemError(format!("edge pk {pk} is not USER#<id>")))?;
        let sk = get_s(item, SK)?;
        let kind = [
            EdgeKind::Following,
            EdgeKind::Follower,
            EdgeKind::Blocking,
            EdgeKind::Muting,
        ]
        .into_iter()
        .find(|kind| sk.starts_with(edge_prefix(*kind)))
        .ok_or_else(|| ItemError(format!("sort key {sk} is not an edge")))?;
        Ok(Edge {
            owner,
            other: get_user_id(item, "other_id")?,
            kind,
            followed_at_micros: get_u64(item, "followed_at")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_says_whether_it_is_a_post_a_following_edge_a_clean_up_job_or_other() {
        let kind = |key: Item| key_of(get_s(&key, PK).unwrap(), get_s(&key, SK).unwrap());
        assert_eq!(kind(post_key(PostId::new(7))), KeyOf::Post(PostId::new(7)));
        assert_eq!(
            kind(key(
                user_pk(UserId::new(3)),
                edge_sk(EdgeKind::Following, UserId::new(9))
            )),
            KeyOf::Following {
                follower: UserId::new(3),
                followed: UserId::new(9)
            }
        );
        assert_eq!(
            kind(purge_key(UserId::new(4))),
            KeyOf::PurgeJob(UserId::new(4))
        );
        for other in [
            user_key(UserId::new(3)),
            key(
                user_pk(UserId::new(3)),
                edge_sk(EdgeKind::Follower, UserId::new(9)),
            ),
            timeline_key(UserId::new(3), PostId::new(7)),
            feed_key(UserId::new(3), PostId::new(7)),
        ] {
            assert_eq!(kind(other), KeyOf::Other);
        }
    }
    use chrono::TimeZone;

    fn user() -> User {
        User {
            id: UserId::new(7),
            username: "Susan".into(),
            email: "susan@example.com".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$abc$def".into(),
            about_me: Some("hi".into()),
            last_seen: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            post_count: 1,
            follower_count: 2,
            followed_count: 3,
            session_epoch: 0,
            moderator: false,
            suspended_at: None,
            email_verified: false,
            email_changed: false,
        }
    }

    #[test]
    fn a_user_survives_the_round_trip_through_an_item() {
        let u = user();
        assert_eq!(User::from_item(&u.to_item()).unwrap(), u);
        let no_about = User {
            about_me: None,
            ..user()
        };
        assert_eq!(User::from_item(&no_about.to_item()).unwrap(), no_about);
        let suspended_moderator = User {
            moderator: true,
            suspended_at: Some(Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()),
            email_verified: false,
            email_changed: false,
            ..user()
        };
        assert_eq!(
            User::from_item(&suspended_moderator.to_item()).unwrap(),
            suspended_moderator
        );
    }

    #[test]
    fn a_user_item_is_keyed_by_id_with_the_profile_sort_key() {
        let item = user().to_item();
        assert_eq!(item[PK], s("USER#7"));
        assert_eq!(item[SK], s("PROFILE"));
        assert_eq!(item["last_seen"], s("2026-01-02T03:04:05Z"));
        assert!(
            !item.contains_key(EDGE_ORDER),
            "profiles must stay out of the edge index"
        );
    }

    #[test]
    fn a_user_item_missing_an_attribute_is_an_error_not_a_panic() {
        let mut item = user().to_item();
        item.remove("email");
        assert!(User::from_item(&item).unwrap_err().0.contains("email"));
        let mut item = user().to_item();
        item.insert("follower_count".into(), s("lots"));
        assert!(User::from_item(&item).is_err());
    }

    #[test]
    fn an_edge_survives_the_round_trip_and_sorts_by_time() {
        let edge = Edge {
            owner: UserId::new(3),
            other: UserId::new(12),
            kind: EdgeKind::Follower,
            followed_at_micros: 99,
        };
        let item = edge.to_item();
        assert_eq!(item[SK], s("FOLLOWER#12"));
        assert_eq!(Edge::from_item(&item).unwrap(), edge);
        assert!(
            edge_order(EdgeKind::Follower, 99, UserId::new(500))
                < edge_order(EdgeKind::Follower, 100, UserId::new(1))
        );
    }

    #[test]
    fn a_post_and_a_feed_entry_survive_the_round_trip() {
        let post = Post {
            id: PostId::new(12),
            author_id: UserId::new(3),
            body: "hi".into(),
            created_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            edited_at: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 5, 0).unwrap()),
            in_reply_to: Some(ReplyTo {
                post: PostId::new(5),
                author: UserId::new(9),
            }),
            mentions: vec![Mention {
                id: UserId::new(9),
                username: "Ann".into(),
            }],
            like_count: 3,
            reply_count: 1,
        };
        assert_eq!(Post::from_item(&post.to_item()).unwrap(), post);
        let unedited = Post {
            edited_at: None,
            in_reply_to: None,
            mentions: Vec::new(),
            ..post
        };
        assert_eq!(Post::from_item(&unedited.to_item()).unwrap(), unedited);
        let entry = FeedEntry {
            owner: UserId::new(4),
            post_id: PostId::new(12),
            author_id: UserId::new(3),
        };
        assert_eq!(FeedEntry::from_item(&entry.to_item()).unwrap(), entry);
        assert!(post_sk(PostId::new(99)) < post_sk(PostId::new(100)));
    }

    #[test]
    fn directory_keys_sort_in_id_order() {
        assert!(directory_sk(UserId::new(9)) < directory_sk(UserId::new(10)));
        assert!(directory_sk(UserId::new(99)) < directory_sk(UserId::new(100_000)));
    }
}
