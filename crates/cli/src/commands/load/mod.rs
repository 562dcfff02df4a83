//! `bulkforce load`: a CSV file of any size into an sObject, split into ingest jobs run a few at a time, with a
//! journal to resume from, progress on stderr and a summary table (or one JSON document) on stdout.
//!
//! This module holds the arguments and the command's steps (open the load, run it, conclude); summary.rs
//! renders what is printed about it.

mod summary;

use super::ConnectArgs;
use super::exit::{CliError, CommandResult, Finished, ResumeHint, Signal};
use super::progress::Progress;
use bulkforce_client::load::split::{DEFAULT_MAX_BYTES, SplitOptions};
use bulkforce_client::load::{
    CancellationToken, Load, LoadError, LoadReport, LoadSpec, Outcome, RunOptions,
};
use bulkforce_client::{Client, Error, Operation, PollOptions};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use summary::{json_report, limits, plan_line, resume_command, table};

/// The five ingest operations.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadOperation {
    /// Create records.
    Insert,
    /// Update records by Id.
    Update,
    /// Insert or update records matched on --external-id (a field, or Id).
    Upsert,
    /// Delete records by Id (soft delete).
    Delete,
    /// Delete records by Id for good.
    #[value(name = "hardDelete")]
    HardDelete,
}

