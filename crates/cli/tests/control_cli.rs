//! The control flags of the real `bulkforce serve`: `--ephemeral` (data in a temporary directory that a
//! SIGTERM removes), `--log-format json`, `--control-token` from the environment, `--request-log-size`.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "control-cli-admin-token";

/// A started server: the process, its URL and the data dir it printed.
struct Started {
    child: Child,
    url: String,
    data_dir: PathBuf,
}

/// Starts `bulkforce serve` with `args` (and `env`), stderr piped; returns once it printed its banner.
fn serve(args: &[&str], env: &[(&str, &str)]) -> Started {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
        .args(args)
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .env_remove("BULKFORCE_CONTROL_TOKEN")
        .env_remove("BULKFORCE_LOG_FORMAT")
        .env_remove("BULKFORCE_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("bulkforce starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut data_dir) = (None, None);
    while url.is_none() || data_dir.is_none() {
        let line = lines.next().expect("the server prints its banner").unwrap();
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("instance URL:") {
            url = Some(rest.trim().to_owned());
        }
        if let Some(rest) = line.strip_prefix("data dir:") {
            let path = rest.trim().split(" (ephemeral").next().unwrap();
            data_dir = Some(PathBuf::from(path));
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Started {
        child,
        url: url.unwrap(),
        data_dir: data_dir.unwrap(),
    }
}

/// Sends SIGTERM and waits (at most 20 s) for the process to exit.
fn terminate(child: &mut Child) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let client = reqwest::blocking::Client::new();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().expect("the server answers");
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn an_ephemeral_server_removes_its_data_on_sigterm() {
    let mut server = serve(&["--ephemeral"], &[]);
    assert!(server.data_dir.is_dir(), "{}", server.data_dir.display());
    assert!(server.data_dir.join("blobs").is_dir());
    let (status, body) = get(&format!("{}/_bulkforce/ready", server.url), None);
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(
        &format!("{}/services/data/v62.0/jobs/ingest", server.url),
        Some(TOKEN),
    );
    assert_eq!(status, 200);
    let status = terminate(&mut server.child);
    assert!(
        status.success(),
        "a SIGTERM stops the server cleanly: {status:?}"
    );
    assert!(
        !server.data_dir.exists(),
        "{} is removed",
        server.data_dir.display()
    );
}

#[test]
fn ephemeral_and_a_data_dir_exclude_each_other() {
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--ephemeral", "--data-dir", "somewhere"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64), "a usage error");
}

#[test]
fn json_logs_and_the_control_token_from_the_environment() {
    let mut server = serve(
        &["--log-format", "json", "--request-log-size", "2"],
        &[
            ("BULKFORCE_CONTROL_TOKEN", "ctl-from-env"),
            ("BULKFORCE_LOG", "bulkforce_server=debug"),
        ],
    );
    let requests = format!("{}/_bulkforce/requests", server.url);
    assert_eq!(get(&requests, None).0, 401);
    assert_eq!(get(&requests, Some("wrong")).0, 401);
    for _ in 0..3 {
        let (status, _) = get(&format!("{}/services/data", server.url), None);
        assert_eq!(status, 200);
    }
    let (status, body) = get(&requests, Some("ctl-from-env"));
    assert_eq!(status, 200, "{body}");
    let log: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(log["capacity"], 2);
    assert_eq!(log["requests"].as_array().unwrap().len(), 2);
    assert!(!body.contains("ctl-from-env") && !body.contains(TOKEN));

    assert!(terminate(&mut server.child).success());
    let mut stderr = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"))
        })
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "request" && e["level"] == "DEBUG"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN) && !stderr.contains("ctl-from-env"));
}
