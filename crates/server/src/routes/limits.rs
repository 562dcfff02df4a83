//! `GET /services/data/vXX.X/limits`: the org's allocations with what remains over the last 24 hours.

use crate::faults::LimitFault;
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_store::{ApiCounter, Principal};
use serde_json::json;

/// Salesforce's Bulk allocations (§7.1 of the protocol reference).
const DAILY_BULK_BATCHES: u64 = 15_000;
const DAILY_QUERY_JOBS: u64 = 10_000;
const DAILY_QUERY_STORAGE_MB: u64 = 976_562;

/// The allocations; `fault` (a limit rule this request hit) makes the API calls left look that low.
pub async fn limits(
    state: &AppState,
    principal: &Principal,
    fault: Option<LimitFault>,
) -> Result<Response, ApiError> {
    let org = principal.org_id;
    let [api_requests, batches, query_jobs] = state
        .with_store(move |store| {
            let now = store.clock().now();
            Ok([
                store.api_usage(org, ApiCounter::ApiRequests, now)?,
                store.api_usage(org, ApiCounter::IngestBatches, now)?,
                store.api_usage(org, ApiCounter::QueryJobs, now)?,
            ])
        })
        .await?;
    let entry = |max: u64, used: u64| json!({ "Max": max, "Remaining": max.saturating_sub(used) });
    let api = state.config.daily_api_requests;
    let api_requests = fault.map_or(api_requests, |f| {
        api_requests.max(api.saturating_sub(f.remaining))
    });
    Ok(wire::json(
        StatusCode::OK,
        &json!({
            "DailyApiRequests": entry(api, api_requests),
            "DailyBulkApiBatches": entry(DAILY_BULK_BATCHES, batches),
            "DailyBulkApiRequests": entry(DAILY_BULK_BATCHES, batches),
            "DailyBulkV2QueryFileStorageMB": entry(DAILY_QUERY_STORAGE_MB, 0),
            "DailyBulkV2QueryJobs": entry(DAILY_QUERY_JOBS, query_jobs),
        }),
    ))
}
