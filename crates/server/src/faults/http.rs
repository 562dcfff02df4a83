//! What an http rule does to the Salesforce request it hits: a delay, then either the real handling, an
//! error answer in Salesforce's envelope given instead of the handling (nothing is read or changed), or a
//! hang-up with no answer at all.

use super::Faults;
use crate::connections;
use crate::wire;
use axum::response::Response;
use bulkforce_core::ApiError;
use std::time::Duration;

/// Applies the http rule `method` and `path` hit, if any: waits its latency, then returns the answer to
/// give instead of handling the request (an error, or a hang-up), or `None` to handle it as usual.
pub async fn intercept(faults: &Faults, method: &str, path: &str) -> Option<Response> {
    let hit = faults.http(method, path)?;
    let fault = hit.fault;
    tracing::info!(fault = %hit.id, %method, %path, "fault injected");
    if let Some(ms) = fault.latency_ms {
        // A slow server, not an idle connection: the idle timeout does not run meanwhile.
        let _busy = connections::server_busy();
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.disconnect {
        return Some(connections::hang_up());
    }
    let status = fault.status?;
    Some(wire::error(&ApiError::new(
        status,
        &fault.error_code,
        fault.message,
    )))
}
