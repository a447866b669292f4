//! Follow edges: "A follows B", stored once from each side.

use super::ids::UserId;

/// Which side of a follow an edge describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Seen from the follower: "I follow `other`".
    Following,
    /// Seen from the followed user: "`other` follows me".
    Follower,
}

/// One side of a follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The user whose side this is.
    pub owner: UserId,
    /// The user at the other end.
    pub other: UserId,
    /// Which side this is.
    pub kind: EdgeKind,
    /// When the follow happened, microseconds since the epoch.
    pub followed_at_micros: u64,
}
