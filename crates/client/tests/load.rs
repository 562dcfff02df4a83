//! Split loads through the library against the real server, started in-process on an ephemeral port: parts
//! run as parallel jobs and their results merged; a stopped or timed-out run resumed without sending a
//! finished part again; the journal's resume rules for jobs left `Open`, closed behind the journal's back, or
//! gone; refusals of a changed file and of a second load over an unfinished one.

use bulkforce_client::load::journal::{Journal, Phase};
use bulkforce_client::load::split::SplitOptions;
use bulkforce_client::load::{
    CancellationToken, Load, LoadError, LoadEvent, LoadSpec, Outcome, RunOptions,
};
use bulkforce_client::{
    Client, Error, IngestJobRequest, JobInfo, JobKind, JobState, Operation, PollOptions,
    QueryJobRequest,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "00D000000000001!client.load.test.token";

struct Server {
    url: String,
    dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

/// Starts the real server in this process, with `External_Id__c` (unique) on Account.
async fn serve(chunk_rows: usize, chunk_delay_ms: u64) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema");
    std::fs::create_dir(&schema).unwrap();
    std::fs::write(
        schema.join("account.json"),
        r#"{"name":"Account","fields":[{"name":"External_Id__c","type":"string","length":80,
            "externalId":true,"unique":true,"nillable":true,"createable":true,"updateable":true}]}"#,
    )
    .unwrap();
    let running = bulkforce_server::start(bulkforce_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        access_token: Some(TOKEN.to_owned()),
        schema_dir: Some(schema),
        chunk_rows,
        chunk_delay_ms,
        ..Default::default()
    })
    .await
    .unwrap();
    Server {
        url: format!("http://{}", running.addr),
        dir,
        _server: running.server,
    }
}

