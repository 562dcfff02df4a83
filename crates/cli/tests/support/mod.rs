//! What the CLI test files share: the real `bulkforce serve` started on an ephemeral port over a fresh data
//! directory, and reading a command's exit code and JSON; for the multi-instance tests (issue 12), a cluster
//! of instances on PostgreSQL + S3 (`cluster`), a round-robin proxy in front of one, a PostgreSQL of a test's
//! own to stop and restart, and raw Bulk API calls that name the instance they go to (`bulk_http`).

// Each test file is its own crate and uses a part of this module.
#![allow(dead_code)]

pub mod bulk_http;
pub mod cluster;
pub mod pg_records;
pub mod private_postgres;
pub mod round_robin_proxy;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// A running `bulkforce serve`, killed when dropped; its data directory is removed with it.
pub struct Server {
    child: Child,
    /// The instance URL it printed, e.g. `http://127.0.0.1:41873`.
    pub url: String,
    /// Its temp directory: `data/` (the server's), `schema/` when given, and whatever a test writes there.
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The server process's id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `name` inside the server's temp directory (where the CLI commands of a test run).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `bulkforce ARGS`, to run in the server's directory with its URL and `token` in the environment, as
    /// users would set them.
    pub fn command_as(&self, token: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
        command
            .args(args)
            .env("BULKFORCE_INSTANCE_URL", &self.url)
            .env("BULKFORCE_ACCESS_TOKEN", token)
            .current_dir(self.dir.path());
        command
    }

    /// Runs `bulkforce ARGS` as [`Server::command_as`] sets it up.
    pub fn cli_as(&self, token: &str, args: &[&str]) -> Output {
        self.command_as(token, args)
            .output()
            .expect("bulkforce runs")
    }
}

/// Starts the real binary with the admin access token `token`, `schema` (an Account describe JSON) merged
/// into the built-in schema when given, and `extra` flags. Returns once it printed its instance URL.
pub fn serve(token: &str, schema: Option<&str>, extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", token])
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    if let Some(schema) = schema {
        let schema_dir = dir.path().join("schema");
        std::fs::create_dir(&schema_dir).unwrap();
        std::fs::write(schema_dir.join("account.json"), schema).unwrap();
        command.arg("--schema").arg(&schema_dir);
    }
    let mut child = command
        .args(extra)
        // The tests' own environment must not reach the server.
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bulkforce starts");
    let url = instance_url(&mut child).expect("server prints its URL");
    Server { child, url, dir }
}

/// Reads a starting `serve`'s piped stdout until it prints its instance URL, then keeps draining it (so the
/// server never blocks on a full pipe). `None` when it exited before printing one.
pub fn instance_url(child: &mut Child) -> Option<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next()?.expect("readable stdout");
        if let Some(url) = line.trim().strip_prefix("instance URL:") {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Some(url)
}

/// The exit code of a command that exited on its own.
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// A command's stdout as JSON, with both streams in the panic message when it is not.
pub fn json_out(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
