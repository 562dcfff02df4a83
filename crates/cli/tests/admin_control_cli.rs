//! `bulkforce admin` against a running server: the real binary's control commands (health, ready,
//! metrics, requests, orgs, clock, reset, snapshots, jobs and holds, faults) against the real `bulkforce
//! serve` over HTTP, with their text and `--json` output and their exit codes (a wrong token, no server).

mod support;

use serde_json::{Value, json};
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{Server, code, json_out, serve};

/// The default org admin's token (`serve --access-token`).
const ADMIN_TOKEN: &str = "admin-control-cli-token";
/// The `serve --control-token`.
const CONTROL_TOKEN: &str = "admin-control-cli-control-token";

/// A server with both tokens.
fn server() -> Server {
    serve(ADMIN_TOKEN, None, &["--control-token", CONTROL_TOKEN])
}

/// `bulkforce admin ARGS` with none of the test's own BULKFORCE_* variables.
fn bare_admin(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
    command.arg("admin").args(args);
    for name in [
        "BULKFORCE_URL",
        "BULKFORCE_INSTANCE_URL",
        "BULKFORCE_CONTROL_TOKEN",
        "BULKFORCE_ACCESS_TOKEN",
        "BULKFORCE_DATA_DIR",
    ] {
        command.env_remove(name);
    }
    command
}

/// `bulkforce admin --url URL [--token TOKEN] ARGS` in the server's directory.
fn admin_with(server: &Server, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = bare_admin(&["--url", &server.url]);
    if let Some(token) = token {
        command.args(["--token", token]);
    }
    command
        .args(args)
        .current_dir(server.dir.path())
        .output()
        .expect("bulkforce admin runs")
}

