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
use upload_body::{BodyEncoding, BodySink, StoreBodyError};

mod upload_body;

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
    let job = Job::new_ingest(spec, new_job_origin(principal, version, state.clock.now()));
    let org = principal.org_id;
    let job = state
        .with_store(move |store| store.create_job(org, job))
        .await?;
    Ok(wire::json(StatusCode::OK, &job.create_json()))
}

/// The two parts of a multipart create that matter, as read from the body.
pub(crate) struct MultipartParts {
    pub(crate) job: Bytes,
    pub(crate) content: Vec<u8>,
}

/// Reads the `job` and `content` parts of a multipart create (axum's `Multipart`, that is multer, splits
/// the body into parts); a missing part or a `content` over [`MULTIPART_MAX_CHARS`] is refused with
/// `INVALIDJOB`. Pure apart from reading the body, so that `crate::fuzzing` can drive it.
pub(crate) async fn read_multipart(request: Request) -> Result<MultipartParts, ApiError> {
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
    Ok(MultipartParts {
        job: job_part,
        content,
    })
}

async fn create_multipart(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let MultipartParts {
        job: job_part,
        content,
    } = read_multipart(request).await?;
    let spec = IngestJobSpec::from_json(&job_part, state.store.schema())?;
    let job = Job::new_ingest(spec, new_job_origin(principal, version, state.clock.now()));
    let blobs = state.blobs.clone();
    let org = principal.org_id;
    let hold = state.config.hold_jobs;
    let job = state
        .with_store(move |store| {
            let job = store.create_job(org, job)?;
            store.begin_upload(org, job.id)?;
            let mut writer = blobs.create(&keys::upload(org, job.id))?;
            writer.write_all(&content)?;
            let size = writer.commit()?;
            store.end_upload(org, job.id, Some(size))?;
            // Closed at once: held in the same step under `serve --hold-jobs`.
            let (job, _) = store
                .transition_holding(
                    org,
                    job.id,
                    &[JobState::Open],
                    JobState::UploadComplete,
                    None,
                    hold,
                )?
                .ok_or_else(|| bulkforce_store::StoreError::Corrupt("job vanished".into()))?;
            Ok(job)
        })
        .await?;
    state.wake.notify_waiters();
    Ok(wire::json(StatusCode::OK, &job.create_json()))
}

/// `PUT /jobs/ingest/{id}/batches`: the job's one upload, streamed to a blob as it arrives (decoded from
/// gzip or deflate when its `Content-Encoding` says so; the limit counts the decoded bytes).
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
    let headers = request.headers();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let declared = text(header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    let encoding = BodyEncoding::from_header(text(header::CONTENT_ENCODING))?;
    load_job(state, principal, id, JobKind::Ingest).await?;
    // A compressed body's length says nothing of its decoded size: only the decoder can tell.
    if encoding == BodyEncoding::Identity && declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let org = principal.org_id;
    // If this request is dropped while the store reserves the upload, the guard releases what the store
    // reserved after all, so the job never stays reserved by an upload nobody sends.
    let (begun, begun_rx) = tokio::sync::oneshot::channel::<bool>();
    let pending = PendingReservation::new(state, org, id, begun_rx);
    let start = state
        .with_store(move |store| {
            let start = store.begin_upload(org, id);
            let _ = begun.send(matches!(start, Ok(Some(UploadStart::Started))));
            start
        })
        .await;
    pending.disarm();
    match start?.ok_or_else(ApiError::not_found)? {
        UploadStart::Started => {}
        UploadStart::AlreadyUploaded => {
            return Err(ApiError::new(
                400,
                "INVALIDJOB",
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
    let mut reservation = Reservation::new(state, org, id);
    let result = receive_upload(
        state,
        &mut reservation,
        request.into_body(),
        encoding,
        limit,
    )
    .await;
    let recorded = reservation.end(result.as_ref().ok().copied()).await?;
    match result {
        Ok(_) if recorded => Ok(wire::empty(StatusCode::CREATED)),
        // The reservation went while the body streamed (this instance stopped and released it): the
        // upload is not the job's, and the client must send it again.
        Ok(_) => Err(ApiError::new(
            503,
            wire::SERVER_UNAVAILABLE,
            "The server stopped while receiving the upload. Please send it again.",
        )),
        Err(UploadError::TooLarge) => Err(too_large()),
        Err(UploadError::Api(e)) => Err(e),
    }
}

/// What a blocking thread writing an upload's blob ends with.
type BlobWriter = tokio::task::JoinHandle<Result<u64, StoreBodyError>>;

/// A job's upload reservation, released if the upload does not end normally: when the request is dropped
/// mid-upload (its connection closed or timed out), the job must stay uploadable rather than refuse every
/// new upload. (A crash is covered at start, by `Store::release_claims`.)
struct Reservation {
    state: AppState,
    org: SfId,
    id: SfId,
    ended: bool,
    /// The thread writing the blob, while it may still commit: a dropped request releases the reservation
    /// only after it has finished, so a late commit can never land after a new upload's.
    writer: Option<BlobWriter>,
}

impl Reservation {
    fn new(state: &AppState, org: SfId, id: SfId) -> Reservation {
        Reservation {
            state: state.clone(),
            org,
            id,
            ended: false,
            writer: None,
        }
    }

    /// Waits for the blob writer started with this reservation.
    async fn writer_result(
        &mut self,
    ) -> Result<Result<u64, StoreBodyError>, tokio::task::JoinError> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(Err(StoreBodyError::Store(
                bulkforce_store::StoreError::Invalid("no upload writer".into()),
            )));
        };
        let result = writer.await;
        self.writer = None;
        result
    }

    /// Records the upload of `size` bytes, or (`None`) releases the reservation; whether the reservation
    /// was still there to end.
    async fn end(mut self, size: Option<u64>) -> Result<bool, ApiError> {
        self.ended = true;
        let (org, id) = (self.org, self.id);
        self.state
            .with_store(move |store| store.end_upload(org, id, size))
            .await
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let (store, org, id) = (self.state.store.clone(), self.org, self.id);
        let writer = self.writer.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some(writer) = writer {
                    let _ = writer.await;
                }
                release_upload(store, org, id).await;
            });
        }
    }
}

