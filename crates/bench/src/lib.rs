//! The bulkforce bench: `bulkforce serve` measured end to end through its HTTP API, with the machine's own
//! reference (`sqlite3 .import` and a CSV export) in the same run.
//!
//! For each size, [`run`] generates a deterministic Account CSV, starts the server on a fresh data directory
//! and measures, each on a freshly started server (so that each peak RSS is that operation's own):
//!
//! - **insert**: create → upload → close → JobComplete → the three result files downloaded;
//! - **export**: a query job of all rows → JobComplete → every results page downloaded;
//! - **upsert** on the external id, half the rows matching existing records, the other half new;
//! - **insert with rules**: the same insert on a server given a small sfdx project (`--project`) with five
//!   validation rules and two formula fields on Account ([`rules`]), its rows/s compared with the plain insert;
//!
//! then the reference: the same CSV into an equivalent SQLite table (same columns, a unique index on the external
//! id) with `.import`, out again with `.mode csv`, and the upsert CSV merged into it (`.import` into a staging
//! table, then `INSERT … ON CONFLICT DO UPDATE`).
//!
//! With [`Backend::Postgres`], the server runs on PostgreSQL and an S3-compatible object store (a fresh
//! database and bucket per run) and the reference is PostgreSQL's own `COPY` of the same CSV into a table
//! with the same columns and indexes as the server's ([`postgres`]).
//!
//! With [`Config::part_bytes`], each CSV is generated as parts of at most that many bytes and each ingest
//! operation is one job per part, one after another, timed as a whole: a size past the upload limit loaded
//! as a client would send it.

pub mod api;
pub mod csvcount;
pub mod data;
mod measure;
pub mod postgres;
pub mod process;
pub mod reference;
mod rules;
pub mod soak;
mod table;

use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

pub use postgres::PgTarget;
pub use table::render_table;

/// The server's default `--max-upload-bytes` (150 MiB).
const DEFAULT_MAX_UPLOAD_BYTES: u64 = 150 * 1024 * 1024;

/// What to measure, and where.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `bulkforce` binary.
    pub server: PathBuf,
    /// The sizes to measure, in rows.
    pub rows: Vec<u64>,
    /// Where generated files, the server's data and the reference database go: one `rows-N` directory per size,
    /// created fresh (an existing one is removed first).
    pub work_dir: PathBuf,
    /// The `sqlite3` shell for the SQLite backend's reference; `None` skips it.
    pub sqlite3: Option<PathBuf>,
    /// Whether to measure the reference at all (`sqlite3`, or `COPY` on PostgreSQL).
    pub reference: bool,
    /// Rows per results page of the export (`maxRecords`).
    pub page_rows: u64,
    pub seed: u64,
    /// Keep each size's directory (CSVs, databases, server log) instead of removing it when done.
    pub keep: bool,
    /// Progress lines on stderr.
    pub progress: bool,
    /// How long one job may take.
    pub job_timeout: Duration,
    /// Times each size is measured; the report keeps each operation's median run. On a shared machine one
    /// run's figures (ours and the reference's alike) can be off by a third; the median of three is not.
    pub runs: usize,
    /// Split the insert and upsert CSVs into parts of at most this many bytes (at record boundaries, each
    /// with the header) and load them one job per part; `None`: one job takes each whole file.
    pub part_bytes: Option<u64>,
    /// Where the server keeps its data, and so which reference it is compared with.
    pub backend: Backend,
}

/// The server's storage, and the reference that goes with it.
#[derive(Clone, Debug, Default)]
pub enum Backend {
    /// SQLite in the data directory (the server's default); the reference is the `sqlite3` shell.
    #[default]
    Sqlite,
    /// PostgreSQL and S3-compatible object storage; the reference is PostgreSQL's `COPY`.
    Postgres(PgTarget),
}

impl Config {
    pub fn new(server: impl Into<PathBuf>, rows: Vec<u64>, work_dir: impl Into<PathBuf>) -> Config {
        Config {
            server: server.into(),
            rows,
            work_dir: work_dir.into(),
            sqlite3: Some(PathBuf::from("sqlite3")),
            reference: true,
            page_rows: 50_000,
            seed: data::DEFAULT_SEED,
            keep: false,
            progress: false,
            job_timeout: Duration::from_secs(3600),
            runs: 1,
            part_bytes: None,
            backend: Backend::Sqlite,
        }
    }
}

