//! `bulkforce load` at scale against the real `bulkforce serve` on an ephemeral port: a 1,000,000-row load in
//! parts, splitting forced by size and by rows on data with quoted line breaks and CRLF, a CLI killed mid-run
//! and resumed with nothing lost or duplicated, Ctrl-C and --timeout with the resume command, refusals (changed
//! file, unfinished journal, a record too large), and the exit codes not covered by client_cli.rs.
//!
//! This file is long because each scenario drives the real binary from start to end in one readable test;
//! they share the helpers above them, which splitting would scatter.

mod support;

use bulkforce_bench::data::{self, DEFAULT_SEED, SCHEMA_FILE};
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{Server, code, json_out};

const TOKEN: &str = "00D000000000001!load.cli.test.token";

/// Starts the real binary on an ephemeral port with the bench's Account schema (a unique `External_Id__c`).
fn serve(extra: &[&str]) -> Server {
    let flags = [&["--ignore-api-limits"], extra].concat();
    support::serve(TOKEN, Some(SCHEMA_FILE), &flags)
}

impl Server {
    fn command(&self, args: &[&str]) -> Command {
        self.command_as(TOKEN, args)
    }

    fn cli(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("bulkforce runs")
    }

    /// `SELECT COUNT() FROM Account` through the REST query API.
    fn count_accounts(&self) -> u64 {
        let body: serde_json::Value = reqwest::blocking::Client::new()
            .get(format!("{}/services/data/v62.0/query", self.url))
            .query(&[("q", "SELECT COUNT() FROM Account")])
            .bearer_auth(TOKEN)
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["totalSize"]
            .as_u64()
            .unwrap_or_else(|| panic!("{body}"))
    }

    /// Every ingest job on the server, through `bulkforce jobs list --json`.
    fn ingest_jobs(&self) -> Vec<serde_json::Value> {
        let output = self.cli(&["jobs", "list", "--json"]);
        assert_eq!(code(&output), 0, "{}", text(&output.stderr));
        json_out(&output)
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["jobType"] == "V2Ingest")
            .cloned()
            .collect()
    }

    /// One job's info, through `bulkforce jobs show ID --json`.
    fn job(&self, id: &str) -> serde_json::Value {
        json_out(&self.cli(&["jobs", "show", id, "--json"]))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Streams the records of a CSV file (quoted cells with commas, doubled quotes and line breaks), one at a
/// time, so that a million-row file is never held in memory.
fn for_each_record(path: &Path, mut each: impl FnMut(&[String])) {
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut buf = [0u8; 1 << 16];
    let mut row: Vec<String> = Vec::new();
    let mut cell: Vec<u8> = Vec::new();
    let (mut quoted, mut after_quote, mut pending_cr) = (false, false, false);
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if quoted {
                if b == b'"' {
                    quoted = false;
                    after_quote = true;
                } else {
                    cell.push(b);
                }
                continue;
            }
            if pending_cr {
                pending_cr = false;
                if b != b'\n' {
                    cell.push(b'\r');
                }
            }
            match b {
                b'"' => {
                    if after_quote {
                        cell.push(b'"');
                    }
                    quoted = true;
                    after_quote = false;
                }
                b',' => {
                    row.push(String::from_utf8(std::mem::take(&mut cell)).unwrap());
                    after_quote = false;
                }
                b'\r' => pending_cr = true,
                b'\n' => {
                    row.push(String::from_utf8(std::mem::take(&mut cell)).unwrap());
                    each(&row);
                    row.clear();
                    after_quote = false;
                }
                _ => {
                    cell.push(b);
                    after_quote = false;
                }
            }
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(String::from_utf8(cell).unwrap());
        each(&row);
    }
}

/// The External_Id__c column of a file, in order (header skipped).
fn external_ids(path: &Path) -> Vec<String> {
    let mut column = None;
    let mut ids = Vec::new();
    for_each_record(path, |row| match column {
        None => column = row.iter().position(|c| c == "External_Id__c"),
        Some(i) => ids.push(row[i].clone()),
    });
    ids
}

