//! The machine's own reference: the same CSV into an equivalent SQLite table with the `sqlite3` shell's
//! `.import`, out again with `.mode csv`, then the upsert CSV merged into it (`.import` into a staging table,
//! `INSERT … ON CONFLICT (external id) DO UPDATE`), each timed as the wall clock of the `sqlite3` process.

use crate::csvcount::CsvCounter;
use crate::data::COLUMNS;
use crate::process::RssSampler;
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The table: the CSV's 14 columns with SQLite types, and a unique index on the external id, as bulkforce has.
const CREATE: &str = "PRAGMA journal_mode=WAL;
CREATE TABLE account (
  Name TEXT NOT NULL,
  AccountNumber TEXT,
  Phone TEXT,
  Website TEXT,
  NumberOfEmployees INTEGER,
  AnnualRevenue REAL,
  BillingStreet TEXT,
  BillingCity TEXT,
  BillingState TEXT,
  BillingPostalCode TEXT,
  BillingCountry TEXT,
  Industry TEXT,
  Description TEXT,
  External_Id__c TEXT
);
CREATE UNIQUE INDEX account_external_id ON account (External_Id__c);
";

/// The upsert, with bulkforce's semantics: the upsert CSV `.import`ed into a staging table (every column
/// text, as the CSV gives it), then one `INSERT … SELECT … ON CONFLICT (External_Id__c) DO UPDATE` into the
/// loaded table: a new external id inserts its row (an empty cell is null), a known one updates its record,
/// where an empty cell leaves the field as it is.
fn upsert_script(parts: &[PathBuf]) -> anyhow::Result<String> {
    let mut script = String::from(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TEMP TABLE staging (",
    );
    script.push_str(&COLUMNS.map(|c| format!("{c} TEXT")).join(", "));
    script.push_str(");\n");
    for part in parts {
        script.push_str(&format!(
            ".import --csv --skip 1 {} staging\n",
            quoted(part)?
        ));
    }
    let columns = COLUMNS.join(", ");
    let values = COLUMNS.map(|c| format!("nullif({c}, '')")).join(", ");
    let sets = COLUMNS[..COLUMNS.len() - 1]
        .iter()
        .map(|c| format!("{c} = coalesce(excluded.{c}, {c})"))
        .collect::<Vec<_>>()
        .join(", ");
    script.push_str(&format!(
        "INSERT INTO account ({columns}) SELECT {values} FROM staging WHERE true \
         ON CONFLICT (External_Id__c) DO UPDATE SET {sets};\n"
    ));
    Ok(script)
}

/// One timed `sqlite3` run.
#[derive(Clone, Debug)]
pub struct Timed {
    pub seconds: f64,
    pub peak_rss: Option<u64>,
    /// What the shell wrote on stderr (warnings about rows, errors).
    pub stderr: String,
}

/// The reference measurements for one CSV.
#[derive(Clone, Debug)]
pub struct Reference {
    pub import: Timed,
    /// Rows in the table after the import.
    pub imported_rows: u64,
    pub export: Timed,
    /// Data records in the exported file, and its size.
    pub exported_rows: u64,
    pub export_bytes: u64,
    /// The upsert CSV merged into the loaded table, and the rows in the table after it.
    pub upsert: Timed,
    pub rows_after_upsert: u64,
}

/// Runs `script` through `sqlite3 db` (on stdin), timing the process from spawn to exit; answers its stdout too.
fn run(sqlite3: &Path, db: &Path, script: &str) -> anyhow::Result<(Timed, String)> {
    let started = Instant::now();
    let mut child = Command::new(sqlite3)
        .arg("-batch")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", sqlite3.display()))?;
    let sampler = RssSampler::start(child.id());
    {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(script.as_bytes())?;
    }
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        err_pipe.read_to_string(&mut text).ok();
        text
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_string(&mut stdout)?;
    let status = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss = sampler.finish();
    let stderr = err_thread.join().unwrap_or_default();
    if !status.success() {
        bail!("sqlite3 failed ({status}): {stderr}");
    }
    Ok((
        Timed {
            seconds,
            peak_rss,
            stderr,
        },
        stdout,
    ))
}

/// `path` inside a dot-command argument.
fn quoted(path: &Path) -> anyhow::Result<String> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    if text.contains('"') {
        bail!("{text}: a path with a double quote cannot be passed to sqlite3");
    }
    Ok(format!("\"{text}\""))
}

/// The rows in the table.
fn count(sqlite3: &Path, db: &Path) -> anyhow::Result<u64> {
    let (_, count) = run(sqlite3, db, "SELECT count(*) FROM account;\n")?;
    count
        .trim()
        .parse()
        .with_context(|| format!("sqlite3 counted {count:?}"))
}

/// Imports the insert CSV (its parts, one after another) into a fresh database in `dir`, counts the rows,
/// exports them again, then merges the upsert CSV into the table and counts again.
pub fn measure(
    sqlite3: &Path,
    dir: &Path,
    insert_parts: &[PathBuf],
    upsert_parts: &[PathBuf],
) -> anyhow::Result<Reference> {
    std::fs::create_dir_all(dir)?;
    let db: PathBuf = dir.join("ref.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        std::fs::remove_file(path).ok();
    }
    let out = dir.join("out.csv");
    std::fs::remove_file(&out).ok();

    run(sqlite3, &db, CREATE)?;
    let mut script = String::from("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n");
    for part in insert_parts {
        script.push_str(&format!(
            ".import --csv --skip 1 {} account\n",
            quoted(part)?
        ));
    }
    let (import, _) = run(sqlite3, &db, &script)?;
    let imported_rows = count(sqlite3, &db)?;
    let (export, _) = run(
        sqlite3,
        &db,
        &format!(
            ".headers on\n.mode csv\n.output {}\nSELECT * FROM account;\n",
            quoted(&out)?
        ),
    )?;
    let mut counter = CsvCounter::new();
    let mut file = std::fs::File::open(&out)?;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut export_bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        export_bytes += n as u64;
        counter.feed(&buffer[..n]);
    }
    let exported_rows = counter
        .finish()
        .valid()
        .context("sqlite3's CSV export is malformed")?
        .records
        .saturating_sub(1);
    std::fs::remove_file(&out).ok();
    let (upsert, _) = run(sqlite3, &db, &upsert_script(upsert_parts)?)?;
    let rows_after_upsert = count(sqlite3, &db)?;
    Ok(Reference {
        import,
        imported_rows,
        export,
        exported_rows,
        export_bytes,
        upsert,
        rows_after_upsert,
    })
}

/// Whether `sqlite3` can be run at all.
pub fn available(sqlite3: &Path) -> bool {
    Command::new(sqlite3)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
