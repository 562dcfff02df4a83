//! `bulkforce serve` on a database or bucket it cannot use: the real binary refuses to start with one clear
//! line on stderr and a non-zero exit, never a panic, and never prints the database password.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs `serve` with `args` (plus an ephemeral port and data dir) until it exits on its own, bounded.
fn serve_until_exit(args: &[&str], env: &[(&str, String)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(args)
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .env_remove("BULKFORCE_DATABASE_URL")
        .env_remove("BULKFORCE_BLOB_STORE")
        // A backtrace is printed only when asked for; the line a user sees is what is checked.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("BULKFORCE_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("bulkforce starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not exit within 60 s on an unusable backend");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Asserts a refused start: exit code 1, and stderr one line (no panic, no cause chain) containing `needle`.
fn assert_refused(output: &Output, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    stderr
}

#[test]
fn an_unreachable_database_refuses_the_start_in_one_line_without_the_password() {
    let port = closed_port();
    let url = format!("postgres://bulkforce:s3cret@127.0.0.1:{port}/bulk");
    let output = serve_until_exit(
        &[
            "--database-url",
            &url,
            "--access-token",
            "00D000000000001!t",
        ],
        &[],
    );
    let stderr = assert_refused(
        &output,
        &format!("cannot use the database postgres://bulkforce@127.0.0.1:{port}/bulk"),
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn a_database_url_from_the_environment_is_used_too() {
    let port = closed_port();
    let output = serve_until_exit(
        &["--access-token", "00D000000000001!t"],
        &[(
            "BULKFORCE_DATABASE_URL",
            format!("postgres://127.0.0.1:{port}/bulk"),
        )],
    );
    assert_refused(&output, "cannot use the database");
}

#[test]
fn a_database_without_an_access_token_is_refused() {
    let output = serve_until_exit(&["--database-url", "postgres://127.0.0.1:1/bulk"], &[]);
    assert_refused(&output, "--database-url needs --access-token");
}

#[test]
fn an_unreachable_bucket_refuses_the_start_in_one_line() {
    let port = closed_port();
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    let output = serve_until_exit(&["--blob-store", "s3://no-such-bucket/prefix"], &env);
    assert_refused(
        &output,
        "cannot use the blob store s3://no-such-bucket/prefix",
    );
}

#[test]
fn a_blob_store_that_is_not_s3_is_a_usage_error() {
    let output = serve_until_exit(&["--blob-store", "gs://bucket"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("s3://BUCKET[/PREFIX]"), "{stderr}");
}
