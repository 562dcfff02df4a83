//! Query jobs: create (the SOQL is checked at once), results pages with locators, parallel result pages.

use super::jobs::{load_job, new_job_origin};
use crate::endpoint::MIN_RESULT_PAGES_VERSION;
use crate::soql::Mode;
use crate::soql::compile_query;
use crate::state::AppState;
use crate::wire::{self, form_pairs, small_body};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{
    ApiVersion, Job, JobKind, JobState, Operation, json_error, parse_dialect,
};
use bulkforce_store::ApiCounter;
use bulkforce_store::blob::keys;
use bulkforce_store::{Principal, StoreError};
use serde::Deserialize;
use serde_json::json;
use std::io::{self, Read, Write};

/// Rows per results page when the request names no `maxRecords`: the whole result, so that clients that
/// read one page only (jsforce's `bulk2.query()`, `sf data export bulk`) get everything.
const DEFAULT_PAGE_ROWS: u64 = u64::MAX;
/// Rows per page in `resultPages` when the request names no `maxRecords`.
const DEFAULT_PARALLEL_PAGE_ROWS: u64 = 100_000;
/// Result URLs per `resultPages` answer.
const PAGES_PER_ANSWER: u64 = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateQueryBody {
    operation: Option<String>,
    query: Option<String>,
    content_type: Option<String>,
    column_delimiter: Option<String>,
    line_ending: Option<String>,
}

/// `POST /jobs/query`.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let body = small_body(request).await?;
    let raw: CreateQueryBody = serde_json::from_slice(&body).map_err(|e| json_error(&e))?;
    let operation_text = raw.operation.unwrap_or_default();
    let operation = match operation_text.parse::<Operation>() {
        Ok(op) if op.kind() == JobKind::Query => op,
        _ => return Err(ApiError::invalid_property(&operation_text, "operation")),
    };
    if let Some(content_type) = raw.content_type.as_deref().filter(|c| *c != "CSV") {
        return Err(ApiError::invalid_property(content_type, "contentType"));
    }
    let dialect = parse_dialect(raw.column_delimiter.as_deref(), raw.line_ending.as_deref())?;
    let text = raw.query.unwrap_or_default();
    let origin = new_job_origin(principal, version, state.clock.now());
    // Date literals are anchored at the job's creation time, here and when a worker runs it.
    let bound = compile_query(state.store.schema(), &text, origin.created, Mode::BulkQuery)?;
    let job = Job::new_query(operation, bound.object.name.clone(), text, dialect, origin);
    let org = principal.org_id;
    // `serve --hold-jobs`: a query job waits from its creation until released.
    let hold = state.config.hold_jobs;
    let job = state
        .with_store(move |store| {
            let job = store.create_job_holding(org, job, hold)?;
            store.add_api_usage(org, ApiCounter::QueryJobs, 1, store.clock().now())?;
            Ok(job)
        })
        .await?;
    state.wake.notify_waiters();
    Ok(wire::json(StatusCode::OK, &job.create_json()))
}

/// Salesforce's locator alphabet: URL-safe base64, written unpadded; read with or without padding, and with
/// whatever bits trail the last character (a locator is only ever checked by what it decodes to).
const LOCATOR: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The longest locator read: the base64 of the largest row offset (20 digits) is 27 characters.
const MAX_LOCATOR_CHARS: usize = 28;

/// Salesforce's unpadded, URL-safe base64 of the next row offset's decimal digits (`MTA` is row 10).
pub fn encode_locator(row: u64) -> String {
    LOCATOR.encode(row.to_string())
}

/// The row offset of a locator, if it is one this server issued: base64 (URL-safe or standard alphabet) of
/// a decimal number without leading zeros.
pub fn decode_locator(locator: &str) -> Option<u64> {
    let unpadded = locator.trim_end_matches('=');
    if unpadded.is_empty() || unpadded.len() > MAX_LOCATOR_CHARS {
        return None;
    }
    // Either alphabet is accepted, as clients may re-encode the locator with the standard one.
    let url_safe = unpadded.replace('+', "-").replace('/', "_");
    let text = String::from_utf8(LOCATOR.decode(url_safe).ok()?).ok()?;
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    text.parse().ok()
}

fn bad_locator() -> ApiError {
    ApiError::new(
        400,
        "INVALID_LOCATOR",
        "The locator is not valid for this job's results",
    )
}

struct PageRequest {
    start: u64,
    max_records: Option<u64>,
}

fn page_request(query: &str) -> Result<PageRequest, ApiError> {
    let mut request = PageRequest {
        start: 0,
        max_records: None,
    };
    for (key, value) in form_pairs(query) {
        match key.as_str() {
            "locator" if !value.is_empty() && value != "null" => {
                request.start = decode_locator(&value).ok_or_else(bad_locator)?;
            }
            "maxRecords" if !value.is_empty() => {
                let n: u64 = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ApiError::new(
                        400,
                        "INVALIDQUERYPARAMETER",
                        format!("Invalid value for maxRecords: {value}"),
                    )
                })?;
                request.max_records = Some(n);
            }
            _ => {}
        }
    }
    Ok(request)
}

