//! `bulkforce export` with parallel result pages and `bulkforce jobs results`, against the real
//! `bulkforce serve` on an ephemeral port: a 1,000,000-row export, many small pages, and the result files of
//! ingest and query jobs.

mod support;

use bulkforce_bench::data;
use bulkforce_client::{Client, IngestJobRequest, JobKind, JobState, Operation, PollOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Output;
use std::time::Instant;
use support::{Server, code};

const TOKEN: &str = "00D000000000001!export.cli.test.token";

/// Starts the real binary on an ephemeral port, with the bench's `External_Id__c` on Account, and extra flags.
fn serve(extra: &[&str]) -> Server {
    support::serve(TOKEN, Some(data::SCHEMA_FILE), extra)
}

impl Server {
    /// Runs `bulkforce ARGS` against this server (auth from the environment, as users would set it).
    fn cli(&self, args: &[&str]) -> Output {
        self.cli_as(TOKEN, args)
    }

    fn client(&self) -> Client {
        Client::new(&self.url, TOKEN, "62.0").unwrap()
    }

    /// Loads `file` with one insert job through the library; returns the finished job's id.
    fn insert(&self, file: &Path) -> String {
        let client = self.client();
        let file = file.to_path_buf();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let job = client
                    .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
                    .await
                    .unwrap();
                let data = tokio::fs::File::open(&file).await.unwrap();
                client.upload_job_data(&job.id, data).await.unwrap();
                client.close_job(&job.id).await.unwrap();
                let done = client
                    .wait_for_job(JobKind::Ingest, &job.id, &PollOptions::default())
                    .await
                    .unwrap();
                assert_eq!(done.state, JobState::JobComplete);
                job.id
            })
    }
}

