//! `bulkforce load`: a CSV file of any size into an sObject, split into ingest jobs run a few at a time, with a
//! journal to resume from, progress on stderr and a summary table (or one JSON document) on stdout.

use super::progress::{Progress, mb, plural, seconds, thousands};
use super::{ConnectArgs, EXIT_JOB_FAILED, EXIT_OK, EXIT_OTHER, EXIT_ROWS_FAILED, fail, usage};
use bulkforce_client::load::split::{DEFAULT_MAX_BYTES, SplitOptions};
use bulkforce_client::load::{
    CancellationToken, Load, LoadError, LoadReport, LoadSpec, Outcome, PartReport, RunOptions,
};
use bulkforce_client::{Error, Operation, PollOptions};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// Exit code after SIGINT (Ctrl-C) or SIGTERM: 128 + the signal, as shells report it.
const EXIT_SIGINT: u8 = 130;
const EXIT_SIGTERM: u8 = 143;

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

pub async fn load(args: LoadArgs) -> u8 {
    let operation = Operation::from(args.operation);
    if operation == Operation::Upsert && args.external_id.is_none() {
        return usage("upsert needs --external-id FIELD (a field, or Id)");
    }
    if operation != Operation::Upsert && args.external_id.is_some() {
        return usage("--external-id only applies to upsert");
    }
    let client = match args.connect.client() {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let spec = spec(&args, operation);
    let opened = if args.resume {
        Load::resume(&spec).await
    } else {
        Load::plan(&spec).await
    };
    let load = match opened {
        Ok(load) => load,
        Err(e) => return refuse(&args, &e),
    };
    let journal = load.journal();
    if args.resume {
        let given = (args.max_bytes_per_job, args.max_rows_per_job);
        let kept = journal.split;
        if given.0.is_some_and(|b| b != kept.max_bytes)
            || given.1.is_some_and(|r| Some(r) != kept.max_rows)
        {
            eprintln!(
                "bulkforce: the journal's parts were planned with {}; resume without --max-bytes-per-job and \
                 --max-rows-per-job, or delete the journal to start over",
                limits(&kept)
            );
            return EXIT_OTHER;
        }
    }
    eprintln!("bulkforce: {}", plan_line(&args, &load));

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
    let report = load.run(&client, &options, progress.sink(), stop).await;
    progress.finish();
    watcher.abort();

    let code = match &report.outcome {
        Outcome::Complete if report.any_job_failed() => EXIT_JOB_FAILED,
        Outcome::Complete if report.failed() > 0 => EXIT_ROWS_FAILED,
        Outcome::Complete => EXIT_OK,
        Outcome::Stopped => match signal.load(Ordering::SeqCst) {
            15 => EXIT_SIGTERM,
            _ => EXIT_SIGINT,
        },
        Outcome::TimedOut => EXIT_OTHER,
        Outcome::Failed(e) => {
            if e.is_auth() || e.is_network() {
                super::EXIT_UNAVAILABLE
            } else {
                EXIT_OTHER
            }
        }
    };
    let resumable =
        !report.outcome.is_complete() && report.parts.iter().any(|p| p.job_id.is_some());
    let resume = resumable.then(|| resume_command(&args));
    if args.connect.json {
        println!("{}", json_report(&args, &report, code, resume.as_deref()));
    } else if report.outcome.is_complete() || report.parts.iter().any(|p| p.job_id.is_some()) {
        print!("{}", table(&args, &report));
    }
    match &report.outcome {
        Outcome::Complete => {}
        Outcome::Stopped => eprintln!("bulkforce: interrupted"),
        Outcome::TimedOut => eprintln!("bulkforce: --timeout of {}s reached", args.timeout),
        Outcome::Failed(e) => {
            fail(e);
        }
    }
    if let Some(resume) = &resume {
        let running = report.unfinished_jobs();
        if !running.is_empty() {
            eprintln!(
                "bulkforce: jobs still running on the server: {}",
                running.join(", ")
            );
        }
        eprintln!(
            "bulkforce: the journal is {}; to continue:",
            report.journal.display()
        );
        eprintln!("  {resume}");
    }
    code
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

/// A load that cannot start: what went wrong, and the exit code.
fn refuse(args: &LoadArgs, e: &Error) -> u8 {
    match e {
        Error::Io(io) => {
            eprintln!(
                "bulkforce: cannot prepare the load of {}: {io}",
                args.file.display()
            );
            EXIT_OTHER
        }
        Error::Load(LoadError::InvalidOptions(_)) => usage(&e.to_string()),
        Error::Load(_) => {
            eprintln!("bulkforce: {}: {e}", args.file.display());
            EXIT_OTHER
        }
        other => fail(other),
    }
}

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
        _ = int.recv() => 2,
        _ = term.recv() => 15,
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
    std::process::exit(i32::from(if first == 15 {
        EXIT_SIGTERM
    } else {
        EXIT_SIGINT
    }));
}

fn limits(split: &SplitOptions) -> String {
    match split.max_rows {
        Some(rows) => format!(
            "at most {} and {} per job",
            mb(split.max_bytes),
            plural(rows, "row")
        ),
        None => format!("at most {} per job", mb(split.max_bytes)),
    }
}

fn plan_line(args: &LoadArgs, load: &Load) -> String {
    let j = load.journal();
    let done = j
        .parts
        .iter()
        .filter(|p| p.phase == bulkforce_client::load::journal::Phase::Downloaded)
        .count();
    format!(
        "{}: {}, {}, {} {}{} -> {} {} in {} ({}), {} at a time{}",
        args.file.display(),
        plural(j.rows, "row"),
        mb(j.file.size),
        j.column_delimiter,
        j.line_ending,
        if j.bom { ", BOM not sent" } else { "" },
        j.operation,
        j.object,
        plural(j.parts.len() as u64, "job"),
        limits(&j.split),
        args.parallel,
        if load.is_resumed() {
            format!("; resuming, {done} done")
        } else {
            String::new()
        }
    )
}

/// The command that continues this load (connection settings left to the environment or the same flags).
fn resume_command(args: &LoadArgs) -> String {
    let op = args
        .operation
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    let mut words = vec![
        "bulkforce".to_owned(),
        "load".to_owned(),
        op,
        "--object".to_owned(),
        shell_quote(&args.object),
        "--file".to_owned(),
        shell_quote(&args.file.to_string_lossy()),
    ];
    if let Some(field) = &args.external_id {
        words.extend(["--external-id".to_owned(), shell_quote(field)]);
    }
    if let Some(dir) = &args.results_dir {
        words.extend([
            "--results-dir".to_owned(),
            shell_quote(&dir.to_string_lossy()),
        ]);
    }
    if let Some(journal) = &args.journal {
        words.extend([
            "--journal".to_owned(),
            shell_quote(&journal.to_string_lossy()),
        ]);
    }
    if args.parallel != 4 {
        words.extend(["--parallel".to_owned(), args.parallel.to_string()]);
    }
    words.push("--resume".to_owned());
    words.join(" ")
}

fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn state_name(part: &PartReport) -> String {
    match part.state {
        Some(state) => state.to_string(),
        None => "-".to_owned(),
    }
}

/// The summary table: one row per job, a total line, the result files.
fn table(args: &LoadArgs, report: &LoadReport) -> String {
    let header = [
        "part",
        "job",
        "rows",
        "processed",
        "failed",
        "state",
        "time",
    ];
    let mut rows: Vec<[String; 7]> = report
        .parts
        .iter()
        .map(|p| {
            [
                p.part.to_string(),
                p.job_id.clone().unwrap_or_else(|| "-".to_owned()),
                thousands(p.rows),
                thousands(p.processed),
                thousands(p.failed),
                state_name(p),
                p.elapsed
                    .map(|d| seconds(d.as_secs_f64()))
                    .unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let elapsed = report.elapsed.as_secs_f64();
    let processed = report.processed();
    let rate = if elapsed > 0.0 {
        (processed as f64 / elapsed) as u64
    } else {
        0
    };
    rows.push([
        "total".to_owned(),
        format!(
            "{} job{}",
            report.parts.len(),
            if report.parts.len() == 1 { "" } else { "s" }
        ),
        thousands(report.rows),
        thousands(processed),
        thousands(report.failed()),
        String::new(),
        seconds(elapsed),
    ]);
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers right-aligned, text left-aligned.
    let right = [true, false, true, true, true, false, true];
    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            if right[i] {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push('\n');
        out
    };
    let mut out = format!(
        "{}: {} {}, {} {}{}\n",
        args.file.display(),
        Operation::from(args.operation),
        args.object,
        report.delimiter,
        report.line_ending,
        if report.bom { ", BOM not sent" } else { "" }
    );
    out.push_str(&line(&header.map(str::to_owned)));
    let total = rows.pop().unwrap_or_default();
    for row in &rows {
        out.push_str(&line(row));
    }
    let mut total_line = line(&total);
    total_line.pop();
    out.push_str(&format!("{total_line}  {} rows/s\n", thousands(rate)));
    for p in &report.parts {
        if let Some(message) = &p.error_message {
            out.push_str(&format!(
                "part {} ({}) {}: {message}\n",
                p.part,
                p.job_id.as_deref().unwrap_or("-"),
                state_name(p)
            ));
        }
    }
    if report.outcome.is_complete() {
        out.push_str(&format!(
            "successes:   {}\n",
            report.results.success.display()
        ));
        out.push_str(&format!(
            "failures:    {}\n",
            report.results.failed.display()
        ));
        if report.has_unprocessed {
            out.push_str(&format!(
                "unprocessed: {}\n",
                report.results.unprocessed.display()
            ));
        }
    }
    out.push_str(&format!("journal:     {}\n", report.journal.display()));
    out
}

fn json_report(
    args: &LoadArgs,
    report: &LoadReport,
    code: u8,
    resume: Option<&str>,
) -> serde_json::Value {
    let jobs: Vec<_> = report
        .parts
        .iter()
        .map(|p| {
            json!({
                "part": p.part,
                "id": p.job_id,
                "rows": p.rows,
                "processed": p.processed,
                "failed": p.failed,
                "state": p.state.map(|s| s.to_string()),
                "errorMessage": p.error_message,
                "seconds": p.elapsed.map(|d| d.as_secs_f64()),
            })
        })
        .collect();
    let elapsed = report.elapsed.as_secs_f64();
    let (outcome, error) = match &report.outcome {
        Outcome::Complete => ("complete", None),
        Outcome::Stopped => ("interrupted", None),
        Outcome::TimedOut => ("timeout", None),
        Outcome::Failed(e) => ("error", Some(e.to_string())),
    };
    let path = |p: &Path| {
        report
            .outcome
            .is_complete()
            .then(|| p.display().to_string())
    };
    json!({
        "file": args.file,
        "object": args.object,
        "operation": Operation::from(args.operation).as_str(),
        "columnDelimiter": report.delimiter.name(),
        "lineEnding": report.line_ending.name(),
        "bom": report.bom,
        "jobs": jobs,
        "total": {
            "jobs": report.parts.len(),
            "rows": report.rows,
            "processed": report.processed(),
            "failed": report.failed(),
            "seconds": elapsed,
            "rowsPerSecond": if elapsed > 0.0 { report.processed() as f64 / elapsed } else { 0.0 },
        },
        "successFile": path(&report.results.success),
        "failedFile": path(&report.results.failed),
        "unprocessedFile": if report.has_unprocessed { path(&report.results.unprocessed) } else { None },
        "journal": report.journal,
        "outcome": outcome,
        "error": error,
        "runningJobs": report.unfinished_jobs(),
        "resumeCommand": resume,
        "jobFailed": report.any_job_failed(),
        "exitCode": code,
    })
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

    #[test]
    fn resume_commands_are_shell_safe() {
        assert_eq!(shell_quote("accounts.csv"), "accounts.csv");
        assert_eq!(shell_quote("my file.csv"), "'my file.csv'");
        assert_eq!(shell_quote("it's.csv"), "'it'\\''s.csv'");
    }
}
