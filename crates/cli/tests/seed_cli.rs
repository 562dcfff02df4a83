//! `bulkforce serve --seed DIR` on the real binary: `<Object>.csv` files loaded into the default org before
//! the server listens, parents first, relationship columns resolved; a failed row refuses the start (and
//! leaves nothing behind); a restart does not load the seed twice; an unknown object is refused.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "00D000000000001!seed.cli.test.token";
const ADMIN: &str = "admin@bulkforce.local";
const ACCOUNT_EXTERNAL_ID: &str = r#"{"name":"Account","fields":[{"name":"External_Id__c",
    "type":"string","length":80,"externalId":true,"unique":true,"nillable":true,"createable":true,
    "updateable":true}]}"#;

/// A temp directory with `data/`, `schema/` (External_Id__c on Account) and `seed/`.
struct Dirs {
    root: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Dirs {
        let root = tempfile::tempdir().unwrap();
        for dir in ["schema", "seed"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        std::fs::write(root.path().join("schema/account.json"), ACCOUNT_EXTERNAL_ID).unwrap();
        Dirs { root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn seed_file(&self, name: &str, text: &str) {
        std::fs::write(self.path("seed").join(name), text).unwrap();
    }
}

/// A `serve` that printed its banner; killed when dropped.
struct Started {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `serve` that exited without printing its banner: it never listened.
struct Exited {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Starts `bulkforce serve --seed SEED` (and `extra` flags) on the dirs' data dir. Returns once it printed
/// its URL, or once it exited without.
fn serve(dirs: &Dirs, seed: &Path, extra: &[&str]) -> Result<Started, Exited> {
    spawn(serve_command(dirs, Some(seed), extra))
}

/// `bulkforce serve` on the dirs' data dir and schema, with `--seed SEED` when given.
fn serve_command(dirs: &Dirs, seed: Option<&Path>, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
        .arg("--data-dir")
        .arg(dirs.path("data"))
        .arg("--schema")
        .arg(dirs.path("schema"))
        .args(extra)
        .env_remove("BULKFORCE_ACCESS_TOKEN")
        .env_remove("BULKFORCE_SEED_DIR")
        .env_remove("BULKFORCE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(seed) = seed {
        command.arg("--seed").arg(seed);
    }
    command
}

/// Runs `command` until it printed its URL, or until it exited without.
fn spawn(mut command: Command) -> Result<Started, Exited> {
    let mut child = command.spawn().expect("bulkforce starts");
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let sink = stderr.clone();
    let drain = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        stdout.push_str(&line);
        stdout.push('\n');
        if let Some(url) = line.trim().strip_prefix("instance URL:") {
            let url = url.trim().to_owned();
            std::thread::spawn(move || for _ in lines {});
            return Ok(Started { child, url, stderr });
        }
    }
    let status = child.wait().unwrap();
    drain.join().unwrap();
    let stderr = stderr.lock().unwrap().clone();
    Err(Exited {
        status,
        stdout,
        stderr,
    })
}

fn started(dirs: &Dirs) -> Started {
    started_with(dirs, &[])
}

fn started_with(dirs: &Dirs, extra: &[&str]) -> Started {
    serve(dirs, &dirs.path("seed"), extra).unwrap_or_else(|exited| {
        panic!(
            "the server exited ({}) instead of serving: {}",
            exited.status, exited.stderr
        )
    })
}

fn refused(dirs: &Dirs) -> Exited {
    match serve(dirs, &dirs.path("seed"), &[]) {
        Ok(started) => panic!(
            "the server started although the seed is bad; stderr: {}",
            started.stderr.lock().unwrap()
        ),
        Err(exited) => exited,
    }
}

impl Started {
    fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = reqwest::blocking::Client::new()
            .get(format!("{}/services/data/v62.0{path}", self.url))
            .query(query)
            .bearer_auth(TOKEN)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().unwrap()
    }

    /// The records of a REST query.
    fn query(&self, soql: &str) -> Vec<Value> {
        self.get("/query", &[("q", soql)])["records"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn ingest_jobs(&self) -> Vec<Value> {
        self.get("/jobs/ingest", &[])["records"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Three files whose name order (Account, Case, contact) is not their load order: Case looks up Contact.
fn write_family(dirs: &Dirs) {
    dirs.seed_file(
        "Account.csv",
        "Name,External_Id__c,Owner.Username\nAcme,A1,admin@bulkforce.local\nGlobex,A2,\n",
    );
    dirs.seed_file(
        "Case.csv",
        "Subject,Contact.Email,Account.External_Id__c\r\nBroken,ann@acme.test,A1\r\n",
    );
    dirs.seed_file(
        "contact.csv",
        "LastName,Email,Account.External_Id__c\nAnn,ann@acme.test,A1\nBob,bob@globex.test,A2\n",
    );
}

#[test]
fn a_seed_loads_parents_first_with_relationship_columns_before_the_server_listens() {
    let dirs = Dirs::new();
    write_family(&dirs);
    let server = started(&dirs);

    let accounts =
        server.query("SELECT Id, External_Id__c, Owner.Username FROM Account ORDER BY Name");
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["Owner"]["Username"], ADMIN);
    let acme = accounts[0]["Id"].as_str().unwrap();
    let globex = accounts[1]["Id"].as_str().unwrap();
    let contacts = server.query("SELECT Id, LastName, AccountId FROM Contact ORDER BY LastName");
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["AccountId"], acme);
    assert_eq!(contacts[1]["AccountId"], globex);
    let cases = server.query("SELECT Subject, ContactId, AccountId FROM Case");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["ContactId"], contacts[0]["Id"]);
    assert_eq!(cases[0]["AccountId"], acme);

    // Three insert jobs like any other, complete, loaded parents first.
    let mut jobs = server.ingest_jobs();
    // Ids grow with creation (the job dates have whole seconds only).
    jobs.sort_by_key(|job| job["id"].as_str().unwrap()[..15].to_owned());
    let objects: Vec<&str> = jobs.iter().map(|j| j["object"].as_str().unwrap()).collect();
    assert_eq!(objects.len(), 3, "{jobs:?}");
    assert!(
        jobs.iter()
            .all(|j| j["state"] == "JobComplete" && j["operation"] == "insert")
    );
    let position = |object| objects.iter().position(|o| *o == object).unwrap();
    assert!(position("Account") < position("Contact"));
    assert!(position("Contact") < position("Case"));
}

#[test]
fn a_restart_with_the_same_seed_does_not_load_it_twice() {
    let dirs = Dirs::new();
    write_family(&dirs);
    drop(started(&dirs));
    let server = started(&dirs);
    assert_eq!(server.query("SELECT Id FROM Account").len(), 2);
    assert_eq!(server.query("SELECT Id FROM Contact").len(), 2);
    assert_eq!(server.ingest_jobs().len(), 3);
    // Said once on stderr, with why; polled, since the log line and the banner race.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.stderr.lock().unwrap().contains("seed skipped:") {
        assert!(
            std::time::Instant::now() < deadline,
            "no 'seed skipped' line: {}",
            server.stderr.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_failed_row_refuses_the_start_naming_the_file_row_error_and_values_and_keeps_nothing() {
    let dirs = Dirs::new();
    dirs.seed_file("Account.csv", "Name,External_Id__c\nAcme,A1\nGlobex,A2\n");
    // Row 2 (line 3) has no LastName; row 1 loads before it fails.
    dirs.seed_file(
        "Contact.csv",
        "LastName,FirstName,Account.External_Id__c\nAnn,A,A1\n,Bob,A2\nCid,C,A1\n",
    );
    let exited = refused(&dirs);
    assert!(!exited.status.success());
    assert!(
        !exited.stdout.contains("instance URL"),
        "it never listened: {}",
        exited.stdout
    );
    let stderr = &exited.stderr;
    for expected in [
        "Contact.csv row 2 (line 3)",
        "REQUIRED_FIELD_MISSING",
        "LastName=\"\"",
        "FirstName=\"Bob\"",
        "Account.External_Id__c=\"A2\"",
        "nothing of the seed was kept",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in: {stderr}");
    }

    // Nothing was kept: with the row fixed, the next start loads the whole seed.
    dirs.seed_file(
        "Contact.csv",
        "LastName,FirstName,Account.External_Id__c\nAnn,A,A1\nBee,Bob,A2\nCid,C,A1\n",
    );
    let server = started(&dirs);
    assert_eq!(server.query("SELECT Id FROM Account").len(), 2);
    assert_eq!(server.query("SELECT Id FROM Contact").len(), 3);
}

#[test]
fn a_too_long_value_is_refused_with_its_row() {
    let dirs = Dirs::new();
    let long = "x".repeat(300);
    dirs.seed_file("Account.csv", &format!("Name\nFine\n{long}\n"));
    let exited = refused(&dirs);
    assert!(!exited.status.success());
    let stderr = &exited.stderr;
    assert!(
        stderr.contains("Account.csv row 2 (line 3)") && stderr.contains("STRING_TOO_LONG"),
        "{stderr}"
    );
}

#[test]
fn a_file_of_an_unknown_object_or_not_csv_is_refused_before_anything_loads() {
    let dirs = Dirs::new();
    dirs.seed_file("Account.csv", "Name\nAcme\n");
    dirs.seed_file("Widget__c.csv", "Name\nW\n");
    let exited = refused(&dirs);
    assert!(!exited.status.success());
    assert!(
        exited.stderr.contains("Widget__c.csv")
            && exited.stderr.contains("no object named Widget__c"),
        "{}",
        exited.stderr
    );

    std::fs::remove_file(dirs.path("seed/Widget__c.csv")).unwrap();
    dirs.seed_file("notes.txt", "not a seed\n");
    let exited = refused(&dirs);
    assert!(
        exited.stderr.contains("notes.txt") && exited.stderr.contains("<Object>.csv"),
        "{}",
        exited.stderr
    );

    std::fs::remove_file(dirs.path("seed/notes.txt")).unwrap();
    let server = started(&dirs);
    assert_eq!(server.query("SELECT Id FROM Account").len(), 1);
}

#[test]
fn hold_jobs_does_not_hold_the_seed_jobs() {
    let dirs = Dirs::new();
    write_family(&dirs);
    let server = started_with(&dirs, &["--hold-jobs"]);
    assert_eq!(server.query("SELECT Id FROM Contact").len(), 2);
    assert!(
        server
            .ingest_jobs()
            .iter()
            .all(|j| j["state"] == "JobComplete")
    );
}

#[test]
fn an_empty_seed_file_is_refused() {
    let dirs = Dirs::new();
    dirs.seed_file("Account.csv", "");
    let exited = refused(&dirs);
    assert!(
        exited.stderr.contains("Account.csv") && exited.stderr.contains("header row"),
        "{}",
        exited.stderr
    );
}

#[test]
fn a_job_that_fails_whole_refuses_the_seed_with_the_jobs_error() {
    let dirs = Dirs::new();
    dirs.seed_file("Account.csv", "Name\nAcme\n");
    // Broken quoting fails the whole job (as on Salesforce), after Account loaded.
    dirs.seed_file("Contact.csv", "LastName,AccountId\n\"Ann,\n");
    let exited = refused(&dirs);
    assert!(!exited.status.success());
    let stderr = &exited.stderr;
    for expected in [
        "seed file Contact.csv: its ingest job",
        "InvalidBatch",
        "nothing of the seed was kept",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in: {stderr}");
    }
}

/// `POST /_bulkforce/reset` on a server started without `--seed`: the documented way back to a clean
/// default org.
fn reset_without_seed(dirs: &Dirs) {
    let server = spawn(serve_command(dirs, None, &[])).unwrap_or_else(|exited| {
        panic!(
            "serve without --seed exited ({}): {}",
            exited.status, exited.stderr
        )
    });
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/_bulkforce/reset", server.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 204);
}

/// A Contact CSV of `rows` rows, each under the Account `A1`.
fn contacts(rows: usize) -> String {
    let mut csv = String::from("LastName,Account.External_Id__c\n");
    for n in 0..rows {
        csv.push_str(&format!("Contact {n},A1\n"));
    }
    csv
}

/// A `serve --seed` killed (SIGKILL) once its log says `file` loaded: a seed stopped part-way.
fn killed_after_loading(dirs: &Dirs, file: &str) {
    let mut child = serve_command(dirs, Some(&dirs.path("seed")), &[])
        .spawn()
        .expect("bulkforce starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        let read = stderr.read_line(&mut line).unwrap();
        assert!(read > 0, "serve ended before loading {file}: {seen}");
        seen.push_str(&line);
        assert!(
            !line.contains("seed loaded"),
            "the whole seed loaded first: {seen}"
        );
        if line.contains("seed file loaded") && line.contains(file) {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_start_killed_mid_seed_is_refused_until_the_org_is_reset_then_seeds_whole() {
    let dirs = Dirs::new();
    let rows = 300_000;
    dirs.seed_file("Account.csv", "Name,External_Id__c\nAcme,A1\n");
    dirs.seed_file("Contact.csv", &contacts(rows));
    killed_after_loading(&dirs, "Account.csv");

    // Accounts in, Contacts partly or not at all, and no marker: never taken for the whole seed.
    for _ in 0..2 {
        let exited = refused(&dirs);
        assert!(!exited.status.success());
        assert!(!exited.stdout.contains("instance URL"), "{}", exited.stdout);
        for expected in [
            "1 Account",
            "no complete seed",
            "interrupted",
            "reset",
            "fresh data dir",
        ] {
            assert!(
                exited.stderr.contains(expected),
                "{expected:?} not in: {}",
                exited.stderr
            );
        }
    }

    reset_without_seed(&dirs);
    let server = started(&dirs);
    assert_eq!(server.query("SELECT Id FROM Account").len(), 1);
    let contacts = server.get("/query", &[("q", "SELECT COUNT() FROM Contact")]);
    assert_eq!(contacts["totalSize"], rows, "the whole seed, once");
    drop(server);
    // Complete now: the next start skips it.
    let server = started(&dirs);
    let contacts = server.get("/query", &[("q", "SELECT COUNT() FROM Contact")]);
    assert_eq!(contacts["totalSize"], rows);
}

#[test]
fn a_seed_changed_after_it_loaded_is_refused_until_the_org_is_reset() {
    let dirs = Dirs::new();
    dirs.seed_file("Account.csv", "Name,External_Id__c\nAcme,A1\nGlobex,A2\n");
    drop(started(&dirs));

    // A new file: its object holds no record yet, but the seed is not the one loaded.
    dirs.seed_file("Contact.csv", "LastName,Account.External_Id__c\nAnn,A1\n");
    let exited = refused(&dirs);
    assert!(!exited.status.success());
    for expected in ["seed files changed", "reset", "fresh data dir"] {
        assert!(
            exited.stderr.contains(expected),
            "{expected:?} not in: {}",
            exited.stderr
        );
    }
    // An edited file, same size: refused too.
    std::fs::remove_file(dirs.path("seed").join("Contact.csv")).unwrap();
    dirs.seed_file("Account.csv", "Name,External_Id__c\nAcme,A1\nGlobex,A3\n");
    assert!(refused(&dirs).stderr.contains("seed files changed"));

    // Reset, the changed seed loads whole.
    dirs.seed_file("Contact.csv", "LastName,Account.External_Id__c\nAnn,A1\n");
    reset_without_seed(&dirs);
    let server = started(&dirs);
    let accounts = server.query("SELECT External_Id__c FROM Account ORDER BY External_Id__c");
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[1]["External_Id__c"], "A3");
    assert_eq!(server.query("SELECT Id FROM Contact").len(), 1);
}
