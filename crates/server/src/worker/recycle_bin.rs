//! The recycle bin's purge: records deleted more than 15 days ago by the store's clock are removed for
//! good in every org ([`bulkforce_core::org::recycle_bin`]), as Salesforce empties its recycle bin.
//!
//! It runs in the background rather than on requests: a purge writes, and on SQLite it would wait
//! behind a running job's transaction. It runs once a minute of either clock, so a test clock moved
//! ahead (`/_bulkforce/clock`) is followed within a second. The store visits only the orgs that may
//! hold something due and opens no org's storage for it (see `Store::purge_recycle_bins`), so a
//! server with a thousand idle orgs pays next to nothing.

use crate::state::AppState;
use bulkforce_core::org::recycle_bin::purge_cutoff;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::{Duration, Instant};

/// How often the loop looks at the clocks.
const TICK: Duration = Duration::from_secs(1);
/// How much of either clock passes between purges.
const EVERY: Duration = Duration::from_secs(60);

/// Purges until the server stops.
pub(super) async fn run(state: AppState) {
    let mut last: Option<(Instant, DateTime<Utc>)> = None;
    while !state.shutdown.is_stopping() {
        let now = state.clock.now();
        if is_due(last, now) {
            purge_all(&state).await;
            last = Some((Instant::now(), now));
        }
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            () = state.shutdown.wait() => {}
        }
    }
}

/// Whether a minute of real time, or of the store's clock (forwards or back), passed since the last
/// purge.
fn is_due(last: Option<(Instant, DateTime<Utc>)>, now: DateTime<Utc>) -> bool {
    let every = TimeDelta::from_std(EVERY).expect("a minute is a valid time delta");
    match last {
        None => true,
        Some((real, clock)) => real.elapsed() >= EVERY || (now - clock).abs() >= every,
    }
}

/// One purge of every org; a failure is logged and tried again at the next one.
async fn purge_all(state: &AppState) {
    let purged = state
        .with_store(|store| {
            let cutoff = purge_cutoff(store.clock().now());
            store.purge_recycle_bins(cutoff)
        })
        .await;
    match purged {
        Ok(0) => {}
        Ok(n) => tracing::info!(records = n, "recycle bin purged"),
        Err(e) => tracing::warn!(error = %e.message, "purging the recycle bin failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_is_due_first_and_after_a_minute_of_either_clock() {
        let now = Utc::now();
        assert!(is_due(None, now));
        let just_now = Some((Instant::now(), now));
        assert!(!is_due(just_now, now + TimeDelta::seconds(5)));
        assert!(is_due(just_now, now + TimeDelta::days(16)));
        assert!(is_due(just_now, now - TimeDelta::minutes(2)));
    }
}
