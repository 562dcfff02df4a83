//! Ingest jobs: create (JSON or multipart), list, info, close/abort, delete, and the one upload.

use crate::config::{JOB_LIST_PAGE, MULTIPART_MAX_CHARS};
use crate::http::{self, blocking};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, IngestJobSpec, Job, JobKind, JobState, json_error};
use bulkforce_store::blob::keys;
use bulkforce_store::{Principal, UploadStart};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::io::Write;

/// Largest job-control body read (create, close, abort): these are a few hundred bytes in practice.
const MAX_JSON_BODY: usize = 1024 * 1024;

fn new_job(spec: IngestJobSpec, principal: &Principal, version: ApiVersion) -> Job {
    let now = chrono::Utc::now();
    let now = now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)));
    Job {
        id: principal.org_id, // replaced by the store's minted id
        operation: spec.operation,
        object: spec.object,
        created_by_id: principal.user_id,
        created_date: now,
        system_modstamp: now,
        state: JobState::Open,
        external_id_field_name: spec.external_id_field_name,
        assignment_rule_id: spec.assignment_rule_id,
        api_version: version,
        dialect: spec.dialect,
        number_records_processed: 0,
        number_records_failed: 0,
        retries: 0,
        total_processing_time: 0,
        api_active_processing_time: 0,
        apex_processing_time: 0,
        error_message: None,
        upload_bytes: None,
        query: None,
    }
}

/// Reads a small JSON body, refusing anything larger than a job-control request can be.
async fn small_body(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
        .await
        .map_err(|_| ApiError::new(413, "JSON_PARSER_ERROR", "The request body is too large"))
}

/// `POST /jobs/ingest`: a JSON job definition, or multipart with the job and its data (closed at once).
pub async fn create(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if is_multipart {
        return create_multipart(state, principal, version, request).await;
    }
    let body = small_body(request).await?;
    let spec = IngestJobSpec::from_json(&body, state.store.schema())?;
    let store = state.store.clone();
    let job = new_job(spec, principal, version);
    let org = principal.org_id;
    let job = blocking(move || store.create_job(org, job)).await?;
    Ok(http::json(StatusCode::OK, &job.create_json()))
}

async fn create_multipart(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let bad = |message: String| ApiError::new(400, "INVALIDJOB", format!("InvalidJob : {message}"));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(format!("Unable to read the multipart request: {e}")))?;
    let mut job_part = None;
    let mut content = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("Malformed multipart body: {e}")))?
    {
        match field.name() {
            Some("job") => job_part = Some(field.bytes().await.map_err(|e| bad(e.to_string()))?),
            Some("content") => {
                let limit = MULTIPART_MAX_CHARS * 4;
                let mut data = Vec::new();
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.to_string()))? {
                    data.extend_from_slice(&chunk);
                    if data.len() > limit {
                        break;
                    }
                }
                content = Some(data);
            }
            _ => {}
        }
    }
    let job_part = job_part.ok_or_else(|| bad("The multipart request has no 'job' part".into()))?;
    let content =
        content.ok_or_else(|| bad("The multipart request has no 'content' part".into()))?;
    let chars = String::from_utf8_lossy(&content).chars().count();
    if chars > MULTIPART_MAX_CHARS {
        return Err(bad(format!(
            "The 'content' part has {chars} characters or more; a multipart request may carry at most \
             {MULTIPART_MAX_CHARS}. Upload larger data with PUT to the job's contentUrl."
        )));
    }
    let spec = IngestJobSpec::from_json(&job_part, state.store.schema())?;
    let job = new_job(spec, principal, version);
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let org = principal.org_id;
    let job = blocking(move || {
        let job = store.create_job(org, job)?;
        store.begin_upload(org, job.id)?;
        let mut writer = blobs.create(&keys::upload(org, job.id))?;
        writer.write_all(&content)?;
        let size = writer.commit()?;
        store.end_upload(org, job.id, Some(size))?;
        let (job, _) = store
            .transition(
                org,
                job.id,
                &[JobState::Open],
                JobState::UploadComplete,
                None,
            )?
            .ok_or_else(|| bulkforce_store::StoreError::Corrupt("job vanished".into()))?;
        Ok(job)
    })
    .await?;
    state.wake.notify_waiters();
    Ok(http::json(StatusCode::OK, &job.create_json()))
}

/// `GET /jobs/ingest`: pages of 1,000 jobs, continued with `queryLocator`.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
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
    let wanted = job_type
        .as_deref()
        .is_none_or(|t| t == JobKind::Ingest.job_type());
    let store = state.store.clone();
    let org = principal.org_id;
    let page = if wanted {
        blocking(move || store.list_jobs(org, JobKind::Ingest, after, JOB_LIST_PAGE)).await?
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
                "/services/data/v{version}/jobs/ingest?queryLocator={id}"
            ))
        })
        .unwrap_or(serde_json::Value::Null);
    let records: Vec<_> = page.jobs.iter().map(Job::summary_json).collect();
    Ok(http::json(
        StatusCode::OK,
        &json!({ "done": page.next.is_none(), "records": records, "nextRecordsUrl": next }),
    ))
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
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

