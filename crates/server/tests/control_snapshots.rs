//! The snapshot controls over real HTTP: taking, listing, restoring and deleting snapshots, refused
//! without the control credential; names checked and taken once; a restore brings back the records, the
//! jobs and their result files as they were; and a job InProgress when its snapshot was taken finishes
//! after the restore with every row exactly once, even while its worker was still running it.

mod common;

use common::{Server, id_of, parse_csv, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const ACCOUNT_INSERT: &str = r#"{"object":"Account","operation":"insert"}"#;

fn accounts(prefix: &str, rows: usize) -> String {
    let mut csv = String::from("Name\n");
    for n in 0..rows {
        csv.push_str(&format!("{prefix} {n}\n"));
    }
    csv
}

/// `POST /_bulkforce/snapshots` with `body` and the admin's token.
async fn create(server: &Server, body: &str) -> common::Reply {
    send(server, Method::POST, "/_bulkforce/snapshots", Some(body)).await
}

async fn send(server: &Server, method: Method, path: &str, body: Option<&str>) -> common::Reply {
    let mut request = server
        .client
        .request(method, server.url(path))
        .bearer_auth(server.token());
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    common::Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

async fn snapshot(server: &Server, name: &str) -> Value {
    let reply = create(server, &json!({ "name": name }).to_string()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

async fn restore(server: &Server, name: &str) {
    let path = format!("/_bulkforce/snapshots/{name}/restore");
    let reply = send(server, Method::POST, &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
}

async fn listed(server: &Server) -> Vec<Value> {
    let reply = send(server, Method::GET, "/_bulkforce/snapshots", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["snapshots"]
        .as_array()
        .expect("snapshots")
        .clone()
}

async fn account_total(server: &Server) -> u64 {
    let url = format!("{}?q=SELECT+COUNT()+FROM+Account", server.api("/query"));
    let reply = server.get(&url).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["totalSize"].as_u64().expect("a count")
}

async fn ingest_jobs(server: &Server) -> Vec<String> {
    let reply = server.get(&server.api("/jobs/ingest")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(id_of)
        .collect()
}

fn insert_job() -> Value {
    serde_json::from_str(ACCOUNT_INSERT).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_need_the_control_credential() {
    let server = start().await;
    snapshot(&server, "kept").await;
    let calls = [
        (Method::GET, "/_bulkforce/snapshots"),
        (Method::POST, "/_bulkforce/snapshots"),
        (Method::POST, "/_bulkforce/snapshots/kept/restore"),
        (Method::DELETE, "/_bulkforce/snapshots/kept"),
    ];
    for (method, path) in calls {
        for credential in [None, Some("not-the-token")] {
            let reply = server.control(method.clone(), path, credential).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
        }
    }
    assert_eq!(listed(&server).await.len(), 1, "nothing was deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_brings_back_records_jobs_and_result_files() {
    let server = start().await;
    let (first, first_results) = server
        .run_complete(&insert_job(), accounts("Before", 3))
        .await;
    let first = id_of(&first);
    let taken = snapshot(&server, "before-more").await;
    assert_eq!(taken["name"], "before-more");
    assert_eq!(taken["orgs"], 1);
    let created = taken["createdDate"].as_str().expect("a date");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'),
        "{created}"
    );
    assert_eq!(listed(&server).await, vec![taken.clone()]);

    let (later, _) = server
        .run_complete(&insert_job(), accounts("Later", 2))
        .await;
    let later = id_of(&later);
    assert_eq!(account_total(&server).await, 5);

    restore(&server, "before-more").await;
    assert_eq!(account_total(&server).await, 3);
    assert_eq!(ingest_jobs(&server).await, vec![first.clone()]);
    let gone = server.get(&server.job_url(&later)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(server.info(&first).await["state"], "JobComplete");
    let results = server.results(&first).await;
    assert_eq!(results.successful, first_results.successful);
    assert_eq!(results.failed, first_results.failed);
    assert_eq!(results.unprocessed, first_results.unprocessed);

    // The org goes on from there, and the snapshot can be restored again.
    server
        .run_complete(&insert_job(), accounts("After", 4))
        .await;
    assert_eq!(account_total(&server).await, 7);
    restore(&server, "before-more").await;
    assert_eq!(account_total(&server).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_named_plainly_listed_oldest_first_and_deleted() {
    let server = start().await;
    let first = snapshot(&server, "first").await;
    let second = snapshot(&server, "second.v2_x-y").await;
    assert_eq!(listed(&server).await, vec![first, second.clone()]);

    let duplicate = create(&server, r#"{"name":"first"}"#).await;
    assert_eq!(
        duplicate.status,
        StatusCode::CONFLICT,
        "{}",
        duplicate.text()
    );
    assert_eq!(duplicate.json()["errorCode"], "DUPLICATE_NAME");

    let long = "x".repeat(65);
    let bad_bodies = [
        json!({"name": ".hidden"}).to_string(),
        json!({"name": "a b"}).to_string(),
        json!({"name": "a/b"}).to_string(),
        json!({"name": ""}).to_string(),
        json!({"name": long}).to_string(),
        json!({"name": 7}).to_string(),
        json!({}).to_string(),
        "not json".to_owned(),
    ];
    for body in bad_bodies {
        let reply = create(&server, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text()
        );
        assert_eq!(reply.json()["errorCode"], "INVALID_NAME", "{body}");
    }

    let reply = send(&server, Method::DELETE, "/_bulkforce/snapshots/first", None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(listed(&server).await, vec![second]);
    for (method, path) in [
        (Method::DELETE, "/_bulkforce/snapshots/first"),
        (Method::POST, "/_bulkforce/snapshots/first/restore"),
        (Method::POST, "/_bulkforce/snapshots/never/restore"),
        (Method::DELETE, "/_bulkforce/snapshots/..hidden"),
    ] {
        let reply = send(&server, method.clone(), path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(reply.json()["errorCode"], "NOT_FOUND");
    }
    for (method, path, allowed) in [
        (Method::PUT, "/_bulkforce/snapshots", "GET, HEAD, POST"),
        (Method::GET, "/_bulkforce/snapshots/second", "DELETE"),
        (Method::GET, "/_bulkforce/snapshots/second/restore", "POST"),
    ] {
        let reply = send(&server, method, path, None).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(reply.header("allow").as_deref(), Some(allowed));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_in_progress_in_a_snapshot_finishes_after_the_restore_with_every_row_once() {
    const ROWS: usize = 1000;
    let server = start_with(|c| {
        c.chunk_rows = 10;
        c.chunk_delay_ms = 40;
    })
    .await;
    let id = server.create_id(&insert_job()).await;
    server.upload_ok(&id, accounts("Row", ROWS)).await;
    server.close(&id).await;
    // Some chunks in: the snapshot holds part of the job, somewhere between what was processed before it was
    // asked for and what is processed once it has answered (the worker does not wait for it).
    let before_snapshot = processed_at_least(&server, &id, 30).await;
    snapshot(&server, "midway").await;
    let after_snapshot = processed_at_least(&server, &id, before_snapshot).await;
    // The worker goes on past the snapshot before the restore: the restored job is at an earlier chunk
    // than the worker holding it, which must let go so that the job resumes from the snapshot.
    processed_at_least(&server, &id, after_snapshot + 30).await;
    restore(&server, "midway").await;
    let restored = server.info(&id).await;
    assert_eq!(restored["state"], "InProgress", "{restored}");
    let back_to = restored["numberRecordsProcessed"].as_u64().unwrap_or(0);
    assert!(
        (before_snapshot..=after_snapshot).contains(&back_to),
        "the restored job is back at the snapshot: {back_to}, snapshot taken between {before_snapshot} and \
         {after_snapshot}"
    );
    let info = server.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], ROWS);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(account_total(&server).await, ROWS as u64);

    let results = server.results(&id).await;
    let successful = parse_csv(&results.successful, b',');
    let names: Vec<&String> = successful[1..].iter().map(|row| &row[2]).collect();
    let distinct: HashSet<&String> = names.iter().copied().collect();
    assert_eq!(names.len(), ROWS, "one result row per row");
    assert_eq!(distinct.len(), ROWS, "every row exactly once");
    let ids: HashSet<&String> = successful[1..].iter().map(|row| &row[0]).collect();
    assert_eq!(ids.len(), ROWS);
    assert_eq!(
        parse_csv(&results.unprocessed, b',').len(),
        1,
        "nothing left unprocessed"
    );
}

/// Polls the job until it has processed at least `rows` rows (bounded), never finished meanwhile; the
/// number processed then.
async fn processed_at_least(server: &Server, id: &str, rows: u64) -> u64 {
    for _ in 0..1000 {
        let info = server.info(id).await;
        assert!(
            matches!(
                info["state"].as_str(),
                Some("UploadComplete" | "InProgress")
            ),
            "the job is still running: {info}"
        );
        let processed = info["numberRecordsProcessed"].as_u64().unwrap_or(0);
        if processed >= rows {
            return processed;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("job {id} did not process {rows} rows in time");
}