/// The measured operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Insert,
    /// The insert on a server with five validation rules and two formula fields on Account.
    InsertWithRules,
    Upsert,
    Export,
    SqliteImport,
    SqliteExport,
    SqliteUpsert,
    /// PostgreSQL's `COPY … FROM STDIN` of the insert CSV.
    PgCopyIn,
    /// PostgreSQL's `COPY … TO STDOUT` of the same columns.
    PgCopyOut,
    /// The upsert CSV `COPY`ed into a staging table, then `INSERT … ON CONFLICT DO UPDATE`.
    PgUpsert,
}

impl Operation {
    pub fn label(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::InsertWithRules => "insert, 5 rules + 2 formulas",
            Operation::Upsert => "upsert (external id)",
            Operation::Export => "export (query job)",
            Operation::SqliteImport => "sqlite3 .import",
            Operation::SqliteExport => "sqlite3 csv export",
            Operation::SqliteUpsert => "sqlite3 upsert",
            Operation::PgCopyIn => "COPY FROM STDIN",
            Operation::PgCopyOut => "COPY TO STDOUT",
            Operation::PgUpsert => "COPY + ON CONFLICT",
        }
    }

    pub fn is_reference(self) -> bool {
        matches!(
            self,
            Operation::SqliteImport
                | Operation::SqliteExport
                | Operation::SqliteUpsert
                | Operation::PgCopyIn
                | Operation::PgCopyOut
                | Operation::PgUpsert
        )
    }

    /// The references an operation may be compared with (one per backend; a run measures one of them).
    pub fn references(self) -> &'static [Operation] {
        match self {
            Operation::Insert | Operation::InsertWithRules => {
                &[Operation::SqliteImport, Operation::PgCopyIn]
            }
            Operation::Export => &[Operation::SqliteExport, Operation::PgCopyOut],
            Operation::Upsert => &[Operation::SqliteUpsert, Operation::PgUpsert],
            _ => &[],
        }
    }
}

/// One phase of an operation (e.g. the upload of an insert), for the JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub seconds: f64,
}

/// One operation at one size.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub operation: Operation,
    /// Rows in the operation's input (insert, upsert, reference import) or in the table exported.
    pub rows: u64,
    pub seconds: f64,
    /// Bytes moved: the CSV uploaded or imported, or the CSV downloaded or exported.
    pub bytes: u64,
    /// Peak resident memory of the server (or of `sqlite3`) during the operation.
    pub peak_rss_bytes: Option<u64>,
    /// rows/s divided by the reference's rows/s.
    pub ratio: Option<f64>,
    /// Ingest jobs: `numberRecordsProcessed` / `numberRecordsFailed`; query jobs: processed.
    pub processed: Option<u64>,
    pub failed: Option<u64>,
    /// Ingest jobs: data records in each result file, and successful results with `sf__Created` = true.
    pub successful_results: Option<u64>,
    pub failed_results: Option<u64>,
    pub unprocessed_records: Option<u64>,
    pub created: Option<u64>,
    /// Export and reference: data records downloaded or in the table / exported file.
    pub records: Option<u64>,
    pub phases: Vec<Phase>,
}

impl Measurement {
    fn new(operation: Operation, rows: u64, seconds: f64, bytes: u64) -> Measurement {
        Measurement {
            operation,
            rows,
            seconds,
            bytes,
            peak_rss_bytes: None,
            ratio: None,
            processed: None,
            failed: None,
            successful_results: None,
            failed_results: None,
            unprocessed_records: None,
            created: None,
            records: None,
            phases: Vec::new(),
        }
    }

    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }

    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }
}

/// All operations at one size.
#[derive(Clone, Debug, Serialize)]
pub struct SizeReport {
    pub rows: u64,
    /// Runs measured at this size; each measurement is its operation's median run.
    pub runs: usize,
    pub insert_csv_bytes: u64,
    pub upsert_csv_bytes: u64,
    pub measurements: Vec<Measurement>,
}

impl SizeReport {
    pub fn get(&self, operation: Operation) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.operation == operation)
    }
}

/// The machine the bench ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: Option<String>,
    pub memory_bytes: Option<u64>,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            });
        let memory_bytes = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: u64 = line
                    .trim_start_matches("MemTotal:")
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some(kb * 1024)
            });
        Machine {
            cpus,
            cpu_model,
            memory_bytes,
        }
    }
}

/// Everything one run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    /// Where the server kept its data: `sqlite` or `postgres`.
    pub backend: &'static str,
    /// `git rev-parse --short HEAD` in the current directory, when it answers.
    pub commit: Option<String>,
    pub page_rows: u64,
    pub sizes: Vec<SizeReport>,
    /// Things worth knowing about how the run was made (a skipped reference, a raised upload limit).
    pub notes: Vec<String>,
    /// Results that are not what they should be (failed rows, missing records): the figures are suspect.
    pub problems: Vec<String>,
}

