//! `bulkforce-bench`: measures `bulkforce serve` end to end through its HTTP API and prints one table.

use bulkforce_bench::{Backend, Config, PgTarget, render_table, run};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "bulkforce-bench",
    about = "Insert, upsert and export through `bulkforce serve`, against sqlite3 (or PostgreSQL's COPY) on \
             the same CSV"
)]
struct Args {
    /// The `bulkforce` binary to start (a release build for figures worth keeping).
    #[arg(long)]
    server: PathBuf,
    /// Sizes to measure, in rows, comma-separated (underscores allowed: 1_000_000).
    #[arg(long, value_delimiter = ',', value_parser = parse_rows, default_value = "100000,1000000")]
    rows: Vec<u64>,
    /// Working directory for generated CSVs, server data and the reference database (one `rows-N` directory
    /// per size, removed when done unless --keep). Default: bulkforce-bench in the system temp directory.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where the server keeps its data: SQLite in its data directory (reference: sqlite3), or PostgreSQL
    /// and an S3-compatible object store (reference: PostgreSQL's COPY), a fresh database and bucket per run.
    #[arg(long, value_enum, default_value_t = BackendName::Sqlite)]
    backend: BackendName,
    /// PostgreSQL backend: a database URL on the server to use (its maintenance database will do); the bench
    /// creates a database beside it per run and drops it after.
    #[arg(long, env = "BULKFORCE_TEST_DATABASE_URL")]
    database_url: Option<String>,
    /// PostgreSQL backend: the S3-compatible endpoint (scripts/services' moto by default).
    #[arg(long, env = "BULKFORCE_TEST_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// PostgreSQL backend: an existing bucket, each run's objects under a prefix of their own (deleted
    /// after); without it, a fresh bucket per run, created with an unsigned request (moto allows that).
    /// Credentials and region from the standard AWS_* variables.
    #[arg(long)]
    bucket: Option<String>,
    /// Print the report as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// The sqlite3 shell used as the SQLite backend's reference.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: PathBuf,
    /// Skip the reference (no ratios).
    #[arg(long)]
    no_reference: bool,
    /// Rows per results page of the export (maxRecords).
    #[arg(long, default_value_t = 50_000)]
    page_rows: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = bulkforce_bench::data::DEFAULT_SEED)]
    seed: u64,
    /// Keep each size's directory (CSVs, server data and log, reference database).
    #[arg(long)]
    keep: bool,
    /// Longest a single job may take, in seconds.
    #[arg(long, default_value_t = 3600)]
    job_timeout: u64,
    /// Times each size is measured; the table shows each operation's median run (and the highest peak RSS)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=99))]
    runs: u64,
    /// Send the insert and upsert CSVs as parts of at most this size (e.g. 150MB, 100MiB, 5000000), one job
    /// per part, one after another, as a client loads a file past the upload limit; timed as a whole.
    #[arg(long, value_parser = parse_bytes)]
    part_bytes: Option<u64>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendName {
    Sqlite,
    Postgres,
}

/// The backend the arguments ask for; PostgreSQL needs a database and an object store.
fn backend(args: &Args) -> Result<Backend, String> {
    match args.backend {
        BackendName::Sqlite => Ok(Backend::Sqlite),
        BackendName::Postgres => {
            let missing = |what: &str, var: &str| {
                format!(
                    "--backend postgres needs {what} (or {var}; `bash scripts/services start` and \
                     `scripts/services env` give one)"
                )
            };
            Ok(Backend::Postgres(PgTarget {
                database_url: args
                    .database_url
                    .clone()
                    .ok_or_else(|| missing("--database-url", "BULKFORCE_TEST_DATABASE_URL"))?,
                s3_endpoint: args
                    .s3_endpoint
                    .clone()
                    .ok_or_else(|| missing("--s3-endpoint", "BULKFORCE_TEST_S3_ENDPOINT"))?,
                bucket: args.bucket.clone(),
            }))
        }
    }
}

fn parse_rows(text: &str) -> Result<u64, String> {
    let n: u64 = text
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("not a number of rows: {text}"))?;
    if n == 0 {
        return Err("rows must be at least 1".to_owned());
    }
    Ok(n)
}

/// `150MB` (10^6), `150MiB` (2^20), `64KB`, `64KiB`, `1GB` or plain bytes.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim().replace('_', "");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("not a size: {text} (e.g. 150MB, 100MiB)"))?;
    let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} (B, KB, KiB, MB, MiB, GB, GiB)"
            ));
        }
    };
    let bytes = number.saturating_mul(unit);
    if bytes < 4096 {
        return Err("parts must be at least 4096 bytes".to_owned());
    }
    Ok(bytes)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.page_rows == 0 {
        eprintln!("bulkforce-bench: --page-rows must be at least 1");
        return ExitCode::from(2);
    }
    let backend = match backend(&args) {
        Ok(backend) => backend,
        Err(e) => {
            eprintln!("bulkforce-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let work_dir = args
        .work_dir
        .unwrap_or_else(|| std::env::temp_dir().join("bulkforce-bench"));
    let mut config = Config::new(args.server, args.rows, work_dir);
    config.sqlite3 = Some(args.sqlite3);
    config.reference = !args.no_reference;
    config.backend = backend;
    config.page_rows = args.page_rows;
    config.seed = args.seed;
    config.keep = args.keep;
    config.progress = !args.quiet;
    config.job_timeout = Duration::from_secs(args.job_timeout);
    config.runs = args.runs as usize;
    config.part_bytes = args.part_bytes;
    let report = match run(&config) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("bulkforce-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("bulkforce-bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render_table(&report));
    }
    if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
