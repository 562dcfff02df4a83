//! A graceful stop of the workers: no new claims, running jobs stop at their next chunk boundary (what is
//! committed stays, with its checkpoint), and the process releases its claims before it exits.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Set once, when the server begins to stop; workers and pipelines look at it between chunks.
#[derive(Default)]
pub struct Shutdown {
    stopping: AtomicBool,
    /// Wakes idle workers so they see the stop at once rather than at their next poll.
    wake: Notify,
}

impl Shutdown {
    /// Asks every worker to stop claiming and every running job to stop at its next chunk.
    pub fn begin(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Whether the server is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Resolves when [`Shutdown::begin`] is called (at once if it was).
    pub async fn wait(&self) {
        let notified = self.wake.notified();
        if self.is_stopping() {
            return;
        }
        notified.await;
    }
}