/// Rewrites an LF file as CRLF: record endings only, line breaks inside quoted values are left as they are
/// (the server checks line endings outside quotes only).
fn to_crlf(from: &Path, to: &Path) {
    let bytes = std::fs::read(from).unwrap();
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 50);
    let mut quoted = false;
    for b in bytes {
        if b == b'"' {
            quoted = !quoted;
        }
        if b == b'\n' && !quoted {
            out.push(b'\r');
        }
        out.push(b);
    }
    std::fs::write(to, out).unwrap();
}

/// The number of parts the limits imply, counted independently of the splitter: records packed greedily,
/// the header counted in every part.
fn expected_parts(path: &Path, max_bytes: Option<u64>, max_rows: Option<u64>) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut ends = Vec::new();
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == b'\n' && !quoted {
            ends.push(i as u64 + 1);
        }
    }
    let header = ends[0];
    let (mut parts, mut start, mut rows) = (1, header, 0u64);
    let mut previous = header;
    for &end in &ends[1..] {
        let too_big = max_bytes.is_some_and(|m| header + (end - start) > m);
        let too_many = max_rows.is_some_and(|m| rows + 1 > m);
        if rows > 0 && (too_big || too_many) {
            parts += 1;
            start = previous;
            rows = 0;
        }
        rows += 1;
        previous = end;
    }
    parts
}