/// The JSON report on stdout, after checking the exit code.
fn report(output: &Output, expected_code: i32) -> serde_json::Value {
    assert_eq!(
        code(output),
        expected_code,
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Reads a CSV file row by row (quoted cells with delimiters, doubled quotes and line breaks), never holding
/// more than one row: the 1,000,000-row file is 230 MB.
struct Rows<R> {
    input: std::io::Bytes<BufReader<R>>,
}

impl<R: Read> Rows<R> {
    fn new(input: R) -> Self {
        Rows {
            input: BufReader::with_capacity(1 << 20, input).bytes(),
        }
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Vec<Vec<u8>>;

    fn next(&mut self) -> Option<Vec<Vec<u8>>> {
        let mut row = Vec::new();
        let mut cell = Vec::new();
        let mut quoted = false;
        let mut started = false;
        let mut pending_quote = false;
        for byte in self.input.by_ref() {
            let b = byte.unwrap();
            started = true;
            if pending_quote {
                pending_quote = false;
                if b == b'"' {
                    cell.push(b'"');
                    continue;
                }
                quoted = false;
            }
            match b {
                b'"' if quoted => pending_quote = true,
                b'"' => quoted = true,
                b',' if !quoted => row.push(std::mem::take(&mut cell)),
                b'\n' if !quoted => {
                    row.push(cell);
                    return Some(row);
                }
                _ => cell.push(b),
            }
        }
        if started {
            row.push(cell);
            Some(row)
        } else {
            None
        }
    }
}

fn rows_of(path: &Path) -> Rows<std::fs::File> {
    Rows::new(std::fs::File::open(path).unwrap())
}

/// True when two files hold the same bytes, compared a megabyte at a time.
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (mut a, mut b) = (
        BufReader::with_capacity(1 << 20, std::fs::File::open(a).unwrap()),
        BufReader::with_capacity(1 << 20, std::fs::File::open(b).unwrap()),
    );
    loop {
        let (x, y) = (a.fill_buf().unwrap(), b.fill_buf().unwrap());
        if x.is_empty() || y.is_empty() {
            return x.is_empty() && y.is_empty();
        }
        let n = x.len().min(y.len());
        if x[..n] != y[..n] {
            return false;
        }
        a.consume(n);
        b.consume(n);
    }
}

/// Nothing but the expected files in `dir`: no `.part` file, no spool directory left behind.
fn assert_only(dir: &Path, expected: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

const ALL_COLUMNS: &str = "SELECT Id, Name, AccountNumber, Phone, Website, NumberOfEmployees, \
    AnnualRevenue, BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, Industry, \
    Description, External_Id__c FROM Account";

#[test]
fn a_million_rows_export_in_parallel_pages_is_the_sequential_export_byte_for_byte() {
    const ROWS: u64 = 1_000_000;
    // One job takes the whole 226 MB file.
    let server = serve(&["--max-upload-bytes", "400000000"]);
    let input = server.path("accounts.csv");
    let started = Instant::now();
    data::write_insert_csv(&input, ROWS, data::DEFAULT_SEED).unwrap();
    server.insert(&input);
    std::fs::remove_file(&input).unwrap();
    let seeded = started.elapsed();

    let exports = server.path("exports");
    std::fs::create_dir(&exports).unwrap();
    let started = Instant::now();
    let parallel = report(
        &server.cli(&[
            "export",
            "--query",
            ALL_COLUMNS,
            "--out",
            "exports/parallel.csv",
            "--parallel",
            "4",
            "--max-records",
            "100000",
            "--json",
        ]),
        0,
    );
    let parallel_time = started.elapsed();
    assert_eq!(parallel["records"], ROWS);
    assert_eq!(parallel["pages"], 10);
    assert_eq!(parallel["parallel"], true);

    let started = Instant::now();
    let sequential = report(
        &server.cli(&[
            "export",
            "--query",
            ALL_COLUMNS,
            "--out",
            "exports/sequential.csv",
            "--parallel",
            "1",
            "--max-records",
            "100000",
            "--json",
        ]),
        0,
    );
    let sequential_time = started.elapsed();
    assert_eq!(sequential["records"], ROWS);
    assert_eq!(
        (&sequential["pages"], &sequential["parallel"]),
        (&10.into(), &false.into())
    );
    assert_only(&exports, &["parallel.csv", "sequential.csv"]);

    // The header once, then every external id exactly once.
    let mut rows = rows_of(&exports.join("parallel.csv"));
    let header = rows.next().unwrap();
    assert_eq!(header.len(), 15);
    assert_eq!(header[14], data::EXTERNAL_ID.as_bytes());
    let mut seen = vec![false; ROWS as usize];
    let mut count = 0u64;
    for row in rows {
        assert_eq!(row.len(), 15, "row {count}");
        let id = std::str::from_utf8(&row[14]).unwrap();
        let key: usize = id
            .strip_prefix("EXT-")
            .and_then(|k| k.parse().ok())
            .unwrap_or_else(|| panic!("external id {id:?}"));
        assert!(!seen[key], "{id} twice");
        seen[key] = true;
        count += 1;
    }
    assert_eq!(count, ROWS);
    assert!(seen.iter().all(|&s| s));
    assert!(
        same_bytes(
            &exports.join("parallel.csv"),
            &exports.join("sequential.csv")
        ),
        "the parallel export equals the sequential one byte for byte"
    );
    eprintln!(
        "1,000,000 rows: generated and loaded in {:.1} s; export --parallel 4 {:.1} s, --parallel 1 {:.1} s; \
         whole test {:.1} s",
        seeded.as_secs_f64(),
        parallel_time.as_secs_f64(),
        sequential_time.as_secs_f64(),
        (seeded + parallel_time + sequential_time).as_secs_f64()
    );
}

#[test]
fn many_small_pages_and_jobs_results_for_query_and_ingest_jobs() {
    let server = serve(&[]);
    data::write_insert_csv(&server.path("accounts.csv"), 2_500, 7).unwrap();
    // Two more rows that fail: a number that is not one, and no name.
    let columns = data::COLUMNS.len();
    let row = |cells: &[(&str, &str)]| {
        let mut row = vec![""; columns];
        for (column, value) in cells {
            row[data::COLUMNS.iter().position(|c| c == column).unwrap()] = value;
        }
        row.join(",") + "\n"
    };
    let mut input = std::fs::read_to_string(server.path("accounts.csv")).unwrap();
    input.push_str(&row(&[
        ("Name", "Bad"),
        ("NumberOfEmployees", "abc"),
        ("External_Id__c", "EXT-BAD"),
    ]));
    input.push_str(&row(&[("External_Id__c", "EXT-X")]));
    std::fs::write(server.path("accounts.csv"), input).unwrap();
    let ingest_id = server.insert(&server.path("accounts.csv"));

    // 25 pages of 100: five resultPages answers of five pages, four pages at a time.
    let query = "SELECT Name, Description, External_Id__c FROM Account ORDER BY External_Id__c";
    let output = server.cli(&[
        "export",
        "--query",
        query,
        "--out",
        "small.csv",
        "--max-records",
        "100",
        "--json",
    ]);
    // Off a terminal, progress is plain lines on stderr: one per phase at least.
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("query: done in"), "{progress}");
    assert!(
        progress.contains("download: done in") && progress.contains("2,500 rows"),
        "{progress}"
    );
    let out = report(&output, 0);
    assert_eq!(
        (&out["records"], &out["pages"], &out["parallel"]),
        (&2_500.into(), &25.into(), &true.into())
    );
    let query_id = out["job"]["id"].as_str().unwrap().to_owned();
    let rows: Vec<_> = rows_of(&server.path("small.csv")).collect();
    assert_eq!(rows.len(), 2_501, "one header, then every row once");
    assert_eq!(rows[0], [&b"Name"[..], b"Description", b"External_Id__c"]);
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[2], data::external_id(i as u64).as_bytes());
    }
    let out = report(
        &server.cli(&[
            "export",
            "--query",
            query,
            "--out",
            "small-1.csv",
            "--max-records",
            "100",
            "--parallel",
            "1",
            "--json",
        ]),
        0,
    );
    assert_eq!(
        (&out["pages"], &out["parallel"]),
        (&25.into(), &false.into())
    );
    assert!(same_bytes(
        &server.path("small.csv"),
        &server.path("small-1.csv")
    ));
    let text = server.cli(&[
        "export",
        "--query",
        query,
        "--out",
        "small-2.csv",
        "--max-records",
        "100",
    ]);
    assert_eq!(code(&text), 0);
    let line = String::from_utf8_lossy(&text.stdout);
    assert!(
        line.starts_with("job 750")
            && line.trim_end().ends_with(
                " (query Account): 2500 rows written to small-2.csv (25 pages, up to 4 at a time)"
            ),
        "{line}"
    );

    // jobs results of the query job: the same bytes, to --out or as <id>.csv in --results-dir.
    let out = report(
        &server.cli(&[
            "jobs",
            "results",
            &query_id,
            "--out",
            "again.csv",
            "--max-records",
            "300",
            "--json",
        ]),
        0,
    );
    assert_eq!((&out["records"], &out["pages"]), (&2_500.into(), &9.into()));
    assert!(same_bytes(
        &server.path("small.csv"),
        &server.path("again.csv")
    ));
    let output = server.cli(&["jobs", "results", &query_id, "--results-dir", "q"]);
    assert_eq!(code(&output), 0);
    assert!(same_bytes(
        &server.path("small.csv"),
        &server.path(&format!("q/{query_id}.csv"))
    ));

    // jobs results of the ingest job: three files, exit 2 since two rows failed.
    let out = report(
        &server.cli(&[
            "jobs",
            "results",
            &ingest_id,
            "--results-dir",
            "r",
            "--json",
        ]),
        2,
    );
    assert_eq!(out["job"]["numberRecordsFailed"], 2);
    let dir = server.path("r");
    let success: Vec<_> = rows_of(&dir.join(format!("{ingest_id}-success.csv"))).collect();
    let failed: Vec<_> = rows_of(&dir.join(format!("{ingest_id}-failed.csv"))).collect();
    let unprocessed: Vec<_> = rows_of(&dir.join(format!("{ingest_id}-unprocessed.csv"))).collect();
    assert_eq!(
        (success.len(), failed.len(), unprocessed.len()),
        (2_501, 3, 1)
    );
    assert_eq!(&success[0][..2], [&b"sf__Id"[..], b"sf__Created"]);
    assert_eq!(&failed[0][..2], [&b"sf__Id"[..], b"sf__Error"]);
    assert!(failed[1..].iter().any(|r| r[2] == b"Bad"));
    assert!(failed[1..].iter().any(|r| r.last().unwrap() == b"EXT-X"));
    assert_eq!(unprocessed[0].len(), columns, "the uploaded header");
    assert_only(
        &dir,
        &[
            &format!("{ingest_id}-success.csv"),
            &format!("{ingest_id}-failed.csv"),
            &format!("{ingest_id}-unprocessed.csv"),
        ],
    );
    // --out is for query jobs; --out and --results-dir together, and --parallel 0, are usage errors.
    assert_eq!(
        code(&server.cli(&["jobs", "results", &ingest_id, "--out", "x.csv"])),
        64
    );
    assert_eq!(
        code(&server.cli(&[
            "jobs",
            "results",
            &query_id,
            "--out",
            "x.csv",
            "--results-dir",
            "d"
        ])),
        64
    );
    assert_eq!(
        code(&server.cli(&[
            "export",
            "--query",
            query,
            "--out",
            "x.csv",
            "--parallel",
            "0"
        ])),
        64
    );
    // An unknown job: exit 1 with the server's error.
    let output = server.cli(&["jobs", "results", "750000000000000AAA"]);
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8_lossy(&output.stderr).contains("NOT_FOUND"));
    assert!(!server.path("x.csv").exists());
}

#[test]
fn api_version_57_exports_by_locator() {
    let server = serve(&[]);
    data::write_insert_csv(&server.path("accounts.csv"), 450, 3).unwrap();
    server.insert(&server.path("accounts.csv"));
    let query = "SELECT Name, External_Id__c FROM Account";
    let run = |version: &str, out: &str| {
        report(
            &server.cli(&[
                "export",
                "--query",
                query,
                "--out",
                out,
                "--max-records",
                "100",
                "--api-version",
                version,
                "--json",
            ]),
            0,
        )
    };
    let old = run("57.0", "old.csv");
    assert_eq!(
        (&old["records"], &old["pages"], &old["parallel"]),
        (&450.into(), &5.into(), &false.into())
    );
    let new = run("58.0", "new.csv");
    assert_eq!((&new["pages"], &new["parallel"]), (&5.into(), &true.into()));
    assert!(same_bytes(&server.path("old.csv"), &server.path("new.csv")));
}
