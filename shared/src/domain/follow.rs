//! Edges between two users: "A follows B", stored once from each side, and
//! "A blocks B" and "A mutes B", stored on A's side for A's lists.

use super::ids::UserId;

/// Which side of a follow an edge describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Seen from the follower: "I follow `other`".
    Following,
    /// Seen from the followed user: "`other` follows me".
    Follower,
    /// "I block `other`" (the blocked user's side is in a set, not a list).
    Blocking,
    /// "I mute `other`" (the muted user is never told).
    Muting,
}

/// One side of a follow, or a block or mute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The user whose side this is.
    pub owner: UserId,
    /// The user at the other end.
    pub other: UserId,
    /// Which side this is.
    pub kind: EdgeKind,
    /// When the follow (block, mute) was made, microseconds since the epoch.
    pub followed_at_micros: u64,
}
