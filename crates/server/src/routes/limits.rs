//! `GET /services/data/vXX.X/limits`: the org's allocations with what remains over the last 24 hours.

use crate::state::{AppState, Counter};
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_store::Principal;
use serde_json::json;

/// Salesforce's Bulk allocations (§7.1 of the protocol reference).
const DAILY_BULK_BATCHES: u64 = 15_000;
const DAILY_QUERY_JOBS: u64 = 10_000;
const DAILY_QUERY_STORAGE_MB: u64 = 976_562;

pub fn limits(state: &AppState, principal: &Principal) -> Response {
    let usage = &state.usage;
    let org = principal.org_id;
    let entry = |max: u64, used: u64| json!({ "Max": max, "Remaining": max.saturating_sub(used) });
    let api = state.config.daily_api_requests;
    wire::json(
        StatusCode::OK,
        &json!({
            "DailyApiRequests": entry(api, usage.total(org, Counter::ApiRequests)),
            "DailyBulkApiBatches": entry(DAILY_BULK_BATCHES, usage.total(org, Counter::IngestBatches)),
            "DailyBulkApiRequests": entry(DAILY_BULK_BATCHES, usage.total(org, Counter::IngestBatches)),
            "DailyBulkV2QueryFileStorageMB": entry(DAILY_QUERY_STORAGE_MB, 0),
            "DailyBulkV2QueryJobs": entry(DAILY_QUERY_JOBS, usage.total(org, Counter::QueryJobs)),
        }),
    )
}
