//! Logins under attack, against the real `bulkforce serve` (issue 14): a flood of wrong logins keeps the
//! server's memory bounded, lockouts are shown and ended by `bulkforce admin`, and access tokens live as
//! long as they should across restarts.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{code, json_out, serve};

const TOKEN: &str = "00D000000000001!hardening-test-token";

/// A SOAP partner login envelope.
fn envelope(username: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
    )
}

/// A SOAP login: its status and body.
fn soap_login(
    client: &reqwest::blocking::Client,
    url: &str,
    user: &str,
    pw: &str,
) -> (u16, String) {
    let response = client
        .post(format!("{url}/services/Soap/u/62.0"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .body(envelope(user, pw))
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().unwrap_or_default())
}

/// The status of listing ingest jobs with `token`.
fn bulk_status(url: &str, token: &str) -> u16 {
    reqwest::blocking::Client::new()
        .get(format!("{url}/services/data/v62.0/jobs/ingest"))
        .bearer_auth(token)
        .send()
        .expect("the server answers")
        .status()
        .as_u16()
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in MiB.
fn memory_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
            / 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[test]
fn a_flood_of_wrong_logins_keeps_memory_bounded() {
    let server = serve(TOKEN, None, &[]);
    let pid = server.pid();
    let deadline = Instant::now() + Duration::from_secs(4);
    let statuses: Vec<Vec<u16>> = std::thread::scope(|scope| {
        let loops: Vec<_> = (0..64)
            .map(|i| {
                let url = server.url.clone();
                scope.spawn(move || {
                    let client = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .unwrap();
                    let mut seen = Vec::new();
                    while Instant::now() < deadline {
                        // Unknown users and a real one (no password: it cannot log in) alike.
                        let user = if i % 2 == 0 {
                            format!("nobody{i}@flood.test")
                        } else {
                            "admin@bulkforce.local".to_owned()
                        };
                        seen.push(soap_login(&client, &url, &user, "wrong").0);
                    }
                    seen
                })
            })
            .collect();
        loops.into_iter().map(|l| l.join().unwrap()).collect()
    });
    let (peak, now) = memory_mib(pid);
    let answered: usize = statuses.iter().map(Vec::len).sum();
    eprintln!("{answered} wrong logins: peak RSS {peak} MiB, now {now} MiB");
    assert!(answered >= 64, "every loop got answers: {answered}");
    assert!(
        statuses.iter().flatten().all(|&s| s == 500),
        "wrong logins are faults (INVALID_LOGIN, or SERVER_UNAVAILABLE when too many wait)"
    );
    assert!(
        peak < 300,
        "peak RSS {peak} MiB (now {now} MiB) after {answered} wrong logins"
    );
    // The server still answers a real request at once.
    assert_eq!(bulk_status(&server.url, TOKEN), 200);
}

/// `bulkforce admin --json ARGS` on `data`.
fn admin(data: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .arg("admin")
        .arg("--data-dir")
        .arg(data)
        .arg("--json")
        .args(args)
        .env_remove("BULKFORCE_DATA_DIR")
        .output()
        .expect("bulkforce admin runs");
    assert_eq!(
        code(&output),
        0,
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    json_out(&output)
}

#[test]
fn a_locked_out_user_is_listed_by_admin_and_unlocked() {
    let server = serve(TOKEN, None, &["--lockout-attempts", "3"]);
    let data = server.path("data");
    admin(
        &data,
        &[
            "create-org",
            "--name",
            "acme",
            "--username",
            "ann@acme.test",
            "--password",
            "right",
        ],
    );
    let client = reqwest::blocking::Client::new();
    for _ in 0..3 {
        assert_eq!(
            soap_login(&client, &server.url, "ann@acme.test", "wrong").0,
            500
        );
    }
    let (status, fault) = soap_login(&client, &server.url, "ann@acme.test", "right");
    assert_eq!(status, 500, "locked out, even with the right password");
    assert!(
        fault.contains("<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>"),
        "{fault}"
    );

    let orgs = admin(&data, &["list"]);
    let ann = orgs
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["users"].as_array().unwrap().iter())
        .find(|u| u["username"] == "ann@acme.test")
        .expect("ann is listed")
        .clone();
    assert_eq!(ann["lockedOut"], true, "{ann}");
    let until = chrono::DateTime::parse_from_rfc3339(ann["lockedUntil"].as_str().unwrap())
        .expect("an RFC 3339 time");
    let minutes = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (13..=15).contains(&minutes),
        "locked for 15 minutes: {minutes}"
    );
    let text = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["admin", "list", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("ann@acme.test (locked out until"));

    assert_eq!(
        admin(&data, &["unlock", "--username", "ann@acme.test"])["unlocked"],
        true
    );
    let (status, body) = soap_login(&client, &server.url, "ann@acme.test", "right");
    assert_eq!(status, 200, "{body}");
    let orgs = admin(&data, &["list"]);
    assert!(!orgs.to_string().contains("lockedOut"));
}

/// A `bulkforce serve` over a given data directory (kept between runs), with `extra` flags: the child
/// and the URL and access token it printed.
struct Run {
    child: Child,
    url: String,
    token: String,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(data: &Path, extra: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bulkforce starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut token) = (None, None);
    while url.is_none() || token.is_none() {
        let line = lines.next().expect("the server prints its start").unwrap();
        if let Some(u) = line.trim().strip_prefix("instance URL:") {
            url = Some(u.trim().to_owned());
        }
        if let Some(t) = line.trim().strip_prefix("access token:") {
            token = Some(t.trim().to_owned());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Run {
        child,
        url: url.unwrap(),
        token: token.unwrap(),
    }
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

#[test]
fn a_flag_token_works_only_while_the_server_runs_with_it() {
    let (_dir, data) = data_dir();
    let first = run(&data, &["--access-token", "00D000000000001!first"]);
    assert_eq!(first.token, "00D000000000001!first");
    assert_eq!(bulk_status(&first.url, "00D000000000001!first"), 200);
    drop(first);

    let second = run(&data, &["--access-token", "00D000000000001!second"]);
    assert_eq!(bulk_status(&second.url, "00D000000000001!second"), 200);
    assert_eq!(
        bulk_status(&second.url, "00D000000000001!first"),
        401,
        "the first run's token is gone"
    );
    drop(second);

    let third = run(&data, &[]);
    assert_ne!(third.token, "00D000000000001!second");
    assert_eq!(bulk_status(&third.url, &third.token), 200);
    assert_eq!(bulk_status(&third.url, "00D000000000001!second"), 401);
}

#[test]
fn a_revoked_admin_token_is_replaced_at_the_next_start() {
    let (_dir, data) = data_dir();
    let first = run(&data, &[]);
    let old = first.token.clone();
    assert_eq!(bulk_status(&first.url, &old), 200);
    drop(first);
    let again = run(&data, &[]);
    assert_eq!(again.token, old, "a live admin token is kept");
    admin(&data, &["revoke", &old]);
    assert_eq!(bulk_status(&again.url, &old), 401);
    drop(again);

    let next = run(&data, &[]);
    assert_ne!(next.token, old, "a new token is printed");
    assert!(next.token.starts_with("00D"), "{}", next.token);
    assert_eq!(bulk_status(&next.url, &next.token), 200);
    assert_eq!(bulk_status(&next.url, &old), 401);
    let kept = std::fs::read_to_string(data.join("admin-token")).unwrap();
    assert_eq!(kept.trim(), next.token, "and kept in the data dir");
}
