//! What the server observes about itself, for the control surface to show: Prometheus metrics, the ring of
//! recent requests, and the workers' pulse. Plain shared types with no server state, so that the
//! dispatcher, the workers and the control handlers can all reach them through `AppState`.

pub mod metrics;
pub mod pulse;
pub mod request_log;

pub use metrics::Metrics;
pub use pulse::WorkerPulse;
pub use request_log::{RequestEntry, RequestLog};

/// Everything observed, one per server instance (never global: several servers share a test process).
pub struct Observers {
    pub metrics: Metrics,
    pub requests: RequestLog,
    pub pulse: WorkerPulse,
}

impl Observers {
    /// Observers keeping the latest `request_log_size` requests.
    pub fn new(request_log_size: usize) -> Self {
        Observers {
            metrics: Metrics::new(),
            requests: RequestLog::new(request_log_size),
            pulse: WorkerPulse::default(),
        }
    }
}
