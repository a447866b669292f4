//! The ids of users, posts and reports: positive integers, in their canonical decimal
//! form only, so that one resource has one URL (caches, ETags and logs agree
//! on it), up to 2^63 - 1 as the contract says (`int64`). A path segment that
//! is not one names nothing: a 404, like an unknown id. Distinct types, so
//! that a user id cannot be passed where a post id, or the other user's id,
//! is meant by position alone.

use std::fmt;

use serde::Serialize;

use super::errors::{NoSuchPost, NoSuchReport, NoSuchUser};

/// The canonical decimal form of a positive integer within the published
/// `int64`, or `None`: `04` is not 4, and no id beyond 2^63 - 1 is ever
/// issued (the counters start at 1).
fn positive_id(raw: &str) -> Option<u64> {
    raw.parse::<u64>().ok().filter(|id| {
        *id > 0
            && *id <= i64::MAX as u64
            && raw.bytes().all(|b| b.is_ascii_digit())
            && !raw.starts_with('0')
    })
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $missing:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// The id `id` (ids are issued by the store's counter, from 1).
            pub const fn new(id: u64) -> $name {
                $name(id)
            }

            /// The integer.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The id written in `raw`, a path segment: only the canonical
            /// decimal form of a positive integer is one.
            pub fn parse(raw: &str) -> Result<$name, $missing> {
                positive_id(raw).map($name).ok_or_else(|| $missing::malformed(raw))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }
    };
}

id_type!(
    /// A user's id.
    UserId,
    NoSuchUser
);
id_type!(
    /// A post's id.
    PostId,
    NoSuchPost
);
id_type!(
    /// A report's id.
    ReportId,
    NoSuchReport
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_form_of_a_positive_int64_is_an_id() {
        assert_eq!(UserId::parse("12").unwrap(), UserId::new(12));
        assert_eq!(PostId::parse("7").unwrap().get(), 7);
        assert_eq!(
            UserId::parse("9223372036854775807").unwrap().get(),
            i64::MAX as u64,
            "the largest id the published int64 allows"
        );
        for bad in [
            "0",
            "00",
            "04",
            "0001",
            "+1",
            "-1",
            "1.0",
            " 1",
            "",
            "abc",
            "18446744073709551616",
            "9223372036854775808",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
            assert!(PostId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            UserId::parse("abc").unwrap_err().to_string(),
            "no user has the id 'abc'"
        );
        assert_eq!(UserId::new(5).to_string(), "5");
    }
}
