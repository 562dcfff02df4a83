//! `/_bulkforce/orgs` and `/_bulkforce/jobs…`: every org's jobs for the dashboard and the CLI, one job's
//! detail (its timeline of states and the Salesforce URLs of its results), and held jobs: a held job is
//! not claimed by any worker (an InProgress one stops after its current chunk) until it is released.
//!
//! Jobs are named by id alone, whatever their org: the store finds the org.

use super::{JobPath, answer, bad_request, method_not_allowed, not_found};
use crate::state::AppState;
use crate::wire::form_pairs;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{Job, JobKind, JobState};
use bulkforce_store::{HoldChange, JobFilter, JobSummary, StateChange};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// Jobs listed when the call names no limit, and the most one call lists.
const DEFAULT_LIMIT: usize = 200;
const MAX_LIMIT: usize = 1000;

/// `GET /_bulkforce/orgs`: every org with its number of users.
pub(super) async fn orgs(state: &AppState, request: Request) -> Response {
    if !is_read(request.method()) {
        return method_not_allowed("GET, HEAD");
    }
    let listed = state
        .with_store(|store| {
            let mut orgs = Vec::new();
            for org in store.list_orgs()? {
                let users = store.list_users(org.id)?.len();
                orgs.push(json!({
                    "id": org.id.as_str(),
                    "name": org.name,
                    "isDefault": org.is_default,
                    "users": users,
                }));
            }
            Ok(orgs)
        })
        .await;
    match listed {
        Ok(orgs) => answer(StatusCode::OK, &json!({ "orgs": orgs })),
        Err(e) => failure(&e),
    }
}

/// The job controls, each checking its method.
pub(super) async fn handle(state: &AppState, path: JobPath, request: Request) -> Response {
    let method = request.method().clone();
    match path {
        JobPath::All if is_read(&method) => list(state, request.uri().query()).await,
        JobPath::One(id) if is_read(&method) => detail(state, &id).await,
        JobPath::All | JobPath::One(_) => method_not_allowed("GET, HEAD"),
        JobPath::Hold(id) if method == Method::POST => set_held(state, &id, true).await,
        JobPath::Release(id) if method == Method::POST => set_held(state, &id, false).await,
        JobPath::Hold(_) | JobPath::Release(_) => method_not_allowed("POST"),
    }
}

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// `GET /_bulkforce/jobs?org=&type=&state=&object=&limit=`: newest first; an empty value filters nothing.
async fn list(state: &AppState, query: Option<&str>) -> Response {
    let filter = match parse_filter(query.unwrap_or_default()) {
        Ok(filter) => filter,
        Err(message) => return bad_request("INVALID_FILTER", &message),
    };
    match state
        .with_store(move |store| store.list_job_summaries(&filter))
        .await
    {
        Ok(jobs) => {
            let jobs: Vec<Value> = jobs.iter().map(summary_json).collect();
            answer(StatusCode::OK, &json!({ "jobs": jobs }))
        }
        Err(e) => failure(&e),
    }
}

/// The filter a listing's query string names, or what is wrong with it.
fn parse_filter(query: &str) -> Result<JobFilter, String> {
    let mut filter = JobFilter {
        limit: DEFAULT_LIMIT,
        ..JobFilter::default()
    };
    for (key, value) in form_pairs(query) {
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "org" => {
                filter.org = Some(
                    SfId::parse(&value).map_err(|_| format!("org {value:?} is not an org id"))?,
                );
            }
            "type" => {
                filter.kind = Some(match value.to_ascii_lowercase().as_str() {
                    "ingest" => JobKind::Ingest,
                    "query" => JobKind::Query,
                    _ => return Err(format!("type must be ingest or query, not {value:?}")),
                });
            }
            "state" => filter.state = Some(parse_state(&value)?),
            "object" => filter.object = Some(value),
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}, not {value:?}")
                    })?;
            }
            other => {
                return Err(format!(
                    "unknown filter {other:?}; the filters are org, type, state, object and limit"
                ));
            }
        }
    }
    Ok(filter)
}

/// A job state by name, in any case.
fn parse_state(text: &str) -> Result<JobState, String> {
    use JobState::*;
    [
        Open,
        UploadComplete,
        InProgress,
        JobComplete,
        Failed,
        Aborted,
    ]
    .into_iter()
    .find(|state| state.name().eq_ignore_ascii_case(text))
    .ok_or_else(|| {
        format!(
            "state must be Open, UploadComplete, InProgress, JobComplete, Failed or Aborted, not {text:?}"
        )
    })
}

