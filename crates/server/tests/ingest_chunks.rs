//! Jobs processed in several chunks: counts and result files across chunks, and aborting a job in progress.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_many_chunks_reports_every_row_exactly_once() {
    let s = start_with(|c| c.chunk_rows = 7).await;
    // 50 rows; every fifth has no Name and fails. AccountNumber identifies each row.
    let mut csv = String::from("Name,AccountNumber\n");
    for i in 0..50 {
        let name = if i % 5 == 0 {
            String::new()
        } else {
            format!("Row {i}")
        };
        csv.push_str(&format!("{name},N{i}\n"));
    }
    let (info, results) = s
        .run_complete(&json!({"object": "Account", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["numberRecordsProcessed"], 50);
    assert_eq!(info["numberRecordsFailed"], 10);

    let successful = parse_csv(&results.successful, b',');
    let failed = parse_csv(&results.failed, b',');
    assert_eq!(
        successful[0],
        ["sf__Id", "sf__Created", "Name", "AccountNumber"]
    );
    assert_eq!(failed[0], ["sf__Id", "sf__Error", "Name", "AccountNumber"]);
    assert_eq!(successful.len(), 41);
    assert_eq!(failed.len(), 11);
    assert_eq!(
        results.successful.matches("\"sf__Id\"").count(),
        1,
        "one header, not one per chunk"
    );
    assert_eq!(results.failed.matches("\"sf__Id\"").count(), 1);

    let mut seen = Vec::new();
    for row in &successful[1..] {
        assert_eq!(row[1], "true");
        assert!(row[0].starts_with("001"));
        let i: usize = row[3][1..].parse().unwrap();
        assert_eq!(row[2], format!("Row {i}"));
        assert_ne!(i % 5, 0);
        seen.push(i);
    }
    for row in &failed[1..] {
        assert_eq!(row[0], "");
        assert_eq!(
            row[1],
            "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
        );
        let i: usize = row[3][1..].parse().unwrap();
        assert_eq!(i % 5, 0);
        seen.push(i);
    }
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(seen.len(), 50, "no row reported twice");
    assert_eq!(unique, (0..50).collect(), "every row reported");
    // Within each file, rows keep their upload order across chunks.
    let success_order: Vec<usize> = successful[1..]
        .iter()
        .map(|r| r[3][1..].parse().unwrap())
        .collect();
    assert!(success_order.windows(2).all(|w| w[0] < w[1]));
    let ids: HashSet<_> = successful[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids.len(), 40, "distinct ids");
    assert_eq!(results.unprocessed, "Name,AccountNumber\n");
    assert_eq!(s.count("Account", false).await, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_a_job_in_progress_splits_rows_into_processed_and_unprocessed() {
    let s = start_with(|c| {
        c.chunk_rows = 5;
        c.chunk_delay_ms = 200;
    })
    .await;
    let csv = accounts_csv("Abort", 100);
    let id = s
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    s.upload_ok(&id, csv.clone()).await;
    s.close(&id).await;
    let in_progress = s.wait_for_state(&id, "InProgress").await;
    assert!(in_progress.get("contentUrl").is_none());

    // An InProgress job may not be deleted, and its results are not ready.
    s.send(s.request(Method::DELETE, &s.job_url(&id)))
        .await
        .assert_error(
            400,
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        );
    s.get(&s.api(&format!("/jobs/ingest/{id}/successfulResults")))
        .await
        .assert_error(
            400,
            "INVALIDJOBSTATE",
            "Results are available once the job is JobComplete, Failed or Aborted; this job is InProgress",
        );

    let reply = s.patch_state(&id, "Aborted").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let aborted = reply.json();
    assert_eq!(aborted["state"], "Aborted");
    assert_eq!(keys(&aborted), base_and(&[]));

    // Let the worker notice; the state stays Aborted.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "Aborted");
    assert!(info.get("errorMessage").is_none());
    let processed = info["numberRecordsProcessed"].as_u64().unwrap();
    assert!(processed < 100, "aborted before the end: {processed}");
    assert_eq!(processed % 5, 0, "whole chunks only");
    assert_eq!(info["numberRecordsFailed"], 0);

    let results = s.results(&id).await;
    let successful = parse_csv(&results.successful, b',');
    let unprocessed = parse_csv(&results.unprocessed, b',');
    assert_eq!(unprocessed[0], ["Name", "AccountNumber"]);
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",Name,AccountNumber\n"
    );
    let done: Vec<String> = successful[1..].iter().map(|r| r[2].clone()).collect();
    let rest: Vec<String> = unprocessed[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(done.len() as u64, processed);
    assert_eq!(done.len() + rest.len(), 100, "every row exactly once");
    let done_set: HashSet<_> = done.iter().cloned().collect();
    let rest_set: HashSet<_> = rest.iter().cloned().collect();
    assert!(
        done_set.is_disjoint(&rest_set),
        "no row both processed and unprocessed"
    );
    let all: HashSet<String> = (0..100).map(|i| format!("Abort-{i}")).collect();
    assert_eq!(&done_set | &rest_set, all);
    // Unprocessed rows are the tail of the upload, verbatim.
    assert!(csv.ends_with(&results.unprocessed["Name,AccountNumber\n".len()..]));
    assert_eq!(s.count("Account", true).await, processed);

    // Later aborts and closes are refused; the job can now be deleted.
    s.patch_state(&id, "Aborted").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Aborting already Completed Job not allowed",
    );
    let reply = s.send(s.request(Method::DELETE, &s.job_url(&id))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

/// The structure check runs beside the writer; a problem near the end of a long upload must still fail the
/// job whole, after many chunks were applied in the open transaction, with nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_problem_at_the_end_of_a_many_chunk_upload_fails_the_job_with_nothing_written() {
    let s = start_with(|c| c.chunk_rows = 5).await;
    let job = json!({"object": "Account", "operation": "insert"});
    let rows: String = (0..3000).map(|i| format!("Row {i},N{i}\n")).collect();
    let cases = [
        (
            format!("Name,AccountNumber\n{rows}\"never closed,N\n"),
            "InvalidBatch : Failed to parse CSV. a quoted value that starts on line 3002 is never closed",
        ),
        (
            format!("Name,AccountNumber\n{rows}Last,N\r\n"),
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
        ),
        // Both: the first problem in the file wins, though the reader meets only the second.
        (
            format!("Name,AccountNumber\nFirst,N\r\n{rows}\"never closed,N\n"),
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
        ),
    ];
    for (csv, message) in cases {
        let (info, results) = s.run(&job, csv.clone()).await;
        assert_eq!(info["state"], "Failed", "{info}");
        assert_eq!(info["errorMessage"], message);
        assert_eq!(info["numberRecordsProcessed"], 0);
        assert_eq!(s.count("Account", true).await, 0, "no rows written");
        assert_eq!(
            results.successful,
            "\"sf__Id\",\"sf__Created\",\"Name\",\"AccountNumber\"\n"
        );
        assert_eq!(results.unprocessed, csv, "every row comes back unprocessed");
    }
}
