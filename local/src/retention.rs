//! The embedded engine's stream keeps what DynamoDB Streams keeps: 24 hours.
//! A background task trims older records (the engine's fork, see
//! vendor/dynoxide-rs/FORK.md), so a `.microblog/local.db` used for weeks
//! holds a day of stream, not its whole history, and an iterator from before
//! the trim is refused with `TrimmedDataAccessException` as on AWS.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long DynamoDB Streams keeps a record.
pub const STREAM_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// How often the background task trims (more often when the retention is
/// shorter than two of these).
const EVERY: Duration = Duration::from_secs(60);

/// Deletes the stream records of every table of `db` older than `retention`;
/// returns how many. Blocks on the engine's lock page by page (1,000 records
/// a page, other requests served between pages): call it off the runtime's
/// threads.
pub fn trim(db: &dynoxide::Database, retention: Duration) -> Result<usize, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    let before = now.saturating_sub(retention).as_secs() as i64;
    db.trim_stream_records(before)
        .map_err(|e| format!("trimming the stream: {e}"))
}

/// Trims `db`'s stream now and every minute (every half `retention` when
/// that is shorter) until `shutdown`, logging what it did and (without
/// stopping) what failed. The caller starts it once every stream worker has
/// caught up with what the stream held when the server started: the time a
/// server was stopped counts against the retention (on AWS nothing stops),
/// so an earlier trim could take records no worker has handled.
pub async fn run(db: dynoxide::Database, retention: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut ticks = tokio::time::interval(EVERY.min(retention / 2).max(Duration::from_millis(100)));
    // A long trim is not followed by a burst of the rounds it overran.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        let db = db.clone();
        match tokio::task::spawn_blocking(move || trim(&db, retention)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(trimmed)) => tracing::info!(
                trimmed,
                "trimmed stream records older than the stream keeps"
            ),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "trimming the stream failed; trying again at the next round")
            }
            Err(e) => tracing::warn!(error = %e, "the stream's trimming task failed"),
        }
    }
}
