//! Result parts left by a chunk that never committed: `bulkforce serve` killed with SIGKILL while a
//! transaction's chunks had their result parts written but not committed. The resumed run restarts its
//! chunks at 1,000 rows, so its chunk of the same number holds other rows; whatever part the dead chunk
//! left must not be served (a failed row reported twice, or a rolled-back row reported at all). The
//! test kills the server mid-job and then plants such parts itself, since a kill landing inside the short
//! window between a chunk's part writes and its commit is luck on a slow machine.

use bulkforce_core::id::SfId;
use bulkforce_core::schema::Schema;
use bulkforce_store::Store;
use bulkforce_store::sqlite::SqliteStore;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "00D000000000001!stale.parts.token";
const ROWS: usize = 200_000;
const CHUNK_ROWS: usize = 2_000;
/// Runs tried until one is killed mid-job (each run is checked anyway).
const ATTEMPTS: usize = 8;

/// Starts the real binary on an ephemeral port; returns the process and its base URL.
fn serve(data_dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--chunk-rows"])
        .arg(CHUNK_ROWS.to_string())
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
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// Whether row `i` fails (no Name). With chunks of 1,000 then 2,000 rows, a run's chunk k (k ≥ 1) holds
/// rows [2000k − 1000, 2000k + 1000): only even chunks hold a failing row. A run resumed from a committed
/// chunk restarts at 1,000 rows, so its chunk k holds [2000k − 2000, 2000k): its even chunks hold none,
/// and an even chunk of the killed run that left a failed part is, in the resumed run, a chunk without
/// failures.
fn fails(i: usize) -> bool {
    i % 2000 == 500 && (i / 2000).is_multiple_of(2) && i >= 2000
}

fn csv() -> String {
    let mut csv = String::from("Name,NumberOfEmployees\n");
    for i in 0..ROWS {
        let name = if fails(i) {
            String::new()
        } else {
            format!("Account {i:06}")
        };
        csv.push_str(&format!("{name},{i}\n"));
    }
    csv
}

struct Api {
    client: reqwest::blocking::Client,
    url: String,
}

impl Api {
    fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}/services/data/v62.0/{path}", self.url))
            .bearer_auth(TOKEN)
            .send()
            .unwrap()
    }

    fn job(&self, id: &str) -> serde_json::Value {
        self.get(&format!("jobs/ingest/{id}")).json().unwrap()
    }

    /// Creates an insert job, uploads `csv` and closes it; its id.
    fn start_job(&self, csv: String) -> String {
        let job: serde_json::Value = self
            .client
            .post(format!("{}/services/data/v62.0/jobs/ingest", self.url))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"object": "Account", "operation": "insert"}))
            .send()
            .and_then(reqwest::blocking::Response::json)
            .unwrap();
        let id = job["id"].as_str().unwrap().to_owned();
        let put = self
            .client
            .put(format!(
                "{}/services/data/v62.0/jobs/ingest/{id}/batches",
                self.url
            ))
            .bearer_auth(TOKEN)
            .header("Content-Type", "text/csv")
            .body(csv)
            .send()
            .unwrap();
        assert_eq!(put.status(), 201);
        let closed = self
            .client
            .patch(format!("{}/services/data/v62.0/jobs/ingest/{id}", self.url))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"state": "UploadComplete"}))
            .send()
            .unwrap();
        assert_eq!(closed.status(), 200);
        id
    }
}

/// The job's folder of result parts of `kind` (`successful` or `failed`) in the data directory.
fn parts_folder(data_dir: &Path, org: SfId, id: &str, kind: &str) -> PathBuf {
    data_dir
        .join("blobs/orgs")
        .join(org.as_str())
        .join("jobs")
        .join(id)
        .join(kind)
}

/// A row that no run of the job ever reports: its employee count is past every row's.
const PLANTED_ROW: &str = "\"001000000000000AAA\",\"a dead chunk's row\",\"999999999\"\n";