impl Server {
    fn client(&self) -> Client {
        Client::new(&self.url, TOKEN, "62.0").unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Rows with commas, doubled quotes and line breaks inside quoted values; `External_Id__c` is `E<i>`. Rows
/// whose index is in `bad` have a NumberOfEmployees the server refuses.
fn write_csv(path: &Path, rows: usize, crlf: bool, bom: bool, bad: &[usize]) -> Vec<String> {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    if bom {
        text.push('\u{feff}');
    }
    text.push_str(&format!(
        "Name,NumberOfEmployees,Description,External_Id__c{nl}"
    ));
    let mut ids = Vec::new();
    for i in 0..rows {
        let employees = if bad.contains(&i) {
            "lots".to_owned()
        } else {
            i.to_string()
        };
        let description = match i % 4 {
            0 => format!("\"line one{nl}line \"\"two\"\", {i}\""),
            1 => String::new(),
            2 => format!("\"{}\"", "x".repeat(i % 50)),
            _ => "plain".to_owned(),
        };
        text.push_str(&format!(
            "\"Account {i}, Inc.\",{employees},{description},E{i}{nl}"
        ));
        ids.push(format!("E{i}"));
    }
    std::fs::write(path, text).unwrap();
    ids
}

/// Parses CSV (quoted cells with delimiters, doubled quotes and line breaks) into rows of cells.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => row.push(std::mem::take(&mut cell)),
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' if !quoted => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Every External_Id__c stored on the server, through a query job.
async fn stored_ids(client: &Client) -> Vec<String> {
    let job = client
        .create_query_job(&QueryJobRequest::new("SELECT External_Id__c FROM Account"))
        .await
        .unwrap();
    client
        .wait_for_job(JobKind::Query, &job.id, &PollOptions::default())
        .await
        .unwrap();
    let mut out = Vec::new();
    client
        .download_query_results(&job.id, &mut out, None)
        .await
        .unwrap();
    let mut ids: Vec<String> = parse_csv(&String::from_utf8(out).unwrap())
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    ids.sort();
    ids
}

async fn ingest_jobs(client: &Client) -> Vec<JobInfo> {
    client
        .list_jobs(JobKind::Ingest)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind() == JobKind::Ingest)
        .collect()
}

fn fast_poll() -> RunOptions {
    RunOptions {
        parallel: 3,
        timeout: Duration::from_secs(300),
        poll: PollOptions {
            initial_interval: Duration::from_millis(20),
            max_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(300),
        },
    }
}

/// Collects every event.
fn recorder() -> (
    Arc<Mutex<Vec<LoadEvent>>>,
    bulkforce_client::load::EventSink,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (
        events,
        Arc::new(move |e: &LoadEvent| sink.lock().unwrap().push(e.clone())),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_run_in_parallel_and_results_merge_in_file_order() {
    let server = serve(50, 0).await;
    let client = server.client();
    let file = server.path("accounts.csv");
    let bad = [7, 150, 599];
    let ids = write_csv(&file, 600, true, true, &bad);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert)
        .split(SplitOptions {
            max_bytes: 1 << 20,
            max_rows: Some(97),
        })
        .results_dir(server.path("out"));
    let load = Load::plan(&spec).await.unwrap();
    assert_eq!(load.journal().parts.len(), 7, "600 rows, 97 per part");
    assert!(load.journal().bom);
    let (events, sink) = recorder();
    let report = load
        .run(&client, &fast_poll(), sink, CancellationToken::new())
        .await;
    assert!(report.outcome.is_complete(), "{:?}", report.outcome);
    assert_eq!(report.processed(), 600);
    assert_eq!(report.failed(), 3);
    assert!(!report.any_job_failed());
    assert!(!report.has_unprocessed);
    assert_eq!(report.parts.iter().map(|p| p.rows).sum::<u64>(), 600);
    assert!(
        report
            .parts
            .iter()
            .all(|p| p.state == Some(JobState::JobComplete))
    );

    // Events: the upload total is what was sent; every part created, closed, finished and downloaded once.
    let events = events.lock().unwrap().clone();
    let Some(LoadEvent::Started {
        parts: 7,
        rows: 600,
        upload_bytes,
        parts_done: 0,
        rows_done: 0,
    }) = events.first().cloned()
    else {
        panic!("{:?}", events.first())
    };
    let uploaded: u64 = events
        .iter()
        .map(|e| {
            if let LoadEvent::Uploaded { bytes, .. } = e {
                *bytes
            } else {
                0
            }
        })
        .sum();
    assert_eq!(uploaded, upload_bytes);
    for kind in ["JobCreated", "Closed", "PartFinished", "ResultsDone"] {
        let n = events
            .iter()
            .filter(|e| format!("{e:?}").starts_with(kind))
            .count();
        assert_eq!(n, 7, "{kind}");
    }

    // The server has exactly one job per part, each with its share of the rows, CRLF declared.
    let jobs = ingest_jobs(&client).await;
    assert_eq!(jobs.len(), 7);
    for job in &jobs {
        assert_eq!(job.line_ending, Some(bulkforce_client::LineEnding::Crlf));
    }
    let expected: Vec<String> = {
        let mut good: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| !bad.contains(i))
            .map(|(_, id)| id.clone())
            .collect();
        good.sort();
        good
    };
    assert_eq!(stored_ids(&client).await, expected);

    // Merged results: the header once, rows in the file's order, quoted line breaks intact.
    let success = parse_csv(&std::fs::read_to_string(&report.results.success).unwrap());
    assert_eq!(success[0][..3], ["sf__Id", "sf__Created", "Name"]);
    let success_ids: Vec<&str> = success[1..].iter().map(|r| r[5].as_str()).collect();
    let in_order: Vec<&str> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| !bad.contains(i))
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(success_ids, in_order);
    assert_eq!(success[1][4], "line one\r\nline \"two\", 0");
    let failed = parse_csv(&std::fs::read_to_string(&report.results.failed).unwrap());
    assert_eq!(failed.len(), 4);
    assert_eq!(
        failed[1..]
            .iter()
            .map(|r| r[5].as_str())
            .collect::<Vec<_>>(),
        ["E7", "E150", "E599"]
    );
    assert!(failed[1][1].starts_with("INVALID_FIELD"));
    assert!(!report.results.unprocessed.exists());
    assert!(
        !report.results.parts_dir.exists(),
        "part files are removed after the merge"
    );
    let journal = Journal::read(&spec.journal).unwrap();
    assert!(journal.merged);
    assert!(journal.parts.iter().all(|p| p.phase == Phase::Downloaded));

