//! The workers' heartbeat: readiness asks whether the worker loops still turn.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// When a worker loop last went round, and how many workers are inside a job (a long job does not beat).
pub struct WorkerPulse {
    origin: Instant,
    /// Milliseconds after `origin` of the last beat, plus one (0: never beat).
    last_beat: AtomicU64,
    busy: AtomicUsize,
}

impl Default for WorkerPulse {
    fn default() -> Self {
        WorkerPulse {
            origin: Instant::now(),
            last_beat: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }
}

impl WorkerPulse {
    /// A worker loop went round.
    pub fn beat(&self) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_beat
            .store(now.saturating_add(1), Ordering::Relaxed);
    }

    /// A worker starts a job; it counts as alive until the guard drops (even if the job panics).
    pub fn busy(&self) -> BusyGuard<'_> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard(self)
    }

    /// Whether some worker is in a job or went round within `within`.
    pub fn alive(&self, within: Duration) -> bool {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return true;
        }
        match self.last_beat.load(Ordering::Relaxed) {
            0 => false,
            beat => {
                let since = self
                    .origin
                    .elapsed()
                    .saturating_sub(Duration::from_millis(beat - 1));
                since <= within
            }
        }
    }
}

/// Marks a worker busy while it lives.
pub struct BusyGuard<'a>(&'a WorkerPulse);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.beat();
    }
}

#[cfg(test)]
mod tests {
    use super::WorkerPulse;
    use std::time::Duration;

    #[test]
    fn a_pulse_is_alive_after_a_beat_or_while_busy() {
        let pulse = WorkerPulse::default();
        assert!(!pulse.alive(Duration::from_secs(5)), "never beat");
        {
            let _busy = pulse.busy();
            assert!(pulse.alive(Duration::ZERO));
        }
        assert!(
            pulse.alive(Duration::from_secs(5)),
            "the end of a job beats"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert!(!pulse.alive(Duration::from_millis(10)), "too long ago");
    }
}