async fn load_job(state: &AppState, principal: &Principal, id: SfId) -> Result<Job, ApiError> {
    let store = state.store.clone();
    let org = principal.org_id;
    blocking(move || store.get_job(org, id))
        .await?
        .filter(|job| job.kind() == JobKind::Ingest)
        .ok_or_else(ApiError::not_found)
}

/// `GET /jobs/ingest/{id}`.
pub async fn info(state: &AppState, principal: &Principal, id: SfId) -> Result<Response, ApiError> {
    let job = load_job(state, principal, id).await?;
    Ok(http::json(StatusCode::OK, &job.info_json()))
}

#[derive(Deserialize)]
struct PatchBody {
    state: Option<String>,
}

/// `PATCH /jobs/ingest/{id}`: `{"state":"UploadComplete"}` closes, `{"state":"Aborted"}` aborts.
pub async fn patch(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    request: Request,
) -> Result<Response, ApiError> {
    let body = small_body(request).await?;
    let requested: PatchBody = serde_json::from_slice(&body).map_err(|e| json_error(&e))?;
    let requested_text = requested.state.unwrap_or_default();
    let target: JobState = requested_text
        .parse()
        .map_err(|_| ApiError::invalid_property(&requested_text, "state"))?;
    let from: &[JobState] = match target {
        JobState::UploadComplete => &[JobState::Open],
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
    load_job(state, principal, id).await?;
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
        state.wake.notify_waiters();
    }
    Ok(http::json(StatusCode::OK, &job.patch_json()))
}

/// `DELETE /jobs/ingest/{id}`: only once the job is no longer Open or InProgress; its data goes too.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: SfId,
) -> Result<Response, ApiError> {
    let job = load_job(state, principal, id).await?;
    if !job.state.can_delete(JobKind::Ingest) {
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

/// `PUT /jobs/ingest/{id}/batches`: the job's one upload, streamed to a blob as it arrives.
pub async fn upload(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    request: Request,
) -> Result<Response, ApiError> {
    let limit = state.config.max_upload_bytes;
    let too_large = || {
        ApiError::new(
            413,
            "EXCEEDED_MAX_SIZE_REQUEST",
            format!(
                "The upload exceeds the maximum of {limit} bytes for one job. Split the data into several jobs."
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    load_job(state, principal, id).await?;
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let store = state.store.clone();
    let org = principal.org_id;
    match blocking(move || store.begin_upload(org, id))
        .await?
        .ok_or_else(ApiError::not_found)?
    {
        UploadStart::Started => {}
        UploadStart::AlreadyUploaded => {
            return Err(ApiError::new(
                400,
                "BULK_API_ERROR",
                format!(
                    "Found multipe contents for job: <{}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
                    &id.as_str()[..15]
                ),
            ));
        }
        UploadStart::NotOpen(current) => {
            return Err(ApiError::invalid_job_state(format!(
                "Data can only be uploaded while the job is Open; this job is {current}"
            )));
        }
    }
    let result = receive_upload(state, org, id, request.into_body(), limit).await;
    let store = state.store.clone();
    let size = result.as_ref().ok().copied();
    blocking(move || store.end_upload(org, id, size)).await?;
    match result {
        Ok(_) => Ok(http::empty(StatusCode::CREATED)),
        Err(UploadError::TooLarge) => Err(too_large()),
        Err(UploadError::Api(e)) => Err(e),
    }
}

enum UploadError {
    TooLarge,
    Api(ApiError),
}

/// Streams the body into the upload blob through a bounded channel; stops reading past `limit`.
async fn receive_upload(
    state: &AppState,
    org: SfId,
    id: SfId,
    body: Body,
    limit: u64,
) -> Result<u64, UploadError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let blobs = state.blobs.clone();
    let writer =
        tokio::task::spawn_blocking(move || -> Result<u64, bulkforce_store::StoreError> {
            let mut blob = blobs.create(&keys::upload(org, id))?;
            let mut complete = false;
            while let Some(chunk) = rx.blocking_recv() {
                if chunk.is_empty() {
                    complete = true;
                    break;
                }
                blob.write_all(&chunk)?;
            }
            if !complete {
                return Err(bulkforce_store::StoreError::Invalid(
                    "upload interrupted".into(),
                ));
            }
            blob.commit()
        });
    let mut stream = body.into_data_stream();
    let mut received: u64 = 0;
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                received += chunk.len() as u64;
                if received > limit {
                    failure = Some(UploadError::TooLarge);
                    break;
                }
                if chunk.is_empty() {
                    continue;
                }
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failure = Some(UploadError::Api(ApiError::new(
                    400,
                    "INVALIDBATCH",
                    format!("Reading the upload failed: {e}"),
                )));
                break;
            }
        }
    }
    if failure.is_none() {
        let _ = tx.send(Bytes::new()).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| UploadError::Api(ApiError::internal(e)))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    written.map_err(|e| UploadError::Api(http::store_error(e)))
}
