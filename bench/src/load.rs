//! What the load runs (`chaos`, `feed`) share: one answer as a client saw
//! it, answers counted by status, and percentiles of latencies.

use std::collections::BTreeMap;
use std::time::Duration;

/// One answer: when it came (since the start), its status, how long it took.
#[derive(Clone, Copy)]
pub struct Answer {
    pub at: Duration,
    pub status: u16,
    pub took: Duration,
}

/// How many of `answers` had each status.
pub fn by_status<'a>(answers: impl IntoIterator<Item = &'a Answer>) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for a in answers {
        *counts.entry(a.status).or_default() += 1;
    }
    counts
}

/// The `q` quantile (0 to 1) of `sorted` (ascending) by nearest rank, so
/// p99 of 100 values is the 99th and p50 is never above the median;
/// zero when empty.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