impl From<LoadOperation> for Operation {
    fn from(op: LoadOperation) -> Operation {
        match op {
            LoadOperation::Insert => Operation::Insert,
            LoadOperation::Update => Operation::Update,
            LoadOperation::Upsert => Operation::Upsert,
            LoadOperation::Delete => Operation::Delete,
            LoadOperation::HardDelete => Operation::HardDelete,
        }
    }
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// What to do with the rows.
    operation: LoadOperation,
    /// The sObject, e.g. Account.
    #[arg(long)]
    object: String,
    /// The CSV file. Its delimiter (comma, semicolon, tab, pipe, caret, backquote) and line ending (LF, CRLF)
    /// are detected from its header line and declared in every job; a UTF-8 BOM is not sent; the bytes are
    /// otherwise uploaded unchanged.
    #[arg(long)]
    file: PathBuf,
    /// The field upserts match on (required for upsert).
    #[arg(long)]
    external_id: Option<String>,
    /// Where to write <stem>-success.csv, <stem>-failed.csv (and <stem>-unprocessed.csv when some rows were
    /// never processed) and the journal (default: next to --file).
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// Seconds this run may take before it stops; closed jobs keep running on the server, and --resume
    /// continues.
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    /// Jobs in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    parallel: u64,
    /// Largest upload per job, header included: a number of bytes with an optional unit, KB/MB/GB (powers of
    /// 1000) or KiB/MiB/GiB (powers of 1024), e.g. 100MB or 512KiB [default: 100MB].
    #[arg(long, value_parser = parse_size)]
    max_bytes_per_job: Option<u64>,
    /// Most rows per job [default: no limit but the size].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_rows_per_job: Option<u64>,
    /// Continue the load recorded in the journal (after a crash, Ctrl-C or --timeout): finished parts are not
    /// sent again, jobs still running are waited for, jobs left Open are aborted and their parts sent again.
    #[arg(long)]
    resume: bool,
    /// The journal file [default: <results-dir>/<stem>.journal.json].
    #[arg(long)]
    journal: Option<PathBuf>,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Parses `100MB`, `512KB`, `64KiB`, `1GiB`, `1000` (bytes).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 100MB, 512KB or 1048576"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use KB, MB, GB, KiB, MiB or GiB)"
            ));
        }
    };
    let bytes = (number * factor as f64).round();
    if !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!("{text:?} must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// `bulkforce load`: plans (or resumes) the load, runs it with progress on stderr, prints the summary.
pub async fn load(args: LoadArgs) -> CommandResult {
    let operation = operation(&args)?;
    let client = args.connect.client()?;
    let load = open(&args, operation).await?;
    eprintln!("bulkforce: {}", plan_line(&args, &load));
    let (report, signal) = run(&args, &client, load).await;
    conclude(&args, report, signal)
}

/// The operation, once --external-id is known to be given exactly when it is needed.
fn operation(args: &LoadArgs) -> Result<Operation, CliError> {
    let operation = Operation::from(args.operation);
    if operation == Operation::Upsert && args.external_id.is_none() {
        return Err(CliError::usage(
            "upsert needs --external-id FIELD (a field, or Id)",
        ));
    }
    if operation != Operation::Upsert && args.external_id.is_some() {
        return Err(CliError::usage("--external-id only applies to upsert"));
    }
    Ok(operation)
}

/// Plans a new load, or with --resume reads its journal (whose part limits then cannot be changed).
async fn open(args: &LoadArgs, operation: Operation) -> Result<Load, CliError> {
    let spec = spec(args, operation);
    let opened = if args.resume {
        Load::resume(&spec).await
    } else {
        Load::plan(&spec).await
    };
    let load = opened.map_err(|e| refusal(args, e))?;
    if args.resume {
        let kept = load.journal().split;
        if args.max_bytes_per_job.is_some_and(|b| b != kept.max_bytes)
            || args
                .max_rows_per_job
                .is_some_and(|r| Some(r) != kept.max_rows)
        {
            return Err(CliError::other(format!(
                "the journal's parts were planned with {}; resume without --max-bytes-per-job and \
                 --max-rows-per-job, or delete the journal to start over",
                limits(&kept)
            )));
        }
    }
    Ok(load)
}

fn spec(args: &LoadArgs, operation: Operation) -> LoadSpec {
    let mut spec = LoadSpec::new(&args.file, &args.object, operation).split(SplitOptions {
        max_bytes: args.max_bytes_per_job.unwrap_or(DEFAULT_MAX_BYTES),
        max_rows: args.max_rows_per_job,
    });
    if let Some(field) = &args.external_id {
        spec = spec.external_id(field);
    }
    if let Some(dir) = &args.results_dir {
        spec = spec.results_dir(dir);
    }
    if let Some(journal) = &args.journal {
        spec = spec.journal(journal);
    }
    spec
}

/// Why a load cannot start, as the command reports it.
fn refusal(args: &LoadArgs, e: Error) -> CliError {
    match e {
        Error::Io(io) => CliError::other(format!(
            "cannot prepare the load of {}: {io}",
            args.file.display()
        )),
        Error::Load(LoadError::InvalidOptions(_)) => CliError::usage(e),
        Error::Load(_) => CliError::other(format!("{}: {e}", args.file.display())),
        other => CliError::Client(other),
    }
}

/// Runs the load until it ends, a signal stops it or --timeout passes; returns the report and the signal
/// that came (SIGINT when none did: it only matters for a stopped run).
async fn run(args: &LoadArgs, client: &Client, load: Load) -> (LoadReport, Signal) {
    let stop = CancellationToken::new();
    let signal = Arc::new(AtomicU8::new(0));
    let progress = Progress::new(&load, std::io::stderr().is_terminal());
    let watcher = tokio::spawn(watch_signals(
        stop.clone(),
        signal.clone(),
        progress.notifier(),
    ));
    let options = RunOptions {
        parallel: args.parallel as usize,
        timeout: Duration::from_secs(args.timeout),
        poll: PollOptions::default(),
    };
    let report = load.run(client, &options, progress.sink(), stop).await;
    progress.finish();
    watcher.abort();
    let signal = match signal.load(Ordering::SeqCst) {
        SIGTERM => Signal::Terminate,
        _ => Signal::Interrupt,
    };
    (report, signal)
}

/// SIGINT's and SIGTERM's numbers, as [`watch_signals`] records the first one that came.
const SIGINT: u8 = 2;
const SIGTERM: u8 = 15;

/// Waits for SIGINT or SIGTERM: the first stops the run (it winds down and keeps the journal consistent),
/// a second one quits at once (the journal is written atomically, so it is still consistent).
async fn watch_signals(stop: CancellationToken, signal: Arc<AtomicU8>, notice: impl Fn(&str)) {
    use tokio::signal::unix::{SignalKind, signal as unix_signal};
    let (Ok(mut int), Ok(mut term)) = (
        unix_signal(SignalKind::interrupt()),
        unix_signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let first = tokio::select! {
        _ = int.recv() => SIGINT,
        _ = term.recv() => SIGTERM,
    };
    signal.store(first, Ordering::SeqCst);
    notice(
        "stopping: no new jobs; uploads in progress are aborted, closed jobs keep running (again to quit at once)",
    );
    stop.cancel();
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    let first = if first == SIGTERM {
        Signal::Terminate
    } else {
        Signal::Interrupt
    };
    std::process::exit(i32::from(first.exit_code()));
}

/// Prints the summary (a table, or JSON) and turns the run's outcome into the command's result: a complete
/// load is finished (0, 2 or 3), any other stopped, with how to resume when some job was started.
fn conclude(args: &LoadArgs, report: LoadReport, signal: Signal) -> CommandResult {
    let started = report.parts.iter().any(|p| p.job_id.is_some());
    let resume = (!report.outcome.is_complete() && started).then(|| resume_command(args));
    if args.connect.json {
        let code = exit_code(&report, signal, args.timeout);
        println!("{}", json_report(args, &report, code, resume.as_deref()));
    } else if report.outcome.is_complete() || started {
        print!("{}", table(args, &report));
    }
    // Taken before the outcome moves into the result.
    let resume = resume.map(|command| ResumeHint {
        running: report
            .unfinished_jobs()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        journal: report.journal.clone(),
        command,
    });
    let reason = match report.outcome {
        Outcome::Complete => return Ok(completed(&report)),
        Outcome::Stopped => CliError::Interrupted(signal),
        Outcome::TimedOut => CliError::TimedOut(args.timeout),
        Outcome::Failed(e) => CliError::Client(e),
    };
    Err(CliError::LoadStopped {
        reason: Box::new(reason),
        resume,
    })
}

/// How a complete load went.
fn completed(report: &LoadReport) -> Finished {
    if report.any_job_failed() {
        Finished::JobFailed
    } else if report.failed() > 0 {
        Finished::RowsFailed
    } else {
        Finished::Ok
    }
}

/// The exit code [`conclude`] ends with, for the JSON summary printed before it.
fn exit_code(report: &LoadReport, signal: Signal, timeout: u64) -> u8 {
    match &report.outcome {
        Outcome::Complete => completed(report).exit_code(),
        Outcome::Stopped => CliError::Interrupted(signal).exit_code(),
        Outcome::TimedOut => CliError::TimedOut(timeout).exit_code(),
        Outcome::Failed(e) => CliError::client_exit_code(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("512KB"), Ok(512_000));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1.5 GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2mb"), Ok(2_000_000));
        assert!(parse_size("0MB").is_err());
        assert!(
            parse_size("12 parsecs")
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!(parse_size("MB").is_err());
    }
}
