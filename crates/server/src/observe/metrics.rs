//! The Prometheus metrics of one server instance, in its own registry (`prometheus-client`): a global
//! recorder would mix the servers of one test process. Counters are updated where things happen; the
//! jobs gauge is filled from the store when scraped (see `control::metrics`).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// A label set: fixed names, values known at run time.
type Labels<const N: usize> = [(&'static str, String); N];

/// Request latency buckets: 1 ms doubling to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric family; see the README's "Control API" for their meaning.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<Labels<3>, Counter>,
    http_duration: Family<Labels<1>, Histogram, fn() -> Histogram>,
    jobs: Family<Labels<2>, Gauge>,
    ingest_rows: Family<Labels<2>, Counter>,
    query_rows: Counter,
    api_requests: Family<Labels<1>, Counter>,
    worker_busy: Counter<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let metrics = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_histogram),
            jobs: Family::default(),
            ingest_rows: Family::default(),
            query_rows: Counter::default(),
            api_requests: Family::default(),
            worker_busy: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "bulkforce_http_requests",
            "HTTP requests answered, by route (the endpoint's kind), method and status",
            metrics.http_requests.clone(),
        );
        registry.register(
            "bulkforce_http_request_duration_seconds",
            "Time to the response head, by route",
            metrics.http_duration.clone(),
        );
        registry.register(
            "bulkforce_jobs",
            "Jobs in the store, by type (ingest or query) and state",
            metrics.jobs.clone(),
        );
        registry.register(
            "bulkforce_ingest_rows",
            "Ingest rows committed, by operation and outcome (success or failure)",
            metrics.ingest_rows.clone(),
        );
        registry.register(
            "bulkforce_query_rows",
            "Rows written to the results of completed query jobs",
            metrics.query_rows.clone(),
        );
        registry.register(
            "bulkforce_api_requests",
            "API requests counted against an org's allocation, by org id",
            metrics.api_requests.clone(),
        );
        registry.register(
            "bulkforce_worker_busy_seconds",
            "Time workers spent processing jobs",
            metrics.worker_busy.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// One answered request.
    pub fn request(&self, route: &'static str, method: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .get_or_create(&[
                ("route", route.to_owned()),
                ("method", method.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
        self.http_duration
            .get_or_create(&[("route", route.to_owned())])
            .observe(elapsed.as_secs_f64());
    }

    /// One API request counted for `org`.
    pub fn api_request(&self, org: &str) {
        self.api_requests
            .get_or_create(&[("org", org.to_owned())])
            .inc();
    }

    /// Ingest rows of a committed transaction.
    pub fn ingest_rows(&self, operation: &str, succeeded: u64, failed: u64) {
        for (outcome, rows) in [("success", succeeded), ("failure", failed)] {
            if rows > 0 {
                self.ingest_rows
                    .get_or_create(&[
                        ("operation", operation.to_owned()),
                        ("outcome", outcome.to_owned()),
                    ])
                    .inc_by(rows);
            }
        }
    }

    /// Rows of a completed query job.
    pub fn query_rows(&self, rows: u64) {
        self.query_rows.inc_by(rows);
    }

    /// Time a worker spent on a job.
    pub fn worker_busy(&self, spent: Duration) {
        self.worker_busy.inc_by(spent.as_secs_f64());
    }

    /// Replaces the jobs gauge with `counts` (type, state, count), as just read from the store.
    pub fn set_jobs(&self, counts: impl IntoIterator<Item = (&'static str, &'static str, u64)>) {
        let mut summed: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
        for (kind, state, count) in counts {
            *summed.entry((kind, state)).or_default() += count;
        }
        self.jobs.clear();
        for ((kind, state), count) in summed {
            self.jobs
                .get_or_create(&[("type", kind.to_owned()), ("state", state.to_owned())])
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// The exposition in the OpenMetrics text format (which Prometheus scrapes).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
