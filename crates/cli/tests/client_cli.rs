//! The client side: `bulkforce load`, `export` and `jobs`, and the `bulkforce-client` library, driven against
//! the real `bulkforce serve` on an ephemeral port.

mod support;

use bulkforce_client::{
    Client, Error, IngestJobRequest, JobKind, JobState, Operation, PollOptions,
};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use support::{Server, code, json_out};

const TOKEN: &str = "00D000000000001!client.cli.test.token";

/// Starts the real binary on an ephemeral port, with `External_Id__c` on Account, and extra flags.
fn serve(extra: &[&str]) -> Server {
    support::serve(
        TOKEN,
        Some(
            r#"{"name":"Account","fields":[{"name":"External_Id__c","type":"string","length":80,
            "externalId":true,"unique":true,"nillable":true,"createable":true,"updateable":true}]}"#,
        ),
        extra,
    )
}

impl Server {
    /// Runs `bulkforce ARGS` against this server (auth from the environment, as users would set it).
    fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_token(args, TOKEN)
    }

    fn cli_with_token(&self, args: &[&str], token: &str) -> Output {
        self.cli_as(token, args)
    }

    fn client(&self) -> Client {
        Client::new(&self.url, TOKEN, "62.0").unwrap()
    }
}

/// Parses CSV (quoted cells with delimiters, doubled quotes and newlines) into rows of cells.
fn parse_csv(text: &str, delimiter: char) -> Vec<Vec<String>> {
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
            c if c == delimiter && !quoted => row.push(std::mem::take(&mut cell)),
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

fn read_csv(path: &Path, delimiter: char) -> Vec<Vec<String>> {
    parse_csv(&std::fs::read_to_string(path).unwrap(), delimiter)
}

#[test]
fn load_with_quotes_commas_newlines_and_failing_rows_exits_2_with_result_files() {
    let server = serve(&[]);
    let file = server.path("accounts.csv");
    std::fs::write(
        &file,
        "Name,NumberOfEmployees,Description\n\
         \"Acme, Inc.\",120,\"Widgets, \"\"gadgets\"\"\nand more\"\n\
         Globex,abc,\n\
         ,5,no name\n\
         Initech,7,\"line one\nline two\"\n",
    )
    .unwrap();
    let results = server.path("out");
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        file.to_str().unwrap(),
        "--results-dir",
        results.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        code(&output),
        2,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_out(&output);
    assert_eq!(report["jobs"][0]["state"], "JobComplete");
    assert_eq!(report["jobs"][0]["processed"], 4);
    assert_eq!(report["jobs"][0]["failed"], 2);
    assert_eq!(report["columnDelimiter"], "COMMA");

    let success = read_csv(&results.join("accounts-success.csv"), ',');
    assert_eq!(
        success[0],
        [
            "sf__Id",
            "sf__Created",
            "Name",
            "NumberOfEmployees",
            "Description"
        ]
    );
    assert_eq!(success.len(), 3);
    let acme = success.iter().find(|r| r[2] == "Acme, Inc.").unwrap();
    assert!(acme[0].starts_with("001") && acme[1] == "true");
    assert_eq!(acme[4], "Widgets, \"gadgets\"\nand more");
    assert!(success.iter().any(|r| r[4] == "line one\nline two"));

    let failed = read_csv(&results.join("accounts-failed.csv"), ',');
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[0][1], "sf__Error");
    assert!(
        failed
            .iter()
            .any(|r| r[2] == "Globex" && r[1].starts_with("INVALID_FIELD:"))
    );
    assert!(
        failed
            .iter()
            .any(|r| r[3] == "5" && r[1].starts_with("REQUIRED_FIELD_MISSING:"))
    );
    // Without --results-dir the files land next to the input; the upload was not changed.
    let output = server.cli(&[
        "load",
        "insert",
        "--object",
        "Account",
        "--file",
        "accounts.csv",
    ]);
    assert_eq!(code(&output), 2);
    assert!(server.path("accounts-success.csv").exists());
    assert!(server.path("accounts-failed.csv").exists());
}