    // Resuming a finished load does nothing; planning it again is allowed.
    let again = Load::resume(&spec).await.unwrap();
    let report = again
        .run(
            &client,
            &fast_poll(),
            Arc::new(|_| {}),
            CancellationToken::new(),
        )
        .await;
    assert!(report.outcome.is_complete());
    assert_eq!(ingest_jobs(&client).await.len(), 7);
    Load::plan(&spec).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_resumes_without_sending_a_finished_part_again() {
    // 20 rows a chunk, 40 ms after each: a 60-row part takes about 120 ms to process.
    let server = serve(20, 40).await;
    let client = server.client();
    let file = server.path("big.csv");
    let ids = write_csv(&file, 600, false, false, &[]);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert).split(SplitOptions {
        max_bytes: 1 << 20,
        max_rows: Some(60),
    });
    let load = Load::plan(&spec).await.unwrap();
    assert_eq!(load.journal().parts.len(), 10);
    // Stop as soon as the second part has finished.
    let stop = CancellationToken::new();
    let finished = Arc::new(Mutex::new(0));
    let events: bulkforce_client::load::EventSink = {
        let (stop, finished) = (stop.clone(), finished.clone());
        Arc::new(move |e: &LoadEvent| {
            if let LoadEvent::PartFinished { .. } = e {
                let mut n = finished.lock().unwrap();
                *n += 1;
                if *n == 2 {
                    stop.cancel();
                }
            }
        })
    };
    let options = RunOptions {
        parallel: 2,
        ..fast_poll()
    };
    let first = load.run(&client, &options, events, stop).await;
    assert!(
        matches!(first.outcome, Outcome::Stopped),
        "{:?}",
        first.outcome
    );
    let journal = Journal::read(&spec.journal).unwrap();
    assert!(journal.parts.iter().any(|p| p.phase >= Phase::Finished));
    assert!(journal.parts.iter().any(|p| p.phase == Phase::Pending));
    // No part is left mid-upload: an upload cut off had its Open job aborted.
    assert!(
        journal
            .parts
            .iter()
            .all(|p| !matches!(p.phase, Phase::Created | Phase::Uploaded))
    );
    let kept: HashMap<usize, String> = journal
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| p.phase >= Phase::Closed)
        .map(|(i, p)| (i, p.job_id.clone().unwrap()))
        .collect();
    assert!(!kept.is_empty());
    assert!(
        ingest_jobs(&client)
            .await
            .iter()
            .all(|j| j.state != JobState::Open)
    );

    // A new load over it is refused; the resume finishes it.
    let refused = Load::plan(&spec).await.unwrap_err();
    assert!(
        matches!(refused, Error::Load(LoadError::JournalExists { .. })),
        "{refused}"
    );
    let load = Load::resume(&spec).await.unwrap();
    assert!(load.is_resumed());
    let (events, sink) = recorder();
    let report = load
        .run(&client, &options, sink, CancellationToken::new())
        .await;
    assert!(report.outcome.is_complete(), "{:?}", report.outcome);
    assert_eq!(report.processed(), 600);
    assert_eq!(report.failed(), 0);
    // Parts that were closed keep their job: nothing of theirs was sent again.
    for (i, job_id) in &kept {
        assert_eq!(report.parts[*i].job_id.as_ref(), Some(job_id));
    }
    let created = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, LoadEvent::JobCreated { .. }))
        .count();
    assert_eq!(created, 10 - kept.len());
    let jobs = ingest_jobs(&client).await;
    assert_eq!(
        jobs.iter()
            .filter(|j| j.state == JobState::JobComplete)
            .count(),
        10
    );
    assert!(
        jobs.iter()
            .filter(|j| j.state != JobState::JobComplete)
            .all(|j| j.state == JobState::Aborted)
    );
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(stored_ids(&client).await, expected, "every row once");
    let success = parse_csv(&std::fs::read_to_string(&report.results.success).unwrap());
    assert_eq!(success.len(), 601);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_run_leaves_closed_jobs_running_and_resumes() {
    // 10 rows a chunk, 100 ms after each: a 150-row part takes at least 1.5 s to process (the pauses alone),
    // past the deadline of 1 s, which leaves ample time to create, upload and close the jobs first.
    let server = serve(10, 100).await;
    let client = server.client();
    let file = server.path("slow.csv");
    write_csv(&file, 300, false, false, &[]);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert).split(SplitOptions {
        max_bytes: 1 << 20,
        max_rows: Some(150),
    });
    let load = Load::plan(&spec).await.unwrap();
    let options = RunOptions {
        timeout: Duration::from_millis(1000),
        ..fast_poll()
    };
    let report = load
        .run(
            &client,
            &options,
            Arc::new(|_| {}),
            CancellationToken::new(),
        )
        .await;
    assert!(
        matches!(report.outcome, Outcome::TimedOut),
        "{:?}",
        report.outcome
    );
    let unfinished = report.unfinished_jobs();
    assert!(!unfinished.is_empty());
    for id in &unfinished {
        let info = client.job_info(JobKind::Ingest, id).await.unwrap();
        assert!(matches!(
            info.state,
            JobState::UploadComplete | JobState::InProgress | JobState::JobComplete
        ));
    }
    let report = Load::resume(&spec)
        .await
        .unwrap()
        .run(
            &client,
            &fast_poll(),
            Arc::new(|_| {}),
            CancellationToken::new(),
        )
        .await;
    assert!(report.outcome.is_complete(), "{:?}", report.outcome);
    assert_eq!(report.processed(), 300);
    assert_eq!(stored_ids(&client).await.len(), 300);
}

