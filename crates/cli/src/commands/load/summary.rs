//! What `bulkforce load` prints about a load: the plan line, the summary table or JSON document, and the
//! command that resumes it.

use super::LoadArgs;
use crate::commands::progress::{mb, plural, seconds, thousands};
use bulkforce_client::Operation;
use bulkforce_client::load::split::SplitOptions;
use bulkforce_client::load::{Load, LoadReport, Outcome, PartReport};
use clap::ValueEnum;
use serde_json::json;
use std::path::Path;

/// The parts' size limits, as the plan line and the resume refusal say them.
pub(super) fn limits(split: &SplitOptions) -> String {
    match split.max_rows {
        Some(rows) => format!(
            "at most {} and {} per job",
            mb(split.max_bytes),
            plural(rows, "row")
        ),
        None => format!("at most {} per job", mb(split.max_bytes)),
    }
}

/// The line on stderr before the run: the file, what is done with it, in how many jobs.
pub(super) fn plan_line(args: &LoadArgs, load: &Load) -> String {
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
pub(super) fn resume_command(args: &LoadArgs) -> String {
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

/// `word` as one shell word: as is when that is safe, else single-quoted.
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

/// A part's job state, `-` before it has a job.
fn state_name(part: &PartReport) -> String {
    match part.state {
        Some(state) => state.to_string(),
        None => "-".to_owned(),
    }
}

/// The summary table's columns.
const HEADER: [&str; 7] = [
    "part",
    "job",
    "rows",
    "processed",
    "failed",
    "state",
    "time",
];

/// Which columns are right-aligned: numbers right, text left.
const RIGHT: [bool; 7] = [true, false, true, true, true, false, true];

/// The summary table: one row per job, a total line, the result files.
pub(super) fn table(args: &LoadArgs, report: &LoadReport) -> String {
    let mut out = format!(
        "{}: {} {}, {} {}{}\n",
        args.file.display(),
        Operation::from(args.operation),
        args.object,
        report.delimiter,
        report.line_ending,
        if report.bom { ", BOM not sent" } else { "" }
    );
    out.push_str(&job_columns(report));
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
    out.push_str(&files(report));
    out
}

/// The jobs in aligned columns, then the total line with the rate.
fn job_columns(report: &LoadReport) -> String {
    let rows: Vec<[String; 7]> = report.parts.iter().map(part_row).collect();
    let elapsed = report.elapsed.as_secs_f64();
    let processed = report.processed();
    let rate = if elapsed > 0.0 {
        (processed as f64 / elapsed) as u64
    } else {
        0
    };
    let total = [
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
    ];
    let mut widths = HEADER.map(str::len);
    for row in rows.iter().chain([&total]) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = aligned(&HEADER.map(str::to_owned), &widths);
    for row in &rows {
        out.push_str(&aligned(row, &widths));
    }
    let mut total_line = aligned(&total, &widths);
    total_line.pop();
    out.push_str(&format!("{total_line}  {} rows/s\n", thousands(rate)));
    out
}

/// One part's row of the table.
fn part_row(p: &PartReport) -> [String; 7] {
    [
        p.part.to_string(),
        p.job_id.clone().unwrap_or_else(|| "-".to_owned()),
        thousands(p.rows),
        thousands(p.processed),
        thousands(p.failed),
        state_name(p),
        p.elapsed
            .map_or_else(|| "-".to_owned(), |d| seconds(d.as_secs_f64())),
    ]
}

/// One line of the table, cells padded to `widths` (no trailing spaces after a last, left-aligned cell).
fn aligned(cells: &[String; 7], widths: &[usize; 7]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        let pad = widths[i] - cell.chars().count();
        if RIGHT[i] {
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
}

/// The result files (when the load is complete) and the journal.
fn files(report: &LoadReport) -> String {
    let mut out = String::new();
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

/// The summary as one JSON document (`--json`), with the exit code the command ends with.
pub(super) fn json_report(
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
    fn resume_commands_are_shell_safe() {
        assert_eq!(shell_quote("accounts.csv"), "accounts.csv");
        assert_eq!(shell_quote("my file.csv"), "'my file.csv'");
        assert_eq!(shell_quote("it's.csv"), "'it'\\''s.csv'");
    }
}
