//! What ingest and query jobs share: list, info, abort/close, delete.

use crate::config::JOB_LIST_PAGE;
use crate::http::{self, blocking};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, Job, JobKind, JobState, json_error};
use bulkforce_store::Principal;
use bulkforce_store::blob::keys;
use serde::Deserialize;
use serde_json::json;

/// Largest job-control body read (create, close, abort): these are a few hundred bytes in practice.
const MAX_JSON_BODY: usize = 1024 * 1024;

/// Reads a small JSON body, refusing anything larger than a job-control request can be.
pub async fn small_body(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
        .await
        .map_err(|_| ApiError::new(413, "JSON_PARSER_ERROR", "The request body is too large"))
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
    let store = state.store.clone();
    let org = principal.org_id;
    let page = if wanted {
        blocking(move || store.list_jobs(org, kind, after, JOB_LIST_PAGE)).await?
    } else {
        bulkforce_store::JobPage {
            jobs: Vec::new(),
            next: None,
        }
    };
    let next = page
        .next
        .map(|id| {
            json!(format!(
                "/services/data/v{version}/jobs/{}?queryLocator={id}",
                kind.segment()
            ))
        })
        .unwrap_or(serde_json::Value::Null);
    let records: Vec<_> = page.jobs.iter().map(Job::summary_json).collect();
    Ok(http::json(
        StatusCode::OK,
        &json!({ "done": page.next.is_none(), "records": records, "nextRecordsUrl": next }),
    ))
}

pub(crate) fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The job `id` of `kind` in the caller's org; 404 for any other.
pub async fn load_job(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    kind: JobKind,
) -> Result<Job, ApiError> {
    let store = state.store.clone();
    let org = principal.org_id;
    blocking(move || store.get_job(org, id))
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
    Ok(http::json(StatusCode::OK, &job.info_json()))
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
    let store = state.store.clone();
    let org = principal.org_id;
    let (job, moved) = blocking(move || store.transition(org, id, from, target, None))
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
        state
            .usage
            .add(principal.org_id, crate::state::Counter::IngestBatches, 1);
        state.wake.notify_waiters();
    }
    Ok(http::json(StatusCode::OK, &job.patch_json()))
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
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let org = principal.org_id;
    blocking(move || {
        store.delete_job(org, id)?;
        blobs.delete_prefix(&keys::job(org, id))
    })
    .await?;
    Ok(http::empty(StatusCode::NO_CONTENT))
}