/// `bulkforce admin ARGS` with the control token; asserts exit 0 and returns stdout.
fn admin(server: &Server, args: &[&str]) -> String {
    let output = admin_with(server, Some(CONTROL_TOKEN), args);
    assert_eq!(code(&output), 0, "admin {args:?}: {}", both(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// `bulkforce admin --json ARGS` with the control token; asserts exit 0 and returns the JSON.
fn admin_json(server: &Server, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = admin_with(server, Some(CONTROL_TOKEN), &all);
    assert_eq!(code(&output), 0, "admin {args:?}: {}", both(&output));
    json_out(&output)
}

/// `bulkforce admin ARGS` that must fail with `exit`; returns stderr.
fn admin_fails(server: &Server, args: &[&str], exit: i32) -> String {
    let output = admin_with(server, Some(CONTROL_TOKEN), args);
    assert_eq!(code(&output), exit, "admin {args:?}: {}", both(&output));
    String::from_utf8(output.stderr).unwrap()
}

fn both(output: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A Salesforce API call as the default org's admin; returns the status and the JSON body (null if none).
fn api(server: &Server, method: &str, path: &str, body: Option<(&str, String)>) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    let url = format!("{}/services/data/v62.0/{path}", server.url);
    let mut request = client
        .request(method.parse().unwrap(), url)
        .bearer_auth(ADMIN_TOKEN);
    if let Some((content_type, body)) = body {
        request = request.header("Content-Type", content_type).body(body);
    }
    let response = request.send().expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates an Open ingest job inserting Accounts; returns its id.
fn open_job(server: &Server) -> String {
    let body = json!({"object": "Account", "operation": "insert", "lineEnding": "LF"});
    let (status, job) = api(
        server,
        "POST",
        "jobs/ingest",
        Some(("application/json", body.to_string())),
    );
    assert_eq!(status, 200, "{job}");
    job["id"].as_str().unwrap().to_owned()
}

/// Uploads Accounts named `names` to the Open job `id` and closes it.
fn upload_and_close(server: &Server, id: &str, names: &[&str]) {
    let csv = format!("Name\n{}\n", names.join("\n"));
    let (status, body) = api(
        server,
        "PUT",
        &format!("jobs/ingest/{id}/batches"),
        Some(("text/csv", csv)),
    );
    assert_eq!(status, 201, "{body}");
    let close = json!({"state": "UploadComplete"}).to_string();
    let (status, body) = api(
        server,
        "PATCH",
        &format!("jobs/ingest/{id}"),
        Some(("application/json", close)),
    );
    assert_eq!(status, 200, "{body}");
}

/// Polls the ingest job `id` until it is JobComplete (at most 30 s).
fn wait_complete(server: &Server, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, job) = api(server, "GET", &format!("jobs/ingest/{id}"), None);
        if job["state"] == "JobComplete" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} did not complete: {job}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Inserts Accounts named `names` through an ingest job and waits for it.
fn insert_accounts(server: &Server, names: &[&str]) {
    let id = open_job(server);
    upload_and_close(server, &id, names);
    wait_complete(server, &id);
}

/// How many Accounts the default org has (a REST query).
fn account_count(server: &Server) -> u64 {
    let (status, body) = api(server, "GET", "query?q=SELECT+Id+FROM+Account", None);
    assert_eq!(status, 200, "{body}");
    body["totalSize"].as_u64().unwrap()
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn health_ready_and_metrics_need_no_token() {
    let server = server();
    let text = String::from_utf8(admin_with(&server, None, &["health"]).stdout).unwrap();
    assert!(text.starts_with("UP (bulkforce "), "{text}");
    let output = admin_with(&server, None, &["--json", "health"]);
    assert_eq!(code(&output), 0, "{}", both(&output));
    assert_eq!(json_out(&output)["status"], "UP");

    let output = admin_with(&server, None, &["ready", "--wait", "10"]);
    assert_eq!(code(&output), 0, "{}", both(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("READY (") && text.contains("store UP"),
        "{text}"
    );
    let output = admin_with(&server, None, &["--json", "ready"]);
    assert_eq!(json_out(&output)["checks"]["workers"], "UP");

    let output = admin_with(&server, None, &["metrics"]);
    assert_eq!(code(&output), 0, "{}", both(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("bulkforce_http_requests_total"), "{text}");
}

#[test]
fn requests_are_listed_newest_first_with_either_token_from_flags_or_environment() {
    let server = server();
    api(&server, "GET", "jobs/ingest", None);
    api(&server, "GET", "jobs/query", None);
    let log = admin_json(&server, &["requests", "--limit", "2"]);
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "{log}");
    assert_eq!(log["capacity"], 1000);
    assert_eq!(requests[0]["path"], "/services/data/v62.0/jobs/query");
    assert_eq!(requests[1]["path"], "/services/data/v62.0/jobs/ingest");
    assert_eq!(requests[0]["status"], 200);

    let text = admin(&server, &["requests"]);
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("time") && header.ends_with("path"),
        "{text}"
    );
    assert!(text.contains("/services/data/v62.0/jobs/ingest"), "{text}");
    assert!(!text.contains(ADMIN_TOKEN) && !text.contains(CONTROL_TOKEN));

    // The admin's token works too, and both come from the environment as well as from flags.
    let output = admin_with(&server, Some(ADMIN_TOKEN), &["requests", "--limit", "1"]);
    assert_eq!(code(&output), 0, "{}", both(&output));
    let output = bare_admin(&["--json", "requests", "--limit", "1"])
        .env("BULKFORCE_URL", &server.url)
        .env("BULKFORCE_CONTROL_TOKEN", CONTROL_TOKEN)
        .output()
        .unwrap();
    assert_eq!(json_out(&output)["requests"].as_array().unwrap().len(), 1);
    // What the client commands already use: the instance URL and the admin's access token.
    let output = server
        .command_as(ADMIN_TOKEN, &["admin", "--json", "requests"])
        .env_remove("BULKFORCE_URL")
        .env_remove("BULKFORCE_CONTROL_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", both(&output));
}

#[test]
fn a_wrong_or_missing_token_is_refused_clearly() {
    let server = server();
    let output = admin_with(&server, Some("not-a-token"), &["requests"]);
    assert_eq!(code(&output), 69, "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("bulkforce: UNAUTHORIZED:") && stderr.contains("HTTP 401"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let output = admin_with(&server, Some("not-a-token"), &["reset"]);
    assert_eq!(code(&output), 69, "{}", both(&output));

    let output = admin_with(&server, None, &["faults", "list"]);
    assert_eq!(code(&output), 64, "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BULKFORCE_CONTROL_TOKEN"), "{stderr}");
}

#[test]
fn no_server_is_a_clear_error() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    for args in [
        &["health"][..],
        &["ready"],
        &["--token", "t", "jobs", "list"],
    ] {
        let output = bare_admin(&["--url", &url]).args(args).output().unwrap();
        assert_eq!(code(&output), 69, "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!("bulkforce: cannot reach the server at {url}/: ")),
            "{stderr}"
        );
        assert!(
            stderr.to_lowercase().contains("connection refused"),
            "{stderr}"
        );
    }
    let output = bare_admin(&["health"]).output().unwrap();
    assert_eq!(code(&output), 64, "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--url"));
    let output = bare_admin(&["--url", "localhost:8080", "health"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 64, "{}", both(&output));
}

#[test]
fn the_data_dir_commands_still_work_beside_the_server_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = bare_admin(&["--json", "list", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", both(&output));
    assert_eq!(json_out(&output)[0]["default"], true);
    // A server command never opens (or creates) the data dir.
    let other = dir.path().join("untouched");
    let output = bare_admin(&["--url", "http://127.0.0.1:1", "--data-dir"])
        .arg(&other)
        .arg("health")
        .output()
        .unwrap();
    assert_eq!(code(&output), 69);
    assert!(!other.exists());
}

#[test]
fn orgs_lists_the_default_org() {
    let server = server();
    let orgs = admin_json(&server, &["orgs"]);
    let orgs = orgs.as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    assert_eq!(orgs[0]["isDefault"], true);
    assert_eq!(orgs[0]["id"].as_str().unwrap().len(), 18);
    let text = admin(&server, &["orgs"]);
    assert!(text.contains("(default)"), "{text}");
}

#[test]
fn the_clock_is_shown_frozen_shifted_and_made_real_again() {
    let server = server();
    assert_eq!(admin_json(&server, &["clock"])["mode"], "real");
    let frozen = admin_json(&server, &["clock", "freeze", "2027-01-01"]);
    assert_eq!(frozen["mode"], "frozen");
    assert_eq!(frozen["now"], "2027-01-01T00:00:00.000Z");
    let text = admin(&server, &["clock", "show"]);
    assert_eq!(text.trim(), "frozen at 2027-01-01T00:00:00.000Z");
    // The frozen time is what a new job is stamped with.
    let id = open_job(&server);
    let (_, job) = api(&server, "GET", &format!("jobs/ingest/{id}"), None);
    assert!(
        job["createdDate"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-01T00:00:00"),
        "{job}"
    );

    let shifted = admin_json(&server, &["clock", "offset", "-1d"]);
    assert_eq!(shifted["mode"], "offset");
    assert_eq!(shifted["offsetSeconds"], -86_400);
    let text = admin(&server, &["clock", "offset", "3600"]);
    assert!(text.starts_with("offset by 3600 s: now "), "{text}");
    let real = admin_json(&server, &["clock", "real"]);
    assert_eq!(real["mode"], "real");
    assert!(real.get("offsetSeconds").is_none(), "{real}");

    let stderr = admin_fails(&server, &["clock", "freeze", "soon"], 64);
    assert!(stderr.contains("is not a time"), "{stderr}");
    admin_fails(&server, &["clock", "offset", "1w"], 64);
}

#[test]
fn reset_empties_every_org_or_one() {
    let server = server();
    insert_accounts(&server, &["Acme", "Globex"]);
    assert_eq!(account_count(&server), 2);
    let text = admin(&server, &["reset"]);
    assert!(text.starts_with("reset: "), "{text}");
    assert_eq!(account_count(&server), 0);
    let (_, jobs) = api(&server, "GET", "jobs/ingest", None);
    assert_eq!(jobs["records"], json!([]), "{jobs}");

    insert_accounts(&server, &["Initech"]);
    let orgs = admin_json(&server, &["orgs"]);
    let org = orgs[0]["id"].as_str().unwrap();
    assert_eq!(admin_json(&server, &["reset", "--org", org])["reset"], org);
    assert_eq!(account_count(&server), 0);
    let stderr = admin_fails(&server, &["reset", "--org", "00D000000000099"], 1);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
}

#[test]
fn snapshots_are_created_listed_restored_and_deleted() {
    let server = server();
    insert_accounts(&server, &["Acme", "Globex"]);
    let created = admin_json(&server, &["snapshot", "create", "two-accounts"]);
    assert_eq!(created["name"], "two-accounts");
    assert_eq!(created["orgs"], 1);
    let text = admin(&server, &["snapshot", "create", "again"]);
    assert!(
        text.starts_with("snapshot again created at ") && text.trim_end().ends_with(" (1 org)"),
        "{text}"
    );
    admin(&server, &["snapshot", "delete", "again"]);
    let text = admin(&server, &["snapshots", "list"]);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("name"), "{text}");
    assert!(lines.next().unwrap().starts_with("two-accounts "), "{text}");

    admin(&server, &["reset"]);
    assert_eq!(account_count(&server), 0);
    let text = admin(&server, &["snapshot", "restore", "two-accounts"]);
    assert_eq!(text.trim(), "snapshot two-accounts restored");
    assert_eq!(account_count(&server), 2);

    let stderr = admin_fails(&server, &["snapshot", "create", "two-accounts"], 1);
    assert!(stderr.contains("DUPLICATE_NAME"), "{stderr}");
    let stderr = admin_fails(&server, &["snapshot", "create", ".hidden"], 1);
    assert!(stderr.contains("INVALID_NAME"), "{stderr}");
    let stderr = admin_fails(&server, &["snapshot", "restore", "nope"], 1);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
    let stderr = admin_fails(&server, &["snapshot", "delete", ".."], 64);
    assert!(stderr.contains("not a name"), "{stderr}");

    let deleted = admin_json(&server, &["snapshot", "delete", "two-accounts"]);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(admin_json(&server, &["snapshot", "list"]), json!([]));
    admin_fails(&server, &["snapshot", "delete", "two-accounts"], 1);
}

#[test]
fn jobs_are_listed_shown_held_and_released() {
    let server = server();
    let id = open_job(&server);
    let jobs = admin_json(&server, &["jobs", "list"]);
    assert_eq!(jobs[0]["id"], id.as_str(), "{jobs}");
    assert_eq!(jobs[0]["state"], "Open");
    assert_eq!(jobs[0]["held"], false);
    assert_eq!(jobs[0]["type"], "ingest");
    let filtered = |args: &[&str]| {
        let mut all = vec!["jobs", "list"];
        all.extend_from_slice(args);
        admin_json(&server, &all).as_array().unwrap().len()
    };
    assert_eq!(filtered(&["--type", "query"]), 0);
    assert_eq!(filtered(&["--object", "Account", "--state", "Open"]), 1);
    assert_eq!(filtered(&["--state", "JobComplete"]), 0);
    let text = admin(&server, &["jobs", "list"]);
    assert!(text.lines().nth(1).unwrap().starts_with(&id), "{text}");

    let held = admin_json(&server, &["jobs", "hold", &id]);
    assert_eq!(held["held"], true);
    upload_and_close(&server, &id, &["Acme"]);
    let text = admin(&server, &["jobs", "show", &id]);
    assert!(
        text.starts_with(&format!("job {id} (ingest insert Account) in org 00D"))
            && text
                .lines()
                .next()
                .unwrap()
                .ends_with("UploadComplete (held)"),
        "{text}"
    );
    let text = admin(&server, &["jobs", "release", &id]);
    assert!(text.starts_with(&format!("job {id}: ")), "{text}");
    assert!(!text.contains("(held)"), "{text}");
    wait_complete(&server, &id);

    let detail = admin_json(&server, &["jobs", "show", &id]);
    assert_eq!(detail["numberRecordsProcessed"], 1);
    let states: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"Open"), "{detail}");
    assert_eq!(states.last(), Some(&"JobComplete"), "{detail}");

    let stderr = admin_fails(&server, &["jobs", "hold", &id], 1);
    assert!(stderr.contains("JOB_FINISHED"), "{stderr}");
    let stderr = admin_fails(&server, &["jobs", "show", "750000000000099AAA"], 1);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
}

#[test]
fn fault_rules_are_added_listed_removed_and_cleared() {
    let server = server();
    let rule = json!({"kind": "http", "method": "GET", "path": "/services/data/*/jobs/ingest",
                      "status": 503, "errorCode": "SERVER_UNAVAILABLE", "times": 1});
    let added = admin_json(&server, &["faults", "add", &rule.to_string()]);
    let id = added["ids"][0].as_str().unwrap().to_owned();
    let (status, _) = api(&server, "GET", "jobs/ingest", None);
    assert_eq!(status, 503, "the rule fires once");
    let (status, _) = api(&server, "GET", "jobs/ingest", None);
    assert_eq!(status, 200, "and is spent");
    let faults = admin_json(&server, &["faults", "list"]);
    assert_eq!(faults[0]["id"], id.as_str());
    assert_eq!(faults[0]["hits"], 1);
    assert_eq!(faults[0]["remaining"], 0);
    assert_eq!(faults[0]["rule"], rule);

    // A file with an array of rules, as `serve --faults` reads.
    let file = server.path("faults.json");
    let rules = json!([{"kind": "limit", "remaining": 0, "times": 5},
                       {"kind": "row", "object": "Account", "errorCode": "UNABLE_TO_LOCK_ROW",
                        "message": "unable to obtain exclusive access to this record"}]);
    std::fs::write(&file, rules.to_string()).unwrap();
    let text = admin(&server, &["faults", "add", &format!("@{}", file.display())]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines().all(|line| line.starts_with("fault f")),
        "{text}"
    );
    let text = admin(&server, &["faults", "list"]);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(
        rows[0].starts_with("id") && rows[0].ends_with("rule"),
        "{text}"
    );
    assert!(
        rows[2].contains(" limit ") && rows[3].contains(" row "),
        "{text}"
    );

    // From stdin.
    let mut child = bare_admin(&["--url", &server.url, "--token", CONTROL_TOKEN, "--json"])
        .args(["faults", "add", "@-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rule = json!({"kind": "http", "path": "/services/data/**", "latencyMs": 1});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rule.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 0, "{}", both(&output));
    assert_eq!(json_out(&output)["ids"], json!(["f4"]));

    let removed = admin_json(&server, &["faults", "remove", &id]);
    assert_eq!(removed["removed"], true);
    let stderr = admin_fails(&server, &["faults", "remove", &id], 1);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
    assert_eq!(
        admin(&server, &["faults", "clear"]).trim(),
        "every fault rule removed"
    );
    assert_eq!(admin_json(&server, &["faults", "list"]), json!([]));

    let stderr = admin_fails(&server, &["faults", "add", r#"{"kind":"nope"}"#], 1);
    assert!(stderr.contains("INVALID_FAULT"), "{stderr}");
    let stderr = admin_fails(&server, &["faults", "add", "{not json"], 64);
    assert!(stderr.contains("not JSON"), "{stderr}");
    admin_fails(&server, &["faults", "add", "@/no/such/file.json"], 64);
}
