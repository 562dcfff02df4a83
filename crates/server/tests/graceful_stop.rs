//! A graceful stop (what SIGTERM does): no new claims, the running job stops at its next chunk with what it
//! committed, this instance's claims are released, and the next start finishes the job with every row
//! applied and reported once.

mod common;

use common::{accounts_csv, parse_csv, start_with};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const ROWS: usize = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_job_resumes_at_its_checkpoint_on_the_next_start() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let slow = |c: &mut bulkforce_server::ServerConfig| {
        c.data_dir = dir.clone();
        c.chunk_rows = 100;
        c.chunk_delay_ms = 50;
    };
    let first = start_with(slow).await;
    let id = first
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    first.upload_ok(&id, accounts_csv("stop", ROWS)).await;
    first.close(&id).await;
    let mut polls = 0;
    while first.info(&id).await["numberRecordsProcessed"] == 0 {
        polls += 1;
        assert!(polls < 2_000, "the job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let store = first.running.state.store.clone();
    let org = first.org();
    first.shutdown(Duration::from_secs(60)).await;

    // Stopped part-way, still InProgress with its committed rows, and claimable again at once.
    let job_id = bulkforce_core::id::SfId::parse(&id).unwrap();
    let (job, checkpoint) = tokio::task::spawn_blocking(move || {
        (
            store.get_job(org, job_id).unwrap().unwrap(),
            store.checkpoint(org, job_id).unwrap().unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        job.state,
        bulkforce_core::job::JobState::InProgress,
        "{job:?}"
    );
    assert!(
        checkpoint.chunks_done > 0 && (job.number_records_processed as usize) < ROWS,
        "stopped part-way: {checkpoint:?}, {} processed",
        job.number_records_processed
    );

    let second = start_with(|c| c.data_dir = dir.clone()).await;
    let info = second.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], ROWS as u64, "{info}");
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    let results = second.results(&id).await;
    let rows = parse_csv(&results.successful, b',');
    let names: HashSet<&str> = rows.iter().skip(1).map(|r| r[2].as_str()).collect();
    assert_eq!(rows.len() - 1, ROWS, "every row reported once");
    assert_eq!(names.len(), ROWS, "no row reported twice");
    assert_eq!(second.count("Account", false).await, ROWS as u64);
}
