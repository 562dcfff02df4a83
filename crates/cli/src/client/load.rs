//! `bulkforce load`: a CSV file into an sObject through ingest jobs.

use super::{
    ConnectArgs, EXIT_JOB_FAILED, EXIT_OK, EXIT_OTHER, EXIT_ROWS_FAILED, counts, fail, poll, usage,
};
use bulkforce_client::{
    ColumnDelimiter, Error, IngestJobRequest, JobKind, JobState, LineEnding, Operation, ResultKind,
};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

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
    /// are detected from its first line and declared in the job; the bytes are uploaded unchanged.
    #[arg(long)]
    file: PathBuf,
    /// The field upserts match on (required for upsert).
    #[arg(long)]
    external_id: Option<String>,
    /// Where to write <stem>-success.csv and <stem>-failed.csv (default: next to --file).
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// Seconds to wait for the job before giving up (the job keeps running).
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// The delimiter and line ending of a CSV file, from its first line: the delimiter is the one of the six that
/// occurs most often outside quotes (comma when none does), the line ending CRLF when that line ends in
/// `\r\n`.
pub fn detect_dialect(first_line: &[u8]) -> (ColumnDelimiter, LineEnding) {
    let ending = if first_line.ends_with(b"\r\n") {
        LineEnding::Crlf
    } else {
        LineEnding::Lf
    };
    let mut counts = [0usize; 6];
    let mut quoted = false;
    for &b in first_line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = ColumnDelimiter::ALL.iter().position(|d| d.byte() == b) {
            counts[i] += 1;
        }
    }
    let mut best = ColumnDelimiter::Comma;
    let mut best_count = counts[2];
    for (i, d) in ColumnDelimiter::ALL.into_iter().enumerate() {
        if counts[i] > best_count {
            best = d;
            best_count = counts[i];
        }
    }
    (best, ending)
}

async fn first_line(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut line = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(line);
        }
        if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..=end]);
            return Ok(line);
        }
        line.extend_from_slice(&buf[..n]);
        if line.len() > 16 * 1024 * 1024 {
            return Ok(line);
        }
    }
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
    let line = match first_line(&args.file).await {
        Ok(line) => line,
        Err(e) => {
            eprintln!("bulkforce: cannot read {}: {e}", args.file.display());
            return EXIT_OTHER;
        }
    };
    let (delimiter, line_ending) = detect_dialect(&line);
    let mut request = IngestJobRequest::new(&args.object, operation)
        .column_delimiter(delimiter)
        .line_ending(line_ending);
    if let Some(field) = &args.external_id {
        request = request.external_id_field_name(field);
    }
    let stem = args
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".to_owned());
    let dir = match &args.results_dir {
        Some(dir) => dir.clone(),
        None => args
            .file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let success_path = dir.join(format!("{stem}-success.csv"));
    let failed_path = dir.join(format!("{stem}-failed.csv"));

    let job = match client.create_ingest_job(&request).await {
        Ok(job) => job,
        Err(e) => return fail(&e),
    };
    let run = async {
        let file = tokio::fs::File::open(&args.file).await?;
        client.upload_job_data(&job.id, file).await?;
        client.close_job(&job.id).await?;
        client
            .wait_for_job(JobKind::Ingest, &job.id, &poll(args.timeout))
            .await
    };
    let info = match run.await {
        Ok(info) => info,
        Err(e) => {
            // Never leave an Open job behind: abort it if the upload or close did not go through.
            if let Ok(current) = client.job_info(JobKind::Ingest, &job.id).await
                && current.state == JobState::Open
            {
                let _ = client.abort_job(JobKind::Ingest, &job.id).await;
            }
            eprintln!("bulkforce: job {}", job.id);
            return fail(&e);
        }
    };
    let download = async {
        if !dir.as_os_str().is_empty() {
            tokio::fs::create_dir_all(&dir).await?;
        }
        for (kind, path) in [
            (ResultKind::Successful, &success_path),
            (ResultKind::Failed, &failed_path),
        ] {
            let mut out = tokio::fs::File::create(path).await?;
            client
                .download_ingest_results(&job.id, kind, &mut out)
                .await?;
        }
        Ok::<_, Error>(())
    };
    if let Err(e) = download.await {
        eprintln!("bulkforce: results of job {}", job.id);
        return fail(&e);
    }
    let (processed, failed) = counts(&info);
    let code = match info.state {
        JobState::JobComplete if failed == 0 => EXIT_OK,
        JobState::JobComplete => EXIT_ROWS_FAILED,
        _ => EXIT_JOB_FAILED,
    };
    if args.connect.json {
        println!(
            "{}",
            json!({
                "job": info,
                "columnDelimiter": delimiter.name(),
                "lineEnding": line_ending.name(),
                "successFile": success_path,
                "failedFile": failed_path,
                "exitCode": code,
            })
        );
    } else {
        println!(
            "job {} ({} {}, {} {}): {}",
            info.id,
            operation,
            info.object,
            delimiter.name(),
            line_ending.name(),
            info.state
        );
        if let Some(message) = &info.error_message {
            println!("  error: {message}");
        }
        println!(
            "  {processed} processed, {} succeeded, {failed} failed",
            processed - failed.min(processed)
        );
        println!("  successes: {}", success_path.display());
        println!("  failures:  {}", failed_path.display());
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_six_delimiters_and_both_line_endings() {
        let cases: [(&[u8], ColumnDelimiter); 6] = [
            (b"Name,Description\n", ColumnDelimiter::Comma),
            (b"Name;\"A,B\";C\n", ColumnDelimiter::Semicolon),
            (b"Name\tDescription\n", ColumnDelimiter::Tab),
            (b"Name|Description|X\n", ColumnDelimiter::Pipe),
            (b"Name^Description\n", ColumnDelimiter::Caret),
            (b"Name`Description\n", ColumnDelimiter::Backquote),
        ];
        for (line, expected) in cases {
            assert_eq!(detect_dialect(line), (expected, LineEnding::Lf));
        }
        assert_eq!(
            detect_dialect(b"Name\r\n"),
            (ColumnDelimiter::Comma, LineEnding::Crlf)
        );
        assert_eq!(
            detect_dialect(b"\"a|b\",c\r\n"),
            (ColumnDelimiter::Comma, LineEnding::Crlf)
        );
    }
}
