//! Crash safety: `bulkforce serve` killed with SIGKILL in the middle of a job finishes it after a restart,
//! with every row applied once and reported once.

use bulkforce_core::schema::Schema;
use bulkforce_store::Store;
use bulkforce_store::sqlite::SqliteStore;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "00D000000000001!restart.test.token";
const ROWS: usize = 3_000;

/// Starts the real binary on an ephemeral port; returns the process and its base URL.
fn serve(data_dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--chunk-rows",
            "100",
            "--chunk-delay-ms",
            "40",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--access-token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bulkforce starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("server prints its URL")
            .expect("readable stdout");
        if let Some(url) = line.trim().strip_prefix("instance URL:") {
            break url.trim().to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn job_info(client: &reqwest::blocking::Client, url: &str, id: &str) -> serde_json::Value {
    client
        .get(format!("{url}/services/data/v62.0/jobs/ingest/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .and_then(reqwest::blocking::Response::json)
        .expect("job info")
}

#[test]
fn a_job_interrupted_by_sigkill_finishes_after_restart_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::blocking::Client::new();
    let (mut first, url) = serve(dir.path());

    let mut csv = String::from("Name,NumberOfEmployees\n");
    for i in 0..ROWS {
        // Every tenth row fails: no Name.
        let name = if i % 10 == 9 {
            String::new()
        } else {
            format!("Account {i:05}")
        };
        csv.push_str(&format!("{name},{i}\n"));
    }
    let job: serde_json::Value = client
        .post(format!("{url}/services/data/v62.0/jobs/ingest"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"object": "Account", "operation": "insert"}))
        .send()
        .and_then(reqwest::blocking::Response::json)
        .unwrap();
    let id = job["id"].as_str().unwrap().to_owned();
    let put = client
        .put(format!(
            "{url}/services/data/v62.0/jobs/ingest/{id}/batches"
        ))
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(put.status(), 201);
    client
        .patch(format!("{url}/services/data/v62.0/jobs/ingest/{id}"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"state": "UploadComplete"}))
        .send()
        .unwrap();

    // Kill the server once a few chunks are committed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = job_info(&client, &url, &id);
        let processed = info["numberRecordsProcessed"].as_u64().unwrap_or(0);
        if processed >= 500 {
            assert_eq!(
                info["state"], "InProgress",
                "the job is still running when killed"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the job never got going: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, url) = serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    let info = loop {
        let info = job_info(&client, &url, &id);
        if info["state"] == "JobComplete" {
            break info;
        }
        assert!(
            Instant::now() < deadline,
            "the job did not finish after the restart: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(info["numberRecordsProcessed"], ROWS as u64);
    assert_eq!(info["numberRecordsFailed"], (ROWS / 10) as u64);

    let results = |file: &str| -> Vec<String> {
        let text = client
            .get(format!("{url}/services/data/v62.0/jobs/ingest/{id}/{file}"))
            .bearer_auth(TOKEN)
            .send()
            .and_then(reqwest::blocking::Response::text)
            .unwrap();
        text.lines().skip(1).map(str::to_owned).collect()
    };
    let successful = results("successfulResults");
    let failed = results("failedResults");
    assert_eq!(
        successful.len() + failed.len(),
        ROWS,
        "every row is reported exactly once"
    );
    let mut names: Vec<&str> = successful
        .iter()
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), ROWS - ROWS / 10, "no row is reported twice");
    let employees: std::collections::BTreeSet<&str> = failed
        .iter()
        .map(|l| l.rsplit(',').next().unwrap().trim_matches('"'))
        .collect();
    assert_eq!(employees.len(), ROWS / 10);
    second.kill().unwrap();
    second.wait().unwrap();

    // And the database holds each successful row once.
    let store = SqliteStore::open(dir.path(), Arc::new(Schema::builtin())).unwrap();
    let org = store.ensure_default_org().unwrap().org_id;
    assert_eq!(
        store.count_records(org, "Account", true).unwrap(),
        (ROWS - ROWS / 10) as u64
    );
}

/// Files under `dir` (recursively) whose name ends with `.tmp`: interrupted blob writes.
fn temp_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if path.extension().is_some_and(|e| e == "tmp") {
            found.push(path);
        }
    }
    found
}

/// A request body that sends `data` a chunk at a time, slowly, counting what it sent.
struct SlowBody {
    data: Vec<u8>,
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for SlowBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering;
        let at = self.sent.load(Ordering::SeqCst);
        let n = buf.len().min(4096).min(self.data.len() - at);
        buf[..n].copy_from_slice(&self.data[at..at + n]);
        self.sent.fetch_add(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        Ok(n)
    }
}

#[test]
fn an_upload_interrupted_by_sigkill_can_be_sent_again_after_restart() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::blocking::Client::new();
    let (mut first, url) = serve(dir.path());
    let mut csv = String::from("Name,NumberOfEmployees\n");
    for i in 0..ROWS {
        csv.push_str(&format!("Account {i:05},{i}\n"));
    }
    let job: serde_json::Value = client
        .post(format!("{url}/services/data/v62.0/jobs/ingest"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"object": "Account", "operation": "insert"}))
        .send()
        .and_then(reqwest::blocking::Response::json)
        .unwrap();
    let id = job["id"].as_str().unwrap().to_owned();
    let batches = format!("{url}/services/data/v62.0/jobs/ingest/{id}/batches");

    // Start a slow upload and kill the server while it is being received.
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let upload = std::thread::spawn({
        let (client, batches, sent) = (client.clone(), batches.clone(), sent.clone());
        let data = csv.clone().into_bytes();
        move || {
            let body = reqwest::blocking::Body::new(SlowBody { data, sent });
            let _ = client
                .put(batches)
                .bearer_auth(TOKEN)
                .header("Content-Type", "text/csv")
                .body(body)
                .send();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while sent.load(Ordering::SeqCst) < 20_000 || temp_files(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "the upload never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(sent.load(Ordering::SeqCst) < csv.len(), "killed mid-upload");
    first.kill().unwrap();
    first.wait().unwrap();
    upload.join().unwrap();

    let (mut second, url) = serve(dir.path());
    assert_eq!(temp_files(dir.path()), Vec::<std::path::PathBuf>::new());
    let info = job_info(&client, &url, &id);
    assert_eq!(info["state"], "Open", "{info}");
    let put = client
        .put(format!(
            "{url}/services/data/v62.0/jobs/ingest/{id}/batches"
        ))
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().unwrap_or_default());
    let closed = client
        .patch(format!("{url}/services/data/v62.0/jobs/ingest/{id}"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"state": "UploadComplete"}))
        .send()
        .unwrap();
    assert_eq!(closed.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(60);
    let info = loop {
        let info = job_info(&client, &url, &id);
        if matches!(info["state"].as_str(), Some("JobComplete" | "Failed")) {
            break info;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {info}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], ROWS as u64);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(temp_files(dir.path()), Vec::<std::path::PathBuf>::new());
    second.kill().unwrap();
    second.wait().unwrap();
}