/// Releases a job's upload reservation nobody will end (its request is gone).
async fn release_upload(store: std::sync::Arc<dyn bulkforce_store::Store>, org: SfId, id: SfId) {
    let released = tokio::task::spawn_blocking(move || store.end_upload(org, id, None)).await;
    if let Ok(Err(e)) = released {
        tracing::warn!(error = %e, job = %id, "releasing an interrupted upload failed");
    }
}

/// The reservation a request is asking the store for: if the request is dropped before the store answers,
/// what the store reserved is released once it has answered.
struct PendingReservation {
    state: AppState,
    org: SfId,
    id: SfId,
    begun: Option<tokio::sync::oneshot::Receiver<bool>>,
}

impl PendingReservation {
    fn new(
        state: &AppState,
        org: SfId,
        id: SfId,
        begun: tokio::sync::oneshot::Receiver<bool>,
    ) -> PendingReservation {
        PendingReservation {
            state: state.clone(),
            org,
            id,
            begun: Some(begun),
        }
    }

    /// The request got the store's answer: it takes care of the reservation itself.
    fn disarm(mut self) {
        self.begun = None;
    }
}

impl Drop for PendingReservation {
    fn drop(&mut self) {
        let Some(begun) = self.begun.take() else {
            return;
        };
        let (store, org, id) = (self.state.store.clone(), self.org, self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if begun.await == Ok(true) {
                    release_upload(store, org, id).await;
                }
            });
        }
    }
}

enum UploadError {
    TooLarge,
    Api(ApiError),
}

/// Streams the body into the upload blob through a bounded channel; a blocking thread decodes and writes
/// it, and stops (so the rest is not read) past `limit` decoded bytes.
async fn receive_upload(
    state: &AppState,
    reservation: &mut Reservation,
    body: Body,
    encoding: BodyEncoding,
    limit: u64,
) -> Result<u64, UploadError> {
    let (org, id) = (reservation.org, reservation.id);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let blobs = state.blobs.clone();
    reservation.writer = Some(tokio::task::spawn_blocking(
        move || -> Result<u64, StoreBodyError> {
            let blob = blobs
                .create(&keys::upload(org, id))
                .map_err(StoreBodyError::Store)?;
            let mut sink = BodySink::new(blob, encoding, limit);
            while let Some(chunk) = rx.blocking_recv() {
                if chunk.is_empty() {
                    return sink.commit();
                }
                sink.write(&chunk)?;
            }
            Err(StoreBodyError::Store(bulkforce_store::StoreError::Invalid(
                "upload interrupted".into(),
            )))
        },
    ));
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if chunk.is_empty() => {}
            Ok(chunk) => {
                if tx.send(chunk).await.is_err() {
                    break; // the writer stopped: its answer says why
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
    let written = reservation
        .writer_result()
        .await
        .map_err(|e| UploadError::Api(wire::internal_error(&e)))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    if matches!(written, Err(StoreBodyError::TooLarge)) {
        drain(&mut stream).await;
    }
    written.map_err(|e| match e {
        StoreBodyError::TooLarge => UploadError::TooLarge,
        StoreBodyError::BadEncoding(detail) => UploadError::Api(ApiError::new(
            400,
            "INVALIDBATCH",
            format!("Reading the upload failed: the {encoding:?} data is invalid: {detail}"),
        )),
        StoreBodyError::Store(e) => UploadError::Api(wire::store_error(e)),
    })
}

/// Bytes of a refused body still read and dropped before answering, and for how long at most.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and drops what the client is still sending of a refused body, within bounds, before the answer:
/// a socket closed with unread data is reset, and the reset can destroy the answer before the client reads
/// it. A client sending more than the bounds allow gets the answer and the reset.
async fn drain(stream: &mut axum::body::BodyDataStream) {
    let mut dropped = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            dropped += chunk.len() as u64;
            if dropped > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}
