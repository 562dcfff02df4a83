//! Ingest jobs: create (JSON or multipart), list, info, close/abort, delete, and the one upload.

use super::jobs::{load_job, new_job_origin};
use crate::config::MULTIPART_MAX_CHARS;
use crate::state::AppState;
use crate::wire::{self, small_body};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, IngestJobSpec, Job, JobKind, JobState};
use bulkforce_store::blob::keys;
use bulkforce_store::{Principal, UploadStart};
use futures::StreamExt;
use std::io::Write;

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
    let job = Job::new_ingest(spec, new_job_origin(principal, version));
    let org = principal.org_id;
    let job = state
        .with_store(move |store| store.create_job(org, job))
        .await?;
    Ok(wire::json(StatusCode::OK, &job.create_json()))
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
    let job = Job::new_ingest(spec, new_job_origin(principal, version));
    let blobs = state.blobs.clone();
    let org = principal.org_id;
    let job = state
        .with_store(move |store| {
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
    Ok(wire::json(StatusCode::OK, &job.create_json()))
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
    load_job(state, principal, id, JobKind::Ingest).await?;
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let org = principal.org_id;
    match state
        .with_store(move |store| store.begin_upload(org, id))
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
    let size = result.as_ref().ok().copied();
    state
        .with_store(move |store| store.end_upload(org, id, size))
        .await?;
    match result {
        Ok(_) => Ok(wire::empty(StatusCode::CREATED)),
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
        .map_err(|e| UploadError::Api(wire::internal_error(&e)))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    written.map_err(|e| UploadError::Api(wire::store_error(e)))
}