/// Kills the server while the job runs, after at least one committed chunk; then leaves on disk what a
/// chunk killed between writing its parts and its commit leaves: parts of both kinds for the next few
/// chunk numbers. Planting them, rather than hoping the kill lands inside that window, makes the test
/// deterministic on any machine. Whether the kill landed mid-job (and the parts were planted).
fn kill_and_plant_dead_parts(server: &mut Child, api: &Api, data_dir: &Path, id: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = api.job(id);
        if info["state"] != "InProgress" && info["state"] != "UploadComplete" {
            break;
        }
        // The first chunk holds 1,000 rows: past them, at least one chunk committed.
        if info["numberRecordsProcessed"].as_u64().unwrap_or(0) >= 1000 {
            break;
        }
        assert!(Instant::now() < deadline, "the job never got going: {info}");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let store = SqliteStore::open(data_dir, Arc::new(Schema::builtin())).unwrap();
    let org = store.ensure_default_org().unwrap().org_id;
    let job_id: SfId = id.parse().unwrap();
    let checkpoint = store.checkpoint(org, job_id).unwrap().unwrap_or_default();
    let job = store.get_job(org, job_id).unwrap().unwrap();
    if checkpoint.chunks_done == 0 || job.state.is_terminal() {
        return false;
    }
    for kind in ["successful", "failed"] {
        let folder = parts_folder(data_dir, org, id, kind);
        std::fs::create_dir_all(&folder).unwrap();
        for chunk in checkpoint.chunks_done..checkpoint.chunks_done + 3 {
            std::fs::write(folder.join(format!("{chunk:08}.csv")), PLANTED_ROW).unwrap();
        }
    }
    true
}

/// The job completes after a restart with every row reported once: the failed rows each exactly once,
/// as many as `numberRecordsFailed`.
fn check_results(api: &Api, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let info = loop {
        let info = api.job(id);
        if info["state"] == "JobComplete" {
            break info;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {info}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let expected_failed = (0..ROWS).filter(|&i| fails(i)).count();
    assert_eq!(info["numberRecordsProcessed"], ROWS as u64);
    assert_eq!(info["numberRecordsFailed"], expected_failed as u64);
    let rows = |file: &str| -> Vec<String> {
        let text = api.get(&format!("jobs/ingest/{id}/{file}")).text().unwrap();
        text.lines().skip(1).map(str::to_owned).collect()
    };
    let employees = |lines: &[String]| -> Vec<usize> {
        let mut numbers: Vec<usize> = lines
            .iter()
            .map(|l| {
                l.rsplit(',')
                    .next()
                    .unwrap()
                    .trim_matches('"')
                    .parse()
                    .unwrap()
            })
            .collect();
        numbers.sort_unstable();
        numbers
    };
    let failed = employees(&rows("failedResults"));
    let expected: Vec<usize> = (0..ROWS).filter(|&i| fails(i)).collect();
    assert_eq!(
        failed, expected,
        "every failed row is reported exactly once, and no other"
    );
    let successful = employees(&rows("successfulResults"));
    let expected: Vec<usize> = (0..ROWS).filter(|&i| !fails(i)).collect();
    assert!(
        successful == expected,
        "every successful row is reported exactly once ({} reported)",
        successful.len()
    );
}

#[test]
fn a_chunk_killed_before_its_commit_leaves_no_result_part_behind() {
    let csv = csv();
    for attempt in 1..=ATTEMPTS {
        let dir = tempfile::tempdir().unwrap();
        let (mut server, url) = serve(dir.path());
        let api = Api {
            client: reqwest::blocking::Client::new(),
            url,
        };
        let id = api.start_job(csv.clone());
        let planted = kill_and_plant_dead_parts(&mut server, &api, dir.path(), &id);
        let (mut server, url) = serve(dir.path());
        let api = Api { url, ..api };
        check_results(&api, &id);
        server.kill().unwrap();
        server.wait().unwrap();
        if planted {
            return;
        }
        eprintln!("attempt {attempt}: the kill came after the job ended; trying again");
    }
    panic!("no attempt was killed while the job ran");
}
