//! `bulkforce serve --faults FILE` on the real binary: a bad rules file stops the start with one clear error
//! naming the file and the problem, and a non-zero exit, before the server listens.

use std::process::{Command, Output};

/// Runs `bulkforce serve --faults <file holding text>`; it must exit on its own.
fn serve_with_faults(text: &str) -> (Output, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.json");
    std::fs::write(&file, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", "T"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--faults")
        .arg(&file)
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .output()
        .expect("bulkforce runs");
    (output, file, dir)
}

#[test]
fn a_bad_faults_file_refuses_the_start_with_the_file_and_the_problem() {
    let cases = [
        (
            r#"[{"kind":"http","path":"/services/**","status":503},{"kind":"job","afterRows":"many"}]"#,
            "rule 2",
        ),
        (r#"[{"kind":"http","status":503}]"#, "needs `path`"),
        ("{\"kind\":\"limit\"}", "not a JSON array of rules"),
    ];
    for (text, problem) in cases {
        let (output, file, _dir) = serve_with_faults(text);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text}: {stdout} {stderr}");
        assert!(
            !stdout.contains("instance URL"),
            "it never listened: {stdout}"
        );
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert!(stderr.contains(problem), "{text}: {stderr}");
    }
}

#[test]
fn a_missing_faults_file_refuses_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.json");
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", "T"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--faults")
        .arg(&missing)
        .output()
        .expect("bulkforce runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(stderr.contains("reading the file"), "{stderr}");
}
