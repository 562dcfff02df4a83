//! The job controls over real HTTP: the orgs and jobs listings with their filters, a job's detail with its
//! timeline, and held jobs: held while Open (it stays UploadComplete once closed), held while InProgress
//! (it stops after a chunk and resumes from its checkpoint with every row once), `--hold-jobs`, held query
//! jobs, finished jobs refused, and a hold kept across a restart.

mod common;

use chrono::{DateTime, Utc};
use common::{Server, id_of, parse_csv, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

/// How often, and how long, a test checks that a held job does not move.
const STILL_CHECKS: usize = 10;
const STILL_INTERVAL: Duration = Duration::from_millis(100);
/// Polls of the job controls before a test gives up waiting.
const POLLS: usize = 400;
const POLL_INTERVAL: Duration = Duration::from_millis(25);

const ACCOUNT_INSERT: &str = r#"{"object":"Account","operation":"insert"}"#;

/// A control request with the admin's token; its status and JSON body.
async fn control(server: &Server, method: Method, path: &str) -> (StatusCode, Value) {
    let reply = server.control(method, path, Some(server.token())).await;
    let body = if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    };
    (reply.status, body)
}

async fn control_ok(server: &Server, method: Method, path: &str) -> Value {
    let (status, body) = control(server, method, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn hold(server: &Server, id: &str) -> Value {
    control_ok(server, Method::POST, &format!("/_bulkforce/jobs/{id}/hold")).await
}

async fn release(server: &Server, id: &str) -> Value {
    control_ok(
        server,
        Method::POST,
        &format!("/_bulkforce/jobs/{id}/release"),
    )
    .await
}

async fn detail(server: &Server, id: &str) -> Value {
    control_ok(server, Method::GET, &format!("/_bulkforce/jobs/{id}")).await
}

/// The ids a listing with `query` returns, in order.
async fn listed(server: &Server, query: &str) -> Vec<String> {
    let body = control_ok(server, Method::GET, &format!("/_bulkforce/jobs{query}")).await;
    body["jobs"]
        .as_array()
        .expect("a jobs array")
        .iter()
        .map(id_of)
        .collect()
}

/// An Account CSV of `rows` rows named `Row 0`, `Row 1`, ….
fn accounts(rows: usize) -> String {
    let mut csv = String::from("Name\n");
    for n in 0..rows {
        csv.push_str(&format!("Row {n}\n"));
    }
    csv
}

/// Creates an Account insert job and uploads `rows` rows, leaving it Open.
async fn uploaded(server: &Server, rows: usize) -> String {
    let id = server
        .create_id(&serde_json::from_str(ACCOUNT_INSERT).unwrap())
        .await;
    server.upload_ok(&id, accounts(rows)).await;
    id
}

/// Creates a query job; its id.
async fn create_query(server: &Server, soql: &str) -> String {
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .header("Content-Type", "application/json")
                .body(json!({"operation": "query", "query": soql}).to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    id_of(&reply.json())
}

async fn query_info(server: &Server, id: &str) -> Value {
    let reply = server.get(&server.api(&format!("/jobs/query/{id}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// Polls a query job until it is final (bounded); its info.
async fn wait_for_query(server: &Server, id: &str) -> Value {
    for _ in 0..POLLS {
        let info = query_info(server, id).await;
        if matches!(
            info["state"].as_str(),
            Some("JobComplete" | "Failed" | "Aborted")
        ) {
            return info;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    panic!(
        "query job {id} did not finish: {}",
        query_info(server, id).await
    );
}

/// Checks `STILL_CHECKS` times across about a second that the held job's Salesforce info keeps `state`
/// and `processed` records, and that the control API shows it held.
async fn assert_stays(server: &Server, id: &str, state: &str, processed: u64, query: bool) {
    for _ in 0..STILL_CHECKS {
        let info = if query {
            query_info(server, id).await
        } else {
            server.info(id).await
        };
        assert_eq!(info["state"], state, "{info}");
        assert_eq!(info["numberRecordsProcessed"], processed, "{info}");
        assert_eq!(detail(server, id).await["held"], true);
        tokio::time::sleep(STILL_INTERVAL).await;
    }
}

/// Polls the control API until the job's processed count stops moving while held: the worker gave the
/// job up after its current chunk. Returns that count.
async fn wait_until_stopped(server: &Server, id: &str) -> u64 {
    let mut last = None;
    let mut unchanged = 0;
    for _ in 0..POLLS {
        let job = detail(server, id).await;
        let processed = job["numberRecordsProcessed"].as_u64().expect("a count");
        if last == Some(processed) {
            unchanged += 1;
            // Several chunk delays without a row: the worker has let the job go.
            if unchanged == 8 {
                return processed;
            }
        } else {
            unchanged = 0;
        }
        last = Some(processed);
        tokio::time::sleep(POLL_INTERVAL * 2).await;
    }
    panic!("held job {id} never stopped: {}", detail(server, id).await);
}

/// Asserts the finished job applied `rows` rows exactly once: counts, successful results, records.
async fn assert_every_row_once(server: &Server, id: &str, rows: usize) {
    let info = server.wait(id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], rows as u64);
    assert_eq!(info["numberRecordsFailed"], 0);
    let results = server.results(id).await;
    let successful = parse_csv(&results.successful, b',');
    assert_eq!(successful.len(), rows + 1, "a header and one line per row");
    let names: HashSet<&str> = successful[1..]
        .iter()
        .map(|row| row.last().expect("the Name cell").as_str())
        .collect();
    assert_eq!(names.len(), rows, "no row reported twice");
    assert!((0..rows).all(|n| names.contains(format!("Row {n}").as_str())));
    assert_eq!(server.count("Account", true).await, rows as u64);
}

#[tokio::test]
async fn job_controls_need_the_token() {
    let server = start().await;
    let id = uploaded(&server, 1).await;
    for (method, path) in [
        (Method::GET, "/_bulkforce/orgs".to_owned()),
        (Method::GET, "/_bulkforce/jobs".to_owned()),
        (Method::GET, format!("/_bulkforce/jobs/{id}")),
        (Method::POST, format!("/_bulkforce/jobs/{id}/hold")),
        (Method::POST, format!("/_bulkforce/jobs/{id}/release")),
    ] {
        for token in [None, Some("wrong-token")] {
            let reply = server.control(method.clone(), &path, token).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
        }
    }
    assert_eq!(
        detail(&server, &id).await["held"],
        false,
        "nothing was held"
    );
}

#[tokio::test]
async fn orgs_are_listed_with_their_users() {
    let server = start().await;
    let store = server.running.state.store.clone();
    let other =
        tokio::task::spawn_blocking(move || store.create_org("Second", "second@orgs.test", None))
            .await
            .unwrap()
            .unwrap();
    let body = control_ok(&server, Method::GET, "/_bulkforce/orgs").await;
    let orgs = body["orgs"].as_array().expect("an orgs array");
    assert_eq!(orgs.len(), 2, "{body}");
    let default = orgs
        .iter()
        .find(|o| o["id"] == server.org().as_str())
        .expect("the default org");
    assert_eq!(default["isDefault"], true);
    assert!(default["users"].as_u64().unwrap() >= 1);
    let second = orgs
        .iter()
        .find(|o| o["id"] == other.org_id.as_str())
        .expect("the second org");
    assert_eq!(second["name"], "Second");
    assert_eq!(second["isDefault"], false);
    assert_eq!(second["users"], 1);
    let (status, _) = control(&server, Method::POST, "/_bulkforce/orgs").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn jobs_are_listed_newest_first_with_filters() {
    let server = start().await;
    let open = server
        .create_id(&json!({"object": "Contact", "operation": "insert"}))
        .await;
    let done = uploaded(&server, 3).await;
    server.close(&done).await;
    server.wait(&done).await;
    let query = create_query(&server, "SELECT Id FROM Account").await;
    wait_for_query(&server, &query).await;
    assert_eq!(
        listed(&server, "").await,
        [query.as_str(), done.as_str(), open.as_str()]
    );
    assert_eq!(listed(&server, "?type=query").await, [query.as_str()]);
    assert_eq!(
        listed(&server, "?type=ingest").await,
        [done.as_str(), open.as_str()]
    );
    assert_eq!(listed(&server, "?state=Open").await, [open.as_str()]);
    assert_eq!(
        listed(&server, "?state=JobComplete&type=ingest").await,
        [done.as_str()]
    );
    assert_eq!(listed(&server, "?object=contact").await, [open.as_str()]);
    assert_eq!(
        listed(&server, "?object=Account").await,
        [query.as_str(), done.as_str()]
    );
    assert_eq!(listed(&server, "?limit=1").await, [query.as_str()]);
    let org = server.org();
    assert_eq!(listed(&server, &format!("?org={org}")).await.len(), 3);
    assert!(listed(&server, "?state=Failed").await.is_empty());
    let summary = control_ok(
        &server,
        Method::GET,
        "/_bulkforce/jobs?type=ingest&state=JobComplete",
    )
    .await["jobs"][0]
        .clone();
    assert_eq!(summary["orgId"], org.as_str());
    assert_eq!(summary["type"], "ingest");
    assert_eq!(summary["object"], "Account");
    assert_eq!(summary["operation"], "insert");
    assert_eq!(summary["held"], false);
    assert_eq!(summary["numberRecordsProcessed"], 3);
    assert_eq!(summary["numberRecordsFailed"], 0);
    assert_eq!(summary["errorMessage"], Value::Null);
    assert!(summary["createdDate"].as_str().unwrap().ends_with('Z'));
    for bad in [
        "?type=bulk",
        "?state=Done",
        "?limit=0",
        "?limit=1001",
        "?org=x",
        "?colour=red",
    ] {
        let (status, body) = control(&server, Method::GET, &format!("/_bulkforce/jobs{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["errorCode"], "INVALID_FILTER", "{bad}");
    }
    let reply = server
        .control(Method::POST, "/_bulkforce/jobs", Some(server.token()))
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow").as_deref(), Some("GET, HEAD"));
}

#[tokio::test]
async fn a_job_detail_has_its_timeline_timings_and_links() {
    let server = start().await;
    let id = uploaded(&server, 5).await;
    server.close(&id).await;
    server.wait(&id).await;
    let job = detail(&server, &id).await;
    let states: Vec<&str> = job["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|entry| entry["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["Open", "UploadComplete", "InProgress", "JobComplete"]
    );
    let times: Vec<DateTime<Utc>> = job["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let at = entry["at"].as_str().unwrap();
            assert!(
                at.ends_with('Z') && at.len() == 24,
                "{at}: RFC 3339 with milliseconds"
            );
            at.parse().unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[0] < times[3], "{times:?}");
    assert!(job["totalProcessingTime"].as_u64().is_some(), "{job}");
    let base = format!("/services/data/v62.0/jobs/ingest/{id}");
    assert_eq!(job["links"]["job"], base);
    assert_eq!(
        job["links"]["successfulResults"],
        format!("{base}/successfulResults")
    );
    assert_eq!(
        job["links"]["failedResults"],
        format!("{base}/failedResults")
    );
    assert_eq!(
        job["links"]["unprocessedRecords"],
        format!("{base}/unprocessedrecords")
    );
    // The links are the Salesforce URLs: they answer.
    let results = server
        .get(&server.url(&format!("{base}/successfulResults")))
        .await;
    assert_eq!(results.status, StatusCode::OK);
    let query = create_query(&server, "SELECT Name FROM Account").await;
    wait_for_query(&server, &query).await;
    let job = detail(&server, &query).await;
    assert_eq!(job["timeline"][0]["state"], "UploadComplete");
    assert_eq!(job["timeline"][2]["state"], "JobComplete");
    assert_eq!(
        job["links"]["results"],
        format!("/services/data/v62.0/jobs/query/{query}/results")
    );
    // Unknown ids, in a job id's shape or not, and wrong methods.
    for unknown in ["750000000000000AAA", "nope"] {
        let (status, body) =
            control(&server, Method::GET, &format!("/_bulkforce/jobs/{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert_eq!(body["errorCode"], "NOT_FOUND");
        let (status, _) = control(
            &server,
            Method::POST,
            &format!("/_bulkforce/jobs/{unknown}/hold"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
    let reply = server
        .control(
            Method::DELETE,
            &format!("/_bulkforce/jobs/{id}"),
            Some(server.token()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = server
        .control(
            Method::GET,
            &format!("/_bulkforce/jobs/{id}/hold"),
            Some(server.token()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
}

#[tokio::test]
async fn a_job_held_while_open_stays_upload_complete_until_released() {
    let server = start().await;
    let id = uploaded(&server, 50).await;
    let held = hold(&server, &id).await;
    assert_eq!(held["held"], true);
    assert_eq!(held["state"], "Open");
    server.close(&id).await;
    assert_stays(&server, &id, "UploadComplete", 0, false).await;
    let released = release(&server, &id).await;
    assert_eq!(released["held"], false);
    assert_every_row_once(&server, &id, 50).await;
}

#[tokio::test]
async fn a_running_job_held_stops_after_a_chunk_and_resumes_from_its_checkpoint() {
    let server = start_with(|c| {
        c.chunk_rows = 10;
        c.chunk_delay_ms = 40;
    })
    .await;
    let rows = 300;
    let id = uploaded(&server, rows).await;
    server.close(&id).await;
    // Wait until some rows are in, then hold.
    for _ in 0..POLLS {
        if server.info(&id).await["numberRecordsProcessed"]
            .as_u64()
            .unwrap()
            > 0
        {
            break;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    assert_eq!(hold(&server, &id).await["held"], true);
    let processed = wait_until_stopped(&server, &id).await;
    assert!(
        processed > 0 && processed < rows as u64,
        "stopped part-way: {processed} of {rows}"
    );
    assert_stays(&server, &id, "InProgress", processed, false).await;
    assert_eq!(
        server.count("Account", true).await,
        processed,
        "every processed row is applied, and no other"
    );
    assert_eq!(release(&server, &id).await["held"], false);
    assert_every_row_once(&server, &id, rows).await;
    let states: Vec<Value> = detail(&server, &id).await["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["state"].clone())
        .collect();
    assert_eq!(
        states,
        ["Open", "UploadComplete", "InProgress", "JobComplete"],
        "the resume enters no state"
    );
}

#[tokio::test]
async fn hold_jobs_holds_every_job_as_it_is_closed_and_query_jobs_at_creation() {
    let server = start_with(|c| c.hold_jobs = true).await;
    let ingest = uploaded(&server, 20).await;
    assert_eq!(
        detail(&server, &ingest).await["held"],
        false,
        "Open: not yet"
    );
    server.close(&ingest).await;
    let query = create_query(&server, "SELECT Name FROM Account").await;
    assert_stays(&server, &ingest, "UploadComplete", 0, false).await;
    assert_stays(&server, &query, "UploadComplete", 0, true).await;
    let held = listed(&server, "?state=UploadComplete").await;
    assert_eq!(held, [query.as_str(), ingest.as_str()]);
    release(&server, &ingest).await;
    assert_every_row_once(&server, &ingest, 20).await;
    release(&server, &query).await;
    let info = wait_for_query(&server, &query).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(
        info["numberRecordsProcessed"], 20,
        "the query ran after the insert"
    );
}

#[tokio::test]
async fn a_finished_job_cannot_be_held() {
    let server = start().await;
    let id = uploaded(&server, 2).await;
    server.close(&id).await;
    server.wait(&id).await;
    let (status, body) = control(
        &server,
        Method::POST,
        &format!("/_bulkforce/jobs/{id}/hold"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["errorCode"], "JOB_FINISHED");
    let aborted = uploaded(&server, 2).await;
    hold(&server, &aborted).await;
    assert_eq!(
        server.patch_state(&aborted, "Aborted").await.status,
        StatusCode::OK
    );
    assert_eq!(
        detail(&server, &aborted).await["held"],
        false,
        "an abort ends the hold"
    );
    let (status, body) = control(
        &server,
        Method::POST,
        &format!("/_bulkforce/jobs/{aborted}/hold"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        release(&server, &id).await["held"],
        false,
        "a release is harmless"
    );
}

/// A hold is in the store: a server started again on the same data dir keeps the job waiting. Each server
/// runs on a runtime of its own, shut down in between, so that nothing of the first one (workers, the
/// data dir lock) outlives it.
#[test]
fn a_hold_survives_a_restart() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = runtime();
    let id = first.block_on(async {
        let server = start_with(|c| c.data_dir = dir.clone()).await;
        let id = uploaded(&server, 30).await;
        hold(&server, &id).await;
        server.close(&id).await;
        assert_eq!(server.info(&id).await["state"], "UploadComplete");
        id
    });
    first.shutdown_timeout(Duration::from_secs(10));
    runtime().block_on(async {
        let server = start_with(|c| c.data_dir = dir.clone()).await;
        assert_stays(&server, &id, "UploadComplete", 0, false).await;
        release(&server, &id).await;
        assert_every_row_once(&server, &id, 30).await;
    });
}

/// Without a chunk delay a worker applies chunks in transactions of up to a second, holding the org's
/// writer meanwhile: a hold asked for then is seen before the transaction's next chunk (not after the
/// whole transaction, which could take the rest of the job), the job stops part-way, and the release
/// completes it with every row once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_stops_a_large_job_inside_its_transaction_after_the_current_chunk() {
    hold_in_the_first_transaction(200_000).await;
}

/// A job whose rows all fit in the first transaction: a hold that waited for the transaction would only
/// land once every row is in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_stops_a_job_that_fits_one_transaction_before_it_completes() {
    hold_in_the_first_transaction(30_000).await;
}

/// Holds a job of `rows` rows (default chunking, no chunk delay) as soon as a worker runs it, inside its
/// first transaction; checks that it stops part-way and that a release completes it, every row once.
async fn hold_in_the_first_transaction(rows: usize) {
    let server = start().await;
    let id = uploaded(&server, rows).await;
    server.close(&id).await;
    let mut running = false;
    for _ in 0..POLLS * 20 {
        let job = detail(&server, &id).await;
        if job["state"] == "InProgress" {
            assert_eq!(
                job["numberRecordsProcessed"], 0,
                "caught in its first transaction"
            );
            running = true;
            break;
        }
        assert_eq!(job["state"], "UploadComplete", "{job}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(running, "the job never started");
    let held = hold(&server, &id).await;
    assert_eq!(held["held"], true);
    assert_eq!(
        held["state"], "InProgress",
        "held before it completed: {held}"
    );
    let processed = wait_until_stopped(&server, &id).await;
    assert!(
        processed < rows as u64,
        "the hold stopped the job part-way, not after the rest of its transaction: {processed} of {rows}"
    );
    assert_stays(&server, &id, "InProgress", processed, false).await;
    assert_eq!(
        server.count("Account", true).await,
        processed,
        "every processed row is applied, and no other"
    );
    assert_eq!(release(&server, &id).await["held"], false);
    assert_every_row_once(&server, &id, rows).await;
}