/// `GET /_bulkforce/jobs/{id}`: the summary, the timeline, the processing time and the job's URLs.
async fn detail(state: &AppState, id: &str) -> Response {
    let Ok(id) = SfId::parse(id) else {
        return unknown_job();
    };
    // One store call: the job and its timeline as of one moment, so its state is its timeline's last.
    let found = state
        .with_store(move |store| store.find_job_detail(id))
        .await;
    match found {
        Ok(Some((summary, timeline))) => answer(StatusCode::OK, &detail_json(&summary, &timeline)),
        Ok(None) => unknown_job(),
        Err(e) => failure(&e),
    }
}

/// `POST /_bulkforce/jobs/{id}/hold` and `…/release`. A release wakes the workers: the job may be
/// claimed at once.
async fn set_held(state: &AppState, id: &str, held: bool) -> Response {
    let Ok(id) = SfId::parse(id) else {
        return unknown_job();
    };
    let changed = state
        .with_store(move |store| {
            let Some(found) = store.find_job(id)? else {
                return Ok(None);
            };
            store.set_job_held(found.org_id, id, held)
        })
        .await;
    match changed {
        Ok(Some(HoldChange::Done(summary))) => {
            if !held {
                state.wake.notify_waiters();
            }
            answer(StatusCode::OK, &summary_json(&summary))
        }
        Ok(Some(HoldChange::Finished(summary))) => answer(
            StatusCode::CONFLICT,
            &json!({
                "errorCode": "JOB_FINISHED",
                "message": format!(
                    "Job {} is {}: a job in a final state cannot be held",
                    summary.job.id,
                    summary.job.state
                ),
            }),
        ),
        Ok(None) => unknown_job(),
        Err(e) => failure(&e),
    }
}

/// The control API's JobSummary.
fn summary_json(summary: &JobSummary) -> Value {
    let job = &summary.job;
    json!({
        "id": job.id.as_str(),
        "orgId": summary.org_id.as_str(),
        "type": job.kind().segment(),
        "object": job.object,
        "operation": job.operation.name(),
        "state": job.state.name(),
        "held": summary.held,
        "createdDate": date(&job.created_date),
        "systemModstamp": date(&job.system_modstamp),
        "numberRecordsProcessed": job.number_records_processed,
        "numberRecordsFailed": job.number_records_failed,
        "errorMessage": job.error_message,
    })
}

/// A JobSummary with the job's timeline, its timings and its links.
fn detail_json(summary: &JobSummary, timeline: &[StateChange]) -> Value {
    let mut value = summary_json(summary);
    let timeline: Vec<Value> = timeline
        .iter()
        .map(|change| json!({"state": change.state.name(), "at": date(&change.at)}))
        .collect();
    if let Value::Object(map) = &mut value {
        map.insert("timeline".into(), json!(timeline));
        map.insert(
            "totalProcessingTime".into(),
            json!(summary.job.total_processing_time),
        );
        map.insert(
            "apiActiveProcessingTime".into(),
            json!(summary.job.api_active_processing_time),
        );
        map.insert("links".into(), links(&summary.job));
    }
    value
}

/// The Salesforce URLs of the job and of its results, through the job's API version.
fn links(job: &Job) -> Value {
    let base = format!(
        "/services/data/v{}/jobs/{}/{}",
        job.api_version,
        job.kind().segment(),
        job.id
    );
    match job.kind() {
        JobKind::Ingest => json!({
            "job": base,
            "successfulResults": format!("{base}/successfulResults"),
            "failedResults": format!("{base}/failedResults"),
            "unprocessedRecords": format!("{base}/unprocessedrecords"),
        }),
        JobKind::Query => json!({
            "job": base,
            "results": format!("{base}/results"),
        }),
    }
}

/// RFC 3339 in UTC with milliseconds, as every control date.
fn date(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn unknown_job() -> Response {
    not_found("No job has this id")
}

/// A storage failure (already logged by `with_store`), in the control API's error shape.
fn failure(e: &ApiError) -> Response {
    answer(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"errorCode": e.error_code, "message": e.message}),
    )
}

#[cfg(test)]
mod tests {
    use super::{MAX_LIMIT, parse_filter};
    use bulkforce_core::job::{JobKind, JobState};

    #[test]
    fn filters_are_parsed_and_checked() {
        let filter = parse_filter("type=QUERY&state=jobcomplete&object=Account&limit=5&org=")
            .expect("a valid filter");
        assert_eq!(filter.kind, Some(JobKind::Query));
        assert_eq!(filter.state, Some(JobState::JobComplete));
        assert_eq!(filter.object.as_deref(), Some("Account"));
        assert_eq!(filter.limit, 5);
        assert_eq!(filter.org, None, "an empty value filters nothing");
        assert_eq!(parse_filter("").expect("no filter").limit, 200);
        for bad in [
            "type=bulk",
            "state=Done",
            "limit=0",
            &format!("limit={}", MAX_LIMIT + 1),
            "limit=ten",
            "org=nope",
            "color=red",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad} is refused");
        }
    }
}