/// The journal's resume rules, with the crash states made by hand: a journaled job still `Open` is aborted
/// and its part sent again; a job the journal thinks only uploaded but that was closed is waited for, not
/// sent again; a job that no longer exists stops the resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_rules_for_open_closed_and_lost_jobs() {
    let server = serve(10_000, 0).await;
    let client = server.client();
    let file = server.path("rules.csv");
    write_csv(&file, 30, false, false, &[]);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert).split(SplitOptions {
        max_bytes: 1 << 20,
        max_rows: Some(10),
    });
    let load = Load::plan(&spec).await.unwrap();
    let parts = load.journal().parts.clone();
    assert_eq!(parts.len(), 3);

    // Part 1: a job created and journaled, then the client "crashed" mid-upload: the job is Open.
    let open = client
        .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
        .await
        .unwrap();
    // Part 2: uploaded and closed, but the crash came before the close was journaled.
    let closed = client
        .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
        .await
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let header = &bytes[..load.journal().header_end as usize];
    let body = [
        header,
        &bytes[parts[1].range.start as usize..parts[1].range.end as usize],
    ]
    .concat();
    client
        .upload_job_data(&closed.id, std::io::Cursor::new(body))
        .await
        .unwrap();
    client.close_job(&closed.id).await.unwrap();
    let mut journal = Journal::read(&spec.journal).unwrap();
    journal.parts[0].job_id = Some(open.id.clone());
    journal.parts[0].phase = Phase::Created;
    journal.parts[1].job_id = Some(closed.id.clone());
    journal.parts[1].phase = Phase::Uploaded;
    journal.write(&spec.journal).unwrap();

    let (events, sink) = recorder();
    let report = Load::resume(&spec)
        .await
        .unwrap()
        .run(&client, &fast_poll(), sink, CancellationToken::new())
        .await;
    assert!(report.outcome.is_complete(), "{:?}", report.outcome);
    assert_eq!(report.processed(), 30);
    assert_eq!(
        client
            .job_info(JobKind::Ingest, &open.id)
            .await
            .unwrap()
            .state,
        JobState::Aborted
    );
    assert_ne!(report.parts[0].job_id.as_ref(), Some(&open.id));
    assert_eq!(report.parts[1].job_id.as_ref(), Some(&closed.id));
    assert!(events.lock().unwrap().contains(&LoadEvent::JobAbandoned {
        part: 0,
        job_id: open.id.clone()
    }));
    assert_eq!(
        Journal::read(&spec.journal).unwrap().parts[0].abandoned_jobs,
        std::slice::from_ref(&open.id)
    );
    assert_eq!(
        stored_ids(&client).await.len(),
        30,
        "part 2 was not sent twice"
    );

    // A closed job that no longer exists: the resume stops with the job id rather than guess.
    let file = server.path("lost.csv");
    write_csv(&file, 5, false, false, &[]);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert);
    Load::plan(&spec).await.unwrap();
    let mut journal = Journal::read(&spec.journal).unwrap();
    journal.parts[0].job_id = Some("750000000000000AAA".into());
    journal.parts[0].phase = Phase::Closed;
    journal.write(&spec.journal).unwrap();
    let report = Load::resume(&spec)
        .await
        .unwrap()
        .run(
            &client,
            &fast_poll(),
            Arc::new(|_| {}),
            CancellationToken::new(),
        )
        .await;
    match report.outcome {
        Outcome::Failed(Error::Load(LoadError::JobLost { part: 1, job_id })) => {
            assert_eq!(job_id, "750000000000000AAA");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_a_changed_file_or_another_load() {
    let server = serve(10_000, 0).await;
    let file = server.path("change.csv");
    write_csv(&file, 10, false, false, &[]);
    let spec = LoadSpec::new(&file, "Account", Operation::Insert);
    Load::plan(&spec).await.unwrap();
    let mut journal = Journal::read(&spec.journal).unwrap();
    journal.parts[0].phase = Phase::Closed;
    journal.parts[0].job_id = Some("750000000000001AAA".into());
    journal.write(&spec.journal).unwrap();

    let other = LoadSpec {
        object: "Contact".into(),
        ..spec.clone()
    };
    let err = Load::resume(&other).await.unwrap_err();
    assert!(
        matches!(err, Error::Load(LoadError::JournalMismatch { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("insert Account, not insert Contact"),
        "{err}"
    );

    std::fs::write(
        &file,
        std::fs::read_to_string(&file).unwrap() + "\"Late\",1,,E99\n",
    )
    .unwrap();
    let err = Load::resume(&spec).await.unwrap_err();
    assert!(
        matches!(err, Error::Load(LoadError::FileChanged { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("refusing to resume"), "{err}");

    let err = Load::resume(&spec.clone().journal(server.path("none.json")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Load(LoadError::NoJournal { .. })),
        "{err}"
    );
}
