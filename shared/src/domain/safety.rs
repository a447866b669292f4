//! Blocks and mutes: whom a user has silenced, and who has silenced them
//! with a block. A block works both ways (neither sees the other's posts,
//! neither can follow the other); a mute only takes the muted user's posts
//! out of the muter's feed, and the muted user is never told.

use std::collections::BTreeSet;

use super::ids::UserId;

/// The most users one user may block.
pub const MAX_BLOCKS: usize = 10_000;
/// The most users one user may mute.
pub const MAX_MUTES: usize = 10_000;
/// The most users that may block one user. It bounds the one item read to
/// screen that user's feed (DynamoDB's 400 KB an item, with room for the
/// other two sets at their limits).
pub const MAX_BLOCKED_BY: usize = 40_000;

/// Which way of silencing a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    /// Both ways: no follows, no posts seen, no feed entries.
    Block,
    /// One way: the muted user's posts leave the muter's feed; nothing else.
    Mute,
}

/// A user's blocks and mutes, as one read returns them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Safety {
    /// Users this user blocks.
    pub blocking: BTreeSet<UserId>,
    /// Users who block this user.
    pub blocked_by: BTreeSet<UserId>,
    /// Users this user mutes.
    pub muting: BTreeSet<UserId>,
}

impl Safety {
    /// Whether a block stands between this user and `other`, either way.
    pub fn blocks_either(&self, other: UserId) -> bool {
        self.blocking.contains(&other) || self.blocked_by.contains(&other)
    }

    /// Whether `author`'s posts stay out of this user's feed: a block
    /// either way, or a mute.
    pub fn hides(&self, author: UserId) -> bool {
        self.blocks_either(author) || self.muting.contains(&author)
    }

    /// How many users this user silences one way or the other.
    pub fn count(&self, silence: Silence) -> u64 {
        match silence {
            Silence::Block => self.blocking.len() as u64,
            Silence::Mute => self.muting.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_hides_both_ways_and_a_mute_only_from_the_feed() {
        let (blocked, blocker, muted, stranger) = (
            UserId::new(2),
            UserId::new(3),
            UserId::new(4),
            UserId::new(5),
        );
        let safety = Safety {
            blocking: [blocked].into(),
            blocked_by: [blocker].into(),
            muting: [muted].into(),
        };
        assert!(safety.blocks_either(blocked) && safety.blocks_either(blocker));
        assert!(!safety.blocks_either(muted) && !safety.blocks_either(stranger));
        assert!(safety.hides(blocked) && safety.hides(blocker) && safety.hides(muted));
        assert!(!safety.hides(stranger));
        assert_eq!(
            (safety.count(Silence::Block), safety.count(Silence::Mute)),
            (1, 1)
        );
    }
}