#[test]
fn semicolon_crlf_file_is_declared_as_such_and_loads_clean() {
    let server = serve(&[]);
    std::fs::write(
        server.path("semi.csv"),
        "Name;Description\r\n\"A;B\";\"x, y\"\r\nC;d\r\n",
    )
    .unwrap();
    let output = server.cli(&[
        "load", "insert", "--object", "Account", "--file", "semi.csv", "--json",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_out(&output);
    assert_eq!(report["columnDelimiter"], "SEMICOLON");
    assert_eq!(report["lineEnding"], "CRLF");
    assert_eq!(report["total"]["failed"], 0);
    let success = read_csv(&server.path("semi-success.csv"), ';');
    assert!(success.iter().any(|r| r[2] == "A;B" && r[3] == "x, y"));
}

#[test]
fn upsert_on_an_external_id_then_delete() {
    let server = serve(&[]);
    std::fs::write(
        server.path("first.csv"),
        "External_Id__c,Name\nE1,One\nE2,Two\nE3,Three\n",
    )
    .unwrap();
    let upsert = |file: &str| {
        server.cli(&[
            "load",
            "upsert",
            "--object",
            "Account",
            "--file",
            file,
            "--external-id",
            "External_Id__c",
        ])
    };
    assert_eq!(code(&upsert("first.csv")), 0);
    std::fs::write(
        server.path("second.csv"),
        "External_Id__c,Name\nE2,Two again\nE4,Four\n",
    )
    .unwrap();
    assert_eq!(code(&upsert("second.csv")), 0);
    let success = read_csv(&server.path("second-success.csv"), ',');
    let created: Vec<(&str, &str)> = success[1..]
        .iter()
        .map(|r| (r[2].as_str(), r[1].as_str()))
        .collect();
    assert!(created.contains(&("E2", "false")) && created.contains(&("E4", "true")));

    // Upsert without --external-id is a usage error.
    assert_eq!(
        code(&server.cli(&[
            "load",
            "upsert",
            "--object",
            "Account",
            "--file",
            "first.csv"
        ])),
        64
    );

    // Delete the first three by Id, taken from the first load's results.
    let first = read_csv(&server.path("first-success.csv"), ',');
    let mut ids = String::from("Id\n");
    for row in &first[1..] {
        ids.push_str(&row[0]);
        ids.push('\n');
    }
    std::fs::write(server.path("ids.csv"), ids).unwrap();
    let output = server.cli(&["load", "delete", "--object", "Account", "--file", "ids.csv"]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let output = server.cli(&[
        "export",
        "--query",
        "SELECT External_Id__c, Name FROM Account ORDER BY External_Id__c",
        "--out",
        "live.csv",
    ]);
    assert_eq!(code(&output), 0);
    let live = read_csv(&server.path("live.csv"), ',');
    assert_eq!(live, [vec!["External_Id__c", "Name"], vec!["E4", "Four"]]);
    let output = server.cli(&[
        "export",
        "--all",
        "--query",
        "SELECT External_Id__c FROM Account",
        "--out",
        "all.csv",
        "--json",
    ]);
    assert_eq!(code(&output), 0);
    assert_eq!(json_out(&output)["records"], 4);

    // hardDelete E4 for good: gone from queryAll too.
    let e4 = read_csv(&server.path("second-success.csv"), ',')
        .into_iter()
        .find(|r| r[2] == "E4")
        .unwrap();
    std::fs::write(server.path("hard.csv"), format!("Id\n{}\n", e4[0])).unwrap();
    let output = server.cli(&[
        "load",
        "hardDelete",
        "--object",
        "Account",
        "--file",
        "hard.csv",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = server.cli(&[
        "export",
        "--all",
        "--query",
        "SELECT External_Id__c FROM Account",
        "--out",
        "all.csv",
        "--json",
    ]);
    assert_eq!(json_out(&output)["records"], 3);
}

#[test]
fn export_of_thousands_of_rows_over_several_pages_matches_the_load() {
    let server = serve(&[]);
    let rows = 4_000;
    let mut csv = String::from("Name,NumberOfEmployees,Description\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "\"Account {i:05}, \"\"quoted\"\"\",{i},\"line {i}\nsecond, line\"\n"
        ));
    }
    std::fs::write(server.path("many.csv"), &csv).unwrap();
    let output = server.cli(&[
        "load", "insert", "--object", "Account", "--file", "many.csv",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let output = server.cli(&[
        "export",
        "--query",
        "SELECT Name, NumberOfEmployees, Description FROM Account ORDER BY Name",
        "--out",
        "export.csv",
        "--max-records",
        "1500",
        "--json",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_out(&output)["records"], rows);
    let exported = read_csv(&server.path("export.csv"), ',');
    let loaded = parse_csv(&csv, ',');
    assert_eq!(exported.len(), rows + 1, "one header, then every row once");
    assert_eq!(exported, loaded);
}

#[test]
fn jobs_list_show_abort_delete() {
    let server = serve(&[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();
    let job = runtime
        .block_on(client.create_ingest_job(&IngestJobRequest::new("Contact", Operation::Insert)))
        .unwrap();
    assert_eq!(job.state, JobState::Open);

    let output = server.cli(&["jobs", "list", "--json"]);
    assert_eq!(code(&output), 0);
    let list = json_out(&output);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == job.id.as_str())
    );

    let output = server.cli(&["jobs", "abort", &job.id]);
    assert_eq!(code(&output), 0);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("job {}: Aborted", job.id)
    );
    let output = server.cli(&["jobs", "show", &job.id, "--json"]);
    assert_eq!(code(&output), 0);
    let info = json_out(&output);
    assert_eq!(info["state"], "Aborted");
    assert_eq!(info["object"], "Contact");
    // Aborting again is refused by the server: exit 1 with its error.
    let output = server.cli(&["jobs", "abort", &job.id]);
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8_lossy(&output.stderr).contains("INVALIDJOBSTATE"));

    // A query job is found by the same commands.
    let output = server.cli(&[
        "export",
        "--query",
        "SELECT Id FROM Contact",
        "--out",
        "c.csv",
        "--json",
    ]);
    assert_eq!(code(&output), 0);
    let query_id = json_out(&output)["job"]["id"].as_str().unwrap().to_owned();
    let output = server.cli(&["jobs", "show", &query_id]);
    assert_eq!(code(&output), 0);
    assert!(String::from_utf8_lossy(&output.stdout).contains("V2Query"));

    for id in [&job.id, &query_id] {
        assert_eq!(code(&server.cli(&["jobs", "delete", id])), 0);
        let output = server.cli(&["jobs", "show", id]);
        assert_eq!(code(&output), 1);
        assert!(String::from_utf8_lossy(&output.stderr).contains("NOT_FOUND"));
    }
}

#[test]
fn bad_token_and_unreachable_server_exit_69() {
    let server = serve(&[]);
    std::fs::write(server.path("a.csv"), "Name\nAcme\n").unwrap();
    let output = server.cli_with_token(
        &["load", "insert", "--object", "Account", "--file", "a.csv"],
        "00D000000000001!wrong",
    );
    assert_eq!(code(&output), 69);
    assert!(String::from_utf8_lossy(&output.stderr).contains("INVALID_SESSION_ID"));
    assert_eq!(code(&server.cli_with_token(&["jobs", "list"], "nope")), 69);

    // A port nothing listens on: connection refused, retried, then 69.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["jobs", "list", "--access-token", TOKEN, "--instance-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 69);
    // Missing credentials are a usage error.
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["jobs", "list"])
        .env_remove("BULKFORCE_INSTANCE_URL")
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(&output), 64);
}

#[test]
fn a_failing_job_exits_3() {
    let server = serve(&[]);
    std::fs::write(server.path("bad.csv"), "Name,Employees\nFoo,12\n").unwrap();
    let output = server.cli(&["load", "insert", "--object", "Account", "--file", "bad.csv"]);
    assert_eq!(code(&output), 3);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Failed"), "{stdout}");
    assert!(
        stdout.contains("Field name not found : Employees"),
        "{stdout}"
    );
    // Malformed SOQL is refused at creation: exit 1 with Salesforce's error.
    let output = server.cli(&[
        "export",
        "--query",
        "SELECT Nope FROM Account",
        "--out",
        "x.csv",
    ]);
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8_lossy(&output.stderr).contains("INVALID_FIELD"));
}

#[test]
fn library_poll_deadline_returns_the_job_id_and_leaves_the_job_running() {
    let server = serve(&["--chunk-rows", "50", "--chunk-delay-ms", "100"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();
    runtime.block_on(async {
        let job = client
            .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
            .await
            .unwrap();
        let mut csv = String::from("Name\n");
        for i in 0..400 {
            csv.push_str(&format!("N{i}\n"));
        }
        client
            .upload_job_data(&job.id, std::io::Cursor::new(csv.into_bytes()))
            .await
            .unwrap();
        client.close_job(&job.id).await.unwrap();
        let quick = PollOptions {
            timeout: Duration::from_millis(150),
            ..PollOptions::default()
        };
        match client.wait_for_job(JobKind::Ingest, &job.id, &quick).await {
            Err(Error::Timeout { job_id, state, .. }) => {
                assert_eq!(job_id, job.id);
                assert!(!state.is_terminal());
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        let done = client
            .wait_for_job(JobKind::Ingest, &job.id, &PollOptions::default())
            .await
            .unwrap();
        assert_eq!(done.state, JobState::JobComplete);
        assert_eq!(done.number_records_processed, Some(400));

        // Result files as byte streams; a second upload is refused with a typed error.
        let mut out = Vec::new();
        client
            .download_ingest_results(&job.id, bulkforce_client::ResultKind::Successful, &mut out)
            .await
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 401);
        let err = client
            .job_info(JobKind::Ingest, "750000000000000AAA")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Api { status: 404, ref code, .. } if code == "NOT_FOUND"));
    });
}