impl Report {
    pub fn size(&self, rows: u64) -> Option<&SizeReport> {
        self.sizes.iter().find(|s| s.rows == rows)
    }
}

pub(crate) fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Runs every size of `config`; the first error (a job that fails, a server that does not start) stops the run.
pub fn run(config: &Config) -> anyhow::Result<Report> {
    let mut report = Report {
        machine: Machine::detect(),
        backend: "sqlite",
        commit: git_commit(),
        page_rows: config.page_rows,
        sizes: Vec::new(),
        notes: Vec::new(),
        problems: Vec::new(),
    };
    let sqlite3 = match (&config.backend, &config.sqlite3) {
        (_, _) if !config.reference => {
            report.notes.push("reference skipped: no ratios".to_owned());
            None
        }
        (Backend::Sqlite, Some(path)) if reference::available(path) => Some(path.clone()),
        (Backend::Sqlite, Some(path)) => {
            report.notes.push(format!(
                "{} could not be run: no reference, no ratios",
                path.display()
            ));
            None
        }
        (Backend::Sqlite, None) => {
            report.notes.push("reference skipped: no ratios".to_owned());
            None
        }
        (Backend::Postgres(_), _) => None,
    };
    let reference_tool = match (&config.backend, &sqlite3) {
        (Backend::Sqlite, Some(path)) => measure::ReferenceTool::Sqlite3(path),
        (Backend::Postgres(_), _) if config.reference => measure::ReferenceTool::Copy,
        _ => measure::ReferenceTool::None,
    };
    if let Backend::Postgres(target) = &config.backend {
        report.backend = "postgres";
        report.notes.push(postgres::describe(target)?);
    }
    std::fs::create_dir_all(&config.work_dir)
        .with_context(|| format!("creating {}", config.work_dir.display()))?;
    for &rows in &config.rows {
        let dir = config.work_dir.join(format!("rows-{rows}"));
        let mut runs = Vec::new();
        for run in 1..=config.runs.max(1) {
            if config.runs > 1 {
                progress(config, format!("{rows} rows: run {run} of {}", config.runs));
            }
            // A fresh database and bucket per run, removed when it ends.
            let pg = match &config.backend {
                Backend::Postgres(target) => Some(postgres::PgRun::create(target)?),
                Backend::Sqlite => None,
            };
            let size = measure::measure_size(
                config,
                &reference_tool,
                pg.as_ref(),
                rows,
                &dir,
                &mut report,
            )
            .with_context(|| format!("{rows} rows (files kept in {})", dir.display()))?;
            runs.push(size);
        }
        if !config.keep {
            std::fs::remove_dir_all(&dir).ok();
        }
        let size = median_runs(runs);
        report.notes.extend(rules::note(&size));
        report.sizes.push(size);
    }
    Ok(report)
}

/// One report of several runs at a size: each operation's median run (by seconds), with the highest peak
/// RSS any run saw, and ratios between the medians.
fn median_runs(mut runs: Vec<SizeReport>) -> SizeReport {
    if runs.len() == 1 {
        return runs.remove(0);
    }
    let count = runs.len();
    let mut median = runs[0].clone();
    median.runs = count;
    for m in &mut median.measurements {
        let mut same: Vec<&Measurement> = runs.iter().filter_map(|r| r.get(m.operation)).collect();
        same.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let peak = same.iter().filter_map(|r| r.peak_rss_bytes).max();
        *m = same[same.len() / 2].clone();
        m.peak_rss_bytes = peak;
    }
    set_ratios(&mut median);
    median
}

/// Each operation's ratio of rows/s to its reference's, where the reference was measured.
pub(crate) fn set_ratios(size: &mut SizeReport) {
    let references: Vec<(Operation, f64)> = size
        .measurements
        .iter()
        .filter(|m| m.operation.is_reference())
        .map(|m| (m.operation, m.rows_per_second()))
        .collect();
    for m in &mut size.measurements {
        let reference = references
            .iter()
            .find(|(op, _)| m.operation.references().contains(op));
        m.ratio = reference.map(|(_, rate)| m.rows_per_second() / rate);
    }
}

fn progress(config: &Config, text: impl AsRef<str>) {
    if config.progress {
        eprintln!("bench: {}", text.as_ref());
    }
}
