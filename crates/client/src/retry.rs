//! The one retry schedule of the client: exponential backoff with random jitter, used by every idempotent
//! request ([`crate::Client`]'s GETs and DELETEs) and by result pages that break off mid-body.
//!
//! Why jitter: a load runs several parts at once, and a download several pages at once. When the server
//! answers 503 to all of them together, a fixed schedule would send every retry at the same instant again;
//! a random share of each wait spreads them out.

use rand::Rng;
use std::time::Duration;

/// How idempotent calls (GET, DELETE) are retried on 429, 5xx and connection errors: exponential backoff from
/// `initial_backoff`, doubling up to `max_backoff`, at most `max_retries` times. Each wait is drawn at random
/// between half and all of its step, so that parallel requests never retry in lockstep. Uploads, job creation
/// and state changes are never retried (a second attempt could act twice).
///
/// ```
/// use bulkforce_client::{Client, RetryPolicy};
/// use std::time::Duration;
/// let patient = RetryPolicy { max_retries: 8, ..RetryPolicy::default() };
/// assert_eq!(patient.initial_backoff, Duration::from_millis(250));
/// let client = Client::new("http://127.0.0.1:8080", "00D000000000001!token", "62.0")?
///     .with_retry_policy(patient);
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: no retry).
    pub max_retries: u32,
    /// Step before the first retry.
    pub initial_backoff: Duration,
    /// Longest step between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 4 retries, 250 ms doubling up to 8 s (at most 7.75 s of waiting in all).
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// The retries left to one operation under a [`RetryPolicy`]: each [`Backoff::wait`] spends one.
#[derive(Debug)]
pub(crate) struct Backoff {
    retries_left: u32,
    step: Duration,
    max_step: Duration,
}

impl Backoff {
    /// A fresh schedule: `policy.max_retries` waits, the first step `policy.initial_backoff`.
    pub(crate) fn new(policy: &RetryPolicy) -> Backoff {
        Backoff {
            retries_left: policy.max_retries,
            step: policy.initial_backoff,
            max_step: policy.max_backoff,
        }
    }

    /// The next wait, spending one retry; `None` when every retry is spent.
    fn next_delay(&mut self) -> Option<Duration> {
        self.retries_left = self.retries_left.checked_sub(1)?;
        let delay = jittered(self.step);
        self.step = (self.step * 2).min(self.max_step);
        Some(delay)
    }

    /// Sleeps before the next attempt and returns true, or returns false at once when every retry is spent
    /// (the caller then gives up with its last error).
    pub(crate) async fn wait(&mut self) -> bool {
        match self.next_delay() {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                true
            }
            None => false,
        }
    }
}

/// A random duration between half of `step` and all of it ("equal jitter"): never longer than the step, so
/// the policy's bounds hold, and never shorter than half of it, so a busy server still gets its rest.
fn jittered(step: Duration) -> Duration {
    let half = step / 2;
    let spread = u64::try_from((step - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(rand::rng().random_range(0..=spread))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_counted_and_waits_stay_within_half_and_all_of_a_doubling_step() {
        let policy = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        let mut backoff = Backoff::new(&policy);
        let steps = [100, 200, 300, 300, 300].map(Duration::from_millis);
        for step in steps {
            let delay = backoff.next_delay().expect("a retry is left");
            assert!(delay >= step / 2 && delay <= step, "{delay:?} for {step:?}");
        }
        assert_eq!(backoff.next_delay(), None);
        let none = RetryPolicy {
            max_retries: 0,
            ..policy
        };
        assert_eq!(Backoff::new(&none).next_delay(), None);
    }

    #[test]
    fn jitter_spreads_waits() {
        let step = Duration::from_secs(1);
        let delays: std::collections::HashSet<_> = (0..20).map(|_| jittered(step)).collect();
        assert!(delays.len() > 1, "twenty equal waits: no jitter");
        assert_eq!(jittered(Duration::ZERO), Duration::ZERO);
    }
}