/// Reads the journal's part phases (the file is replaced atomically, so every read is whole).
fn phases(journal: &Path) -> Vec<(String, Option<String>)> {
    let Ok(bytes) = std::fs::read(journal) else {
        return Vec::new();
    };
    let journal: serde_json::Value =
        serde_json::from_slice(&bytes).expect("the journal is always whole");
    journal["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap().to_owned(),
                p["jobId"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Waits (at most a minute) until `ready` holds for the journal's phases.
fn wait_for_journal(
    journal: &Path,
    ready: impl Fn(&[(String, Option<String>)]) -> bool,
) -> Vec<(String, Option<String>)> {
    let start = Instant::now();
    loop {
        let phases = phases(journal);
        if !phases.is_empty() && ready(&phases) {
            return phases;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "journal never got there: {phases:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every part's job is complete on the server, each row stored once, and no other job processed a row.
fn assert_loaded_once(server: &Server, rows: u64, parts: usize) {
    assert_eq!(server.count_accounts(), rows);
    let jobs = server.ingest_jobs();
    let complete = jobs.iter().filter(|j| j["state"] == "JobComplete").count();
    assert_eq!(complete, parts, "one complete job per part");
    for job in jobs.iter().filter(|j| j["state"] != "JobComplete") {
        let info = server.job(job["id"].as_str().unwrap());
        assert!(
            matches!(info["state"].as_str(), Some("Aborted" | "Open")),
            "{info}"
        );
        assert_eq!(
            info["numberRecordsProcessed"].as_u64().unwrap_or(0),
            0,
            "{info}"
        );
    }
}

#[test]
fn a_million_rows_load_in_parts_two_at_a_time() {
    let start = Instant::now();
    let server = serve(&[]);
    let file = server.path("accounts.csv");
    let generated = data::write_insert_csv(&file, 1_000_000, DEFAULT_SEED).unwrap();
    let generating = start.elapsed();
    let loading = Instant::now();
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "accounts.csv",
        "--parallel",
        "2",
        "--json",
    ]);
    let load_time = loading.elapsed();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report = json_out(&output);
    // 100 MB per part by default: the 226 MB file makes three jobs.
    let expected = expected_parts(&file, Some(100_000_000), None);
    assert_eq!(expected, 3);
    assert_eq!(report["jobs"].as_array().unwrap().len(), expected);
    assert_eq!(report["total"]["processed"], 1_000_000);
    assert_eq!(report["total"]["failed"], 0);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("upload done") && stderr.contains("processing done"),
        "{stderr}"
    );

    // The success file: the header once and every row, in the file's order.
    let verifying = Instant::now();
    let mut success_rows = 0u64;
    let mut header = None;
    for_each_record(&server.path("accounts-success.csv"), |row| {
        if header.is_none() {
            header = Some(row.to_vec());
        } else {
            assert!(row[0].starts_with("001") && row[1] == "true");
            success_rows += 1;
        }
    });
    assert_eq!(success_rows, 1_000_000);
    assert_eq!(header.unwrap()[..2], ["sf__Id", "sf__Created"]);

    // Every External_Id__c stored exactly once: a million records, and an export of the ids hits each once.
    assert_eq!(server.count_accounts(), 1_000_000);
    let output = server.cli(&[
        "export",
        "--query",
        "SELECT External_Id__c FROM Account",
        "--out",
        "ids.csv",
    ]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let mut seen = vec![false; 1_000_000];
    let mut first = true;
    for_each_record(&server.path("ids.csv"), |row| {
        if std::mem::take(&mut first) {
            return;
        }
        let key: usize = row[0].strip_prefix("EXT-").unwrap().parse().unwrap();
        assert!(!std::mem::replace(&mut seen[key], true), "{} twice", row[0]);
    });
    assert!(seen.iter().all(|&s| s));
    assert_eq!(server.ingest_jobs().len(), expected);
    eprintln!(
        "1,000,000 rows ({} bytes): generated in {:.1}s, loaded in {:.1}s ({} jobs, --parallel 2), verified in {:.1}s; \
         test total {:.1}s",
        generated.bytes,
        generating.as_secs_f64(),
        load_time.as_secs_f64(),
        expected,
        verifying.elapsed().as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn splitting_forced_by_size_and_by_rows_with_quoted_line_breaks_and_crlf() {
    for (flag, value) in [
        ("--max-bytes-per-job", "64KB"),
        ("--max-rows-per-job", "997"),
    ] {
        let server = serve(&["--chunk-rows", "500"]);
        let lf = server.path("lf.csv");
        data::write_insert_csv(&lf, 5_000, DEFAULT_SEED).unwrap();
        let file = server.path("crlf.csv");
        to_crlf(&lf, &file);
        let text_of = std::fs::read_to_string(&file).unwrap();
        assert!(
            text_of.contains("\r\n") && text_of.contains("\nSuite "),
            "CRLF records, LF inside values"
        );
        let expected = match flag {
            "--max-bytes-per-job" => expected_parts(&file, Some(64_000), None),
            _ => 5_000usize.div_ceil(997),
        };
        assert!(expected > 5, "{flag} {value}: {expected} parts");
        let output = server.cli(&[
            "load",
            "insert",
            "--object",
            "Account",
            "--file",
            "crlf.csv",
            flag,
            value,
            "--parallel",
            "3",
            "--results-dir",
            "out",
            "--json",
        ]);
        assert_eq!(code(&output), 0, "{flag}: {}", text(&output.stderr));
        let report = json_out(&output);
        assert_eq!(report["lineEnding"], "CRLF");
        let jobs = report["jobs"].as_array().unwrap();
        assert_eq!(jobs.len(), expected, "{flag} {value}");
        if flag == "--max-rows-per-job" {
            assert!(jobs.iter().all(|j| j["rows"].as_u64().unwrap() <= 997));
        }
        assert_eq!(report["total"]["processed"], 5_000);
        assert_loaded_once(&server, 5_000, expected);

        // Results merged in part order: the header once, the rows in the input's order, values intact.
        let input = external_ids(&file);
        let success = external_ids(&server.path("out/crlf-success.csv"));
        assert_eq!(success, input);
        let mut header_rows = 0;
        let mut multiline = 0;
        for_each_record(&server.path("out/crlf-success.csv"), |row| {
            header_rows += usize::from(row[0] == "sf__Id");
            multiline += usize::from(row[8].contains('\n'));
        });
        assert_eq!(header_rows, 1);
        assert!(
            multiline > 100,
            "street lines with line breaks came back whole"
        );
        let failed = std::fs::read_to_string(server.path("out/crlf-failed.csv")).unwrap();
        assert!(
            failed.starts_with("\"sf__Id\",\"sf__Error\",Name,"),
            "{failed}"
        );
        assert_eq!(failed.matches("sf__Id").count(), 1);
        assert!(!server.path("out/crlf-unprocessed.csv").exists());
        assert!(!server.path("out/crlf.parts").exists());
    }
}

#[test]
fn a_killed_cli_resumes_with_nothing_lost_or_duplicated() {
    // 100 rows a chunk and 40 ms after each: a 1,000-row part takes about half a second.
    let server = serve(&["--chunk-rows", "100", "--chunk-delay-ms", "40"]);
    let file = server.path("big.csv");
    data::write_insert_csv(&file, 8_000, DEFAULT_SEED).unwrap();
    let journal = server.path("big.journal.json");
    let args = [
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "big.csv",
        "--max-rows-per-job",
        "1000",
        "--parallel",
        "2",
    ];
    let mut child = server
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let at_kill = wait_for_journal(&journal, |phases| {
        phases.iter().any(|(phase, _)| phase == "downloaded")
            && phases.iter().any(|(phase, _)| phase == "pending")
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // What the journal said when the CLI died (it may have moved on a little before the kill landed).
    let at_kill = {
        let now = phases(&journal);
        assert_eq!(now.len(), 8);
        assert!(
            now.iter().any(|(p, _)| p != "downloaded"),
            "{now:?} {at_kill:?}"
        );
        now
    };
    let closed: HashMap<usize, String> = at_kill
        .iter()
        .enumerate()
        .filter(|(_, (phase, _))| matches!(phase.as_str(), "closed" | "finished" | "downloaded"))
        .map(|(i, (_, job))| (i, job.clone().unwrap()))
        .collect();
    assert!(!closed.is_empty());

    // Without --resume the unfinished journal is in the way.
    let output = server.cli(&args);
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("holds an unfinished load"),
        "{}",
        text(&output.stderr)
    );

    let mut resume = args.to_vec();
    resume.extend(["--resume", "--json"]);
    let output = server.cli(&resume);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report = json_out(&output);
    assert_eq!(report["total"]["processed"], 8_000);
    assert_eq!(
        report["total"]["failed"], 0,
        "a duplicate would fail with DUPLICATE_VALUE"
    );
    let jobs = report["jobs"].as_array().unwrap();
    // Parts closed before the kill kept their jobs: they were not sent again.
    for (part, job) in &closed {
        assert_eq!(jobs[*part]["id"], job.as_str());
    }
    assert_loaded_once(&server, 8_000, 8);
    assert_eq!(
        external_ids(&server.path("big-success.csv")),
        external_ids(&file)
    );
}

#[test]
fn ctrl_c_and_timeout_stop_with_the_resume_command() {
    // 100 rows a chunk and 100 ms after each: a 1,000-row part takes over a second.
    let server = serve(&["--chunk-rows", "100", "--chunk-delay-ms", "100"]);
    let file = server.path("slow.csv");
    data::write_insert_csv(&file, 4_000, DEFAULT_SEED).unwrap();
    let journal = server.path("slow.journal.json");
    let args = [
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "slow.csv",
        "--max-rows-per-job",
        "1000",
        "--parallel",
        "2",
    ];
    let child = server
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_journal(&journal, |phases| {
        phases.iter().any(|(phase, _)| phase == "closed")
    });
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("jobs still running on the server: 750"),
        "{stderr}"
    );
    let resume_line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("bulkforce load"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(
        resume_line.trim(),
        "bulkforce load insert --object Account --file slow.csv --parallel 2 --resume"
    );
    // The summary table shows the jobs so far.
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("part") && stdout.contains("750"),
        "{stdout}"
    );
    // No job is left Open: an upload cut off had its job aborted.
    assert!(server.ingest_jobs().iter().all(|j| j["state"] != "Open"));

    // --timeout: the same, exit 1.
    let words: Vec<&str> = resume_line.split_whitespace().skip(1).collect();
    let mut timed = words.clone();
    timed.extend(["--timeout", "1"]);
    let output = server.cli(&timed);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--timeout of 1s reached") && stderr.contains("--resume"),
        "{stderr}"
    );

    // The printed command finishes the load.
    let output = server.cli(&words);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert_loaded_once(&server, 4_000, 4);
    assert_eq!(
        external_ids(&server.path("slow-success.csv")),
        external_ids(&file)
    );
}

#[test]
fn refusals_and_exit_codes() {
    let server = serve(&["--chunk-rows", "100", "--chunk-delay-ms", "50"]);
    let file = server.path("a.csv");
    data::write_insert_csv(&file, 3_000, DEFAULT_SEED).unwrap();
    let args = [
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "a.csv",
        "--max-rows-per-job",
        "1000",
    ];
    // A changed file is never resumed.
    let mut child = server
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_journal(&server.path("a.journal.json"), |phases| {
        phases.iter().any(|(_, job)| job.is_some())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let mut resume = args.to_vec();
    resume.push("--resume");
    // Limits that differ from the journal's are refused: its parts are planned.
    let output = server.cli(&[&resume[..], &["--max-bytes-per-job", "1MB"]].concat());
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("planned with"),
        "{}",
        text(&output.stderr)
    );
    let mut more = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(&mut more, b"Late,,,,,,,,,,,,,EXT-LATE\n").unwrap();
    let output = server.cli(&resume);
    assert_eq!(code(&output), 1);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("changed since the load started (size"),
        "{stderr}"
    );

    // 64: limits that cannot work, or a bad size.
    for bad in [
        &["--max-bytes-per-job", "12 parsecs"][..],
        &["--max-bytes-per-job", "0"],
        &["--max-rows-per-job", "0"],
        &["--parallel", "0"],
    ] {
        let output = server.cli(&[&args[..], bad].concat());
        assert_eq!(code(&output), 64, "{bad:?}: {}", text(&output.stderr));
    }
    // 1: a record larger than a part may be, said with its line.
    std::fs::write(
        server.path("wide.csv"),
        format!("Name\nshort\n{}\n", "x".repeat(2_000)),
    )
    .unwrap();
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "wide.csv",
        "--max-bytes-per-job",
        "1KB",
    ]);
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("record starting on line 3"),
        "{}",
        text(&output.stderr)
    );
    // 1: mixed line endings, refused before any job exists.
    std::fs::write(server.path("mixed.csv"), "Name\r\nA\r\nB\nC\r\n").unwrap();
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "mixed.csv",
    ]);
    assert_eq!(code(&output), 1);
    assert!(
        text(&output.stderr).contains("line 3 ends in LF"),
        "{}",
        text(&output.stderr)
    );
    // 1: an unknown object, refused by the server at the first job; a rerun is not blocked by the journal.
    std::fs::write(server.path("n.csv"), "Name\nA\nB\n").unwrap();
    let unknown = [
        "load",
        "insert",
        "--object",
        "Nope__c",
        "--file",
        "n.csv",
        "--max-rows-per-job",
        "1",
    ];
    for _ in 0..2 {
        let output = server.cli(&unknown);
        assert_eq!(code(&output), 1, "{}", text(&output.stderr));
        assert!(
            !text(&output.stderr).contains("--resume"),
            "{}",
            text(&output.stderr)
        );
    }
    // 3: a job that fails (an unknown column), among parts.
    std::fs::write(server.path("bad.csv"), "Name,Employees\nFoo,12\nBar,13\n").unwrap();
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "bad.csv",
        "--max-rows-per-job",
        "1",
    ]);
    assert_eq!(code(&output), 3, "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Field name not found : Employees"),
        "{stdout}"
    );
    // 69: nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = server
        .command(&[
            "load",
            "insert",
            "--object",
            "Account",
            "--file",
            "n.csv",
            "--journal",
            "other.json",
        ])
        .env("BULKFORCE_INSTANCE_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 69, "{}", text(&output.stderr));
}
