//! Latency figures: every sample kept as microseconds (4 bytes each: a long phase's few hundred thousand
//! requests are a megabyte or two), summarised as percentiles.

use serde::Serialize;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Latencies {
    micros: Vec<u32>,
}

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latencies {
    pub fn record(&mut self, latency: Duration) {
        self.micros
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    pub fn summary(mut self) -> LatencySummary {
        if self.micros.is_empty() {
            return LatencySummary::default();
        }
        self.micros.sort_unstable();
        let at = |q: f64| {
            // Nearest rank.
            let rank = ((q * self.micros.len() as f64).ceil() as usize).clamp(1, self.micros.len());
            f64::from(self.micros[rank - 1]) / 1000.0
        };
        LatencySummary {
            count: self.micros.len() as u64,
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut l = Latencies::default();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(
            (s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(Latencies::default().summary().count, 0);
    }
}
