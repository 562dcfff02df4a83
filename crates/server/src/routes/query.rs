//! Query jobs: create (the SOQL is checked at once), results pages with locators, parallel result pages.

use super::jobs::{form_pairs, load_job, small_body};
use crate::endpoint::MIN_RESULT_PAGES_VERSION;
use crate::http::{self, blocking};
use crate::soql::Mode;
use crate::soql::compile_query;
use crate::state::AppState;
use crate::worker::ChannelWriter;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::csv::write_quoted_row;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{
    ApiVersion, Job, JobKind, JobState, Operation, json_error, parse_dialect,
};
use bulkforce_store::blob::keys;
use bulkforce_store::{Principal, StoreError};
use flate2::Compression;
use flate2::write::GzEncoder;
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
    let now = chrono::Utc::now();
    let now = now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)));
    let bound = compile_query(state.store.schema(), &text, now, Mode::BulkQuery)?;
    let job = Job {
        id: principal.org_id,
        operation,
        object: bound.object.name.clone(),
        created_by_id: principal.user_id,
        created_date: now,
        system_modstamp: now,
        state: JobState::UploadComplete,
        external_id_field_name: None,
        assignment_rule_id: None,
        api_version: version,
        dialect,
        number_records_processed: 0,
        number_records_failed: 0,
        retries: 0,
        total_processing_time: 0,
        api_active_processing_time: 0,
        apex_processing_time: 0,
        error_message: None,
        upload_bytes: None,
        query: Some(text),
    };
    let store = state.store.clone();
    let org = principal.org_id;
    let job = blocking(move || store.create_job(org, job)).await?;
    state.usage.add(org, crate::state::Counter::QueryJobs, 1);
    state.wake.notify_waiters();
    Ok(http::json(StatusCode::OK, &job.create_json()))
}

/// Salesforce's unpadded, URL-safe base64 of the next row offset (`MTA` is row 10).
pub fn encode_locator(row: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = row.to_string().into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The row offset of a locator, if it is one this server issued.
pub fn decode_locator(locator: &str) -> Option<u64> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let input = locator.trim_end_matches('=').as_bytes();
    if input.is_empty() || input.len() % 4 == 1 || input.len() > 28 {
        return None;
    }
    let mut bytes = Vec::new();
    for chunk in input.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            bytes.push((n >> (16 - 8 * i)) as u8);
        }
    }
    let text = String::from_utf8(bytes).ok()?;
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

    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let blobs = state.blobs.clone();
    let org = principal.org_id;
    let (start, job_id) = (page.start, job.id);
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter::new(tx);
        let written = if gzip {
            let mut encoder = GzEncoder::new(sink, Compression::fast());
            write_page(&mut encoder, &*blobs, org, job_id, start, count)
                .and_then(|_| encoder.finish().map_err(StoreError::from))
                .and_then(|mut sink| sink.flush().map_err(StoreError::from))
        } else {
            let mut sink = sink;
            write_page(&mut sink, &*blobs, org, job_id, start, count)
                .and_then(|_| sink.flush().map_err(StoreError::from))
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "query result download stopped");
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = http::csv(Body::from_stream(stream), gzip);
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
    Ok(http::json(
        StatusCode::OK,
        &json!({ "resultPages": urls, "nextRecordsUrl": next, "done": done }),
    ))
}

/// Writes the quoted header row of a query result.
pub fn header_row(headers: &[String], dialect: bulkforce_core::csv::Dialect) -> Vec<u8> {
    let mut out = Vec::new();
    write_quoted_row(&mut out, dialect, headers.iter().map(|h| h.as_bytes()));
    out
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