/// A query job that can serve results through `version`.
async fn completed_job(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    version: ApiVersion,
) -> Result<Job, ApiError> {
    let job = load_job(state, principal, id, JobKind::Query).await?;
    if job.api_version != version {
        return Err(ApiError::new(
            409,
            "API_VERSION_MISMATCH",
            format!(
                "This job was created with API version {}; request its results with the same version",
                job.api_version
            ),
        ));
    }
    if job.state != JobState::JobComplete {
        let current = match job.state {
            JobState::UploadComplete => "UPLOAD_COMPLETE",
            JobState::InProgress => "IN_PROGRESS",
            JobState::Failed => "FAILED",
            JobState::Aborted => "ABORTED",
            _ => "OPEN",
        };
        return Err(ApiError::new(
            400,
            "JOB_NOT_COMPLETE",
            format!(
                "can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: {current}"
            ),
        ));
    }
    Ok(job)
}

/// `GET /jobs/query/{id}/results?locator=…&maxRecords=…`: one page, its header row first.
pub async fn results(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    version: ApiVersion,
    query: &str,
    gzip: bool,
) -> Result<Response, ApiError> {
    let page = page_request(query)?;
    let job = completed_job(state, principal, id, version).await?;
    let total = job.number_records_processed;
    if page.start > total || (page.start == total && page.start > 0) {
        return Err(bad_locator());
    }
    let count = page
        .max_records
        .unwrap_or(DEFAULT_PAGE_ROWS)
        .min(total - page.start);
    let next = page.start + count;
    let locator = if next < total {
        encode_locator(next)
    } else {
        "null".to_owned()
    };

    let blobs = state.blobs.clone();
    let (org, start, job_id) = (principal.org_id, page.start, job.id);
    let mut response = wire::stream_csv(gzip, "query result", move |out| {
        write_page(out, &*blobs, org, job_id, start, count)
    });
    let headers = response.headers_mut();
    headers.insert(
        "Sforce-Locator",
        HeaderValue::from_str(&locator).unwrap_or(HeaderValue::from_static("null")),
    );
    headers.insert("Sforce-NumberOfRecords", HeaderValue::from(count));
    Ok(response)
}

fn read_u64_at(
    blobs: &dyn bulkforce_store::blob::BlobStore,
    key: &str,
    row: u64,
) -> Result<Option<u64>, StoreError> {
    let Some(mut reader) = blobs.open(key, row * 8)? else {
        return Ok(None);
    };
    let mut bytes = [0u8; 8];
    match reader.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(u64::from_le_bytes(bytes))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The header line, then rows `[start, start + count)`, copied as bytes through the row index.
fn write_page(
    out: &mut dyn Write,
    blobs: &dyn bulkforce_store::blob::BlobStore,
    org: SfId,
    job: SfId,
    start: u64,
    count: u64,
) -> Result<(), StoreError> {
    let results = keys::query_results(org, job);
    let index = keys::query_index(org, job);
    let size = blobs
        .size(&results)?
        .ok_or_else(|| StoreError::Corrupt("query results are missing".into()))?;
    let header_end = read_u64_at(blobs, &index, 0)?.unwrap_or(size);
    let mut header = blobs
        .open(&results, 0)?
        .ok_or_else(|| StoreError::Corrupt("results vanished".into()))?;
    io::copy(&mut (&mut header).take(header_end), out)?;
    if count == 0 {
        return Ok(());
    }
    let from = read_u64_at(blobs, &index, start)?
        .ok_or_else(|| StoreError::Corrupt("row index too short".into()))?;
    let to = read_u64_at(blobs, &index, start + count)?.unwrap_or(size);
    let rows = blobs
        .open(&results, from)?
        .ok_or_else(|| StoreError::Corrupt("results vanished".into()))?;
    io::copy(&mut rows.take(to - from), out)?;
    Ok(())
}

/// `GET /jobs/query/{id}/resultPages`: up to five result URLs to fetch in parallel.
pub async fn result_pages(
    state: &AppState,
    principal: &Principal,
    id: SfId,
    version: ApiVersion,
    query: &str,
) -> Result<Response, ApiError> {
    debug_assert!(version.0 >= MIN_RESULT_PAGES_VERSION);
    let page = page_request(query)?;
    let job = completed_job(state, principal, id, version).await?;
    let total = job.number_records_processed;
    if page.start > total || (page.start == total && page.start > 0) {
        return Err(bad_locator());
    }
    let size = page.max_records.unwrap_or(DEFAULT_PARALLEL_PAGE_ROWS);
    let base = format!("/services/data/v{version}/jobs/query/{id}");
    let mut urls = Vec::new();
    let mut row = page.start;
    while urls.len() < PAGES_PER_ANSWER as usize && (row < total || (total == 0 && urls.is_empty()))
    {
        urls.push(json!({ "resultUrl": format!("{base}/results?locator={}&maxRecords={size}", encode_locator(row)) }));
        row = row.saturating_add(size);
    }
    let done = row >= total;
    let next = if done {
        serde_json::Value::Null
    } else {
        json!(format!(
            "{base}/resultPages?locator={}&maxRecords={size}",
            encode_locator(row)
        ))
    };
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "resultPages": urls, "nextRecordsUrl": next, "done": done }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_are_salesforce_base64_of_the_offset() {
        assert_eq!(encode_locator(10), "MTA");
        assert_eq!(encode_locator(10000), "MTAwMDA");
        assert_eq!(encode_locator(200000), "MjAwMDAw");
        for n in [0, 1, 9, 10, 99, 12345, 999_999_999] {
            assert_eq!(decode_locator(&encode_locator(n)), Some(n));
        }
        assert_eq!(decode_locator("not a locator!"), None);
        assert_eq!(decode_locator("null"), None);
        assert_eq!(decode_locator(""), None);
    }
}
