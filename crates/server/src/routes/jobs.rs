//! What ingest and query jobs share: list, info, abort/close, delete.

use crate::config::JOB_LIST_PAGE;
use crate::state::AppState;
use crate::wire::{self, form_pairs, small_body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, Job, JobKind, JobOrigin, JobState, json_error};
use bulkforce_store::ApiCounter;
use bulkforce_store::Principal;
use bulkforce_store::blob::keys;
use chrono::Timelike;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

/// Who creates a job at `now` (the server's clock), through `version`: the time is truncated to whole
/// seconds, as Salesforce's job timestamps are (a query job's date literals are anchored at it, so it must
/// be what the job shows).
pub fn new_job_origin(
    principal: &Principal,
    version: ApiVersion,
    now: chrono::DateTime<Utc>,
) -> JobOrigin {
    let created = now - chrono::Duration::nanoseconds(i64::from(now.nanosecond()));
    JobOrigin {
        org_id: principal.org_id,
        created_by_id: principal.user_id,
        api_version: version,
        created,
    }
}

/// `GET /jobs/{ingest|query}`: pages of 1,000 jobs, continued with `queryLocator`.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    kind: JobKind,
    query: &str,
) -> Result<Response, ApiError> {
    let mut after = None;
    let mut job_type = None;
    for (key, value) in form_pairs(query) {
        match key.as_str() {
            "queryLocator" if !value.is_empty() => {
                after = Some(SfId::parse(&value).map_err(|_| {
                    ApiError::new(
                        400,
                        "INVALID_QUERY_LOCATOR",
                        "The queryLocator is not valid",
                    )
                })?);
            }
            "jobType" => job_type = Some(value),
            _ => {}
        }
    }
    // Only Bulk 2.0 jobs exist here: filtering on another job type returns none.
    let wanted = job_type.as_deref().is_none_or(|t| t == kind.job_type());
    let org = principal.org_id;
    let page = if wanted {
        state
            .with_store(move |store| store.list_jobs(org, kind, after, JOB_LIST_PAGE))
            .await?
    } else {
        bulkforce_store::JobPage {
            jobs: Vec::new(),
            next: None,
        }
    };
    let next = page.next.map_or(serde_json::Value::Null, |id| {
        json!(format!(
            "/services/data/v{version}/jobs/{}?queryLocator={id}",
            kind.segment()
        ))
    });
    let records: Vec<_> = page.jobs.iter().map(Job::summary_json).collect();
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "done": page.next.is_none(), "records": records, "nextRecordsUrl": next }),
    ))
}

/// The job `id` of `kind` in the caller's org; 404 for any other.
pub async fn load_job(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    kind: JobKind,
) -> Result<Job, ApiError> {
    let org = principal.org_id;
    state
        .with_store(move |store| store.get_job(org, id))
        .await?
        .filter(|job| job.kind() == kind)
        .ok_or_else(ApiError::not_found)
}

/// `GET /jobs/{ingest|query}/{id}`.
pub async fn info(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    kind: JobKind,
) -> Result<Response, ApiError> {
    let job = load_job(state, principal, id, kind).await?;
    Ok(wire::json(StatusCode::OK, &job.info_json()))
}

#[derive(Deserialize)]
struct PatchBody {
    state: Option<String>,
}

/// `PATCH /jobs/{ingest|query}/{id}`: `{"state":"UploadComplete"}` closes an ingest job,
/// `{"state":"Aborted"}` aborts either kind.
pub async fn patch(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    kind: JobKind,
    request: Request,
) -> Result<Response, ApiError> {
    let body = small_body(request).await?;
    let requested: PatchBody = serde_json::from_slice(&body).map_err(|e| json_error(&e))?;
    let requested_text = requested.state.unwrap_or_default();
    let target: JobState = requested_text
        .parse()
        .map_err(|_| ApiError::invalid_property(&requested_text, "state"))?;
    let from: &[JobState] = match target {
        JobState::UploadComplete if kind == JobKind::Ingest => &[JobState::Open],
        JobState::Aborted => &[
            JobState::Open,
            JobState::UploadComplete,
            JobState::InProgress,
        ],
        other => {
            return Err(ApiError::invalid_job_state(format!(
                "Invalid state: {other}. Set UploadComplete to close a job or Aborted to abort it"
            )));
        }
    };
    load_job(state, principal, id, kind).await?;
    let org = principal.org_id;
    // `serve --hold-jobs`: a closed job is held in the same step, before any worker can claim it.
    let hold = state.config.hold_jobs && target == JobState::UploadComplete;
    let (job, moved) = state
        .with_store(move |store| store.transition_holding(org, id, from, target, None, hold))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !moved {
        return Err(match (target, job.state) {
            (JobState::Aborted, _) => {
                ApiError::invalid_job_state("Aborting already Completed Job not allowed")
            }
            (_, current) => ApiError::invalid_job_state(format!(
                "Closing a job is only allowed while it is Open; this job is {current}"
            )),
        });
    }
    if target == JobState::UploadComplete {
        // Each upload counts as one Bulk batch against the daily allocation.
        let org = principal.org_id;
        state
            .with_store(move |store| {
                store.add_api_usage(org, ApiCounter::IngestBatches, 1, store.clock().now())
            })
            .await?;
        state.wake.notify_waiters();
    }
    Ok(wire::json(StatusCode::OK, &job.patch_json()))
}

/// `DELETE /jobs/{ingest|query}/{id}`: only once the job is no longer Open or InProgress; its data goes too.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    kind: JobKind,
) -> Result<Response, ApiError> {
    let job = load_job(state, principal, id, kind).await?;
    if !job.state.can_delete(kind) {
        return Err(ApiError::new(
            400,
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        ));
    }
    let blobs = state.blobs.clone();
    let org = principal.org_id;
    state
        .with_store(move |store| {
            store.delete_job(org, id)?;
            blobs.delete_prefix(&keys::job(org, id))
        })
        .await?;
    Ok(wire::empty(StatusCode::NO_CONTENT))
}
