//! The one text form of a time, as stored and as shown.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339, UTC, `Z`, whole seconds: `2026-11-25T15:04:27Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
