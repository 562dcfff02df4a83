//! The client commands, `bulkforce load`, `export` and `jobs`: thin over `bulkforce-client`.

use bulkforce_client::{
    Client, ColumnDelimiter, Error, IngestJobRequest, JobInfo, JobKind, JobState, LineEnding,
    Operation, PollOptions, QueryJobRequest, ResultKind,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Every row succeeded.
pub const EXIT_OK: u8 = 0;
/// Some rows failed.
pub const EXIT_ROWS_FAILED: u8 = 2;
/// A job failed or was aborted.
pub const EXIT_JOB_FAILED: u8 = 3;
/// Any other error: the server refused a request (unknown object, malformed SOQL, unknown job id), a local
/// file could not be read or written, or a job did not finish within --timeout.
pub const EXIT_OTHER: u8 = 1;
/// Bad usage (unknown flag, missing argument).
pub const EXIT_USAGE: u8 = 64;
/// Authentication refused, or the server unreachable.
pub const EXIT_UNAVAILABLE: u8 = 69;

/// The exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (load, export, jobs):
  0   done; every row succeeded
  1   other error: request refused by the server (unknown object or job, bad SOQL), a local file error,
      or the job still running at --timeout (it is left running; see `bulkforce jobs show ID`)
  2   the job completed but some rows failed (see the -failed.csv file)
  3   a job failed or was aborted
  64  usage error
  69  authentication refused or server unreachable";

/// Where and as whom to connect.
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The instance URL, e.g. https://acme.my.salesforce.com or http://127.0.0.1:8080.
    #[arg(long, env = "BULKFORCE_INSTANCE_URL")]
    instance_url: String,
    /// A bearer access token (e.g. from `bulkforce admin token` or `bulkforce serve`'s output).
    #[arg(long, env = "BULKFORCE_ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    /// The REST API version.
    #[arg(long, env = "BULKFORCE_API_VERSION", default_value = "62.0")]
    api_version: String,
    /// Print JSON on stdout instead of text.
    #[arg(long)]
    json: bool,
}

impl ConnectArgs {
    fn client(&self) -> Result<Client, Error> {
        Client::new(&self.instance_url, &self.access_token, &self.api_version)
    }
}

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

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The SOQL query.
    #[arg(long)]
    query: String,
    /// queryAll: include deleted and archived records.
    #[arg(long)]
    all: bool,
    /// The CSV file to write (header once, then every row of every page).
    #[arg(long)]
    out: PathBuf,
    /// Rows per results page (default: the server's).
    #[arg(long)]
    max_records: Option<u64>,
    /// Seconds to wait for the job before giving up (the job keeps running).
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct JobsArgs {
    #[command(subcommand)]
    command: JobsCommand,
}

#[derive(Subcommand, Debug)]
enum JobsCommand {
    /// List ingest and query jobs, oldest first.
    List {
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Show a job's info.
    Show {
        /// The job id (ingest or query).
        id: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Abort a job that has not finished.
    Abort {
        /// The job id (ingest or query).
        id: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Delete a finished job and its results.
    Delete {
        /// The job id (ingest or query).
        id: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
}

fn fail(e: &Error) -> u8 {
    eprintln!("bulkforce: {e}");
    if e.is_auth() || e.is_network() {
        EXIT_UNAVAILABLE
    } else {
        EXIT_OTHER
    }
}

fn usage(message: &str) -> u8 {
    eprintln!("bulkforce: {message}");
    EXIT_USAGE
}

fn poll(timeout: u64) -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(timeout),
        ..PollOptions::default()
    }
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

fn counts(info: &JobInfo) -> (u64, u64) {
    let processed = info.number_records_processed.unwrap_or(0);
    let failed = info.number_records_failed.unwrap_or(0);
    (processed, failed)
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

pub async fn export(args: ExportArgs) -> u8 {
    let client = match args.connect.client() {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let request = QueryJobRequest::new(&args.query).query_all(args.all);
    let job = match client.create_query_job(&request).await {
        Ok(job) => job,
        Err(e) => return fail(&e),
    };
    let info = match client
        .wait_for_job(JobKind::Query, &job.id, &poll(args.timeout))
        .await
    {
        Ok(info) => info,
        Err(e) => return fail(&e),
    };
    if info.state != JobState::JobComplete {
        if args.connect.json {
            println!("{}", json!({ "job": info, "exitCode": EXIT_JOB_FAILED }));
        } else {
            println!("job {}: {}", info.id, info.state);
            if let Some(message) = &info.error_message {
                println!("  error: {message}");
            }
        }
        return EXIT_JOB_FAILED;
    }
    // Written beside the target and renamed into place: a failed download never leaves a truncated --out.
    let mut partial = args.out.clone().into_os_string();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let rows = async {
        let mut out = tokio::fs::File::create(&partial).await?;
        let rows = client
            .download_query_results(&job.id, &mut out, args.max_records)
            .await?;
        out.sync_all().await?;
        drop(out);
        tokio::fs::rename(&partial, &args.out).await?;
        Ok::<_, Error>(rows)
    };
    let rows = match rows.await {
        Ok(rows) => rows,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            eprintln!("bulkforce: results of job {}", job.id);
            return fail(&e);
        }
    };
    if args.connect.json {
        println!(
            "{}",
            json!({ "job": info, "records": rows, "file": args.out, "exitCode": EXIT_OK })
        );
    } else {
        println!(
            "job {} ({} {}): {} row{} written to {}",
            info.id,
            info.operation,
            info.object,
            rows,
            if rows == 1 { "" } else { "s" },
            args.out.display()
        );
    }
    EXIT_OK
}

/// Runs `f` on the ingest job `id`, or on the query job `id` when no ingest job has that id.
async fn either_kind<T, F, Fut>(f: F) -> Result<T, Error>
where
    F: Fn(JobKind) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    match f(JobKind::Ingest).await {
        Err(Error::Api { status: 404, .. }) => f(JobKind::Query).await,
        other => other,
    }
}

fn print_job(info: &JobInfo, json_output: bool) {
    if json_output {
        println!("{}", serde_json::to_string_pretty(info).unwrap_or_default());
        return;
    }
    let value = serde_json::to_value(info).unwrap_or_default();
    if let Some(map) = value.as_object() {
        for (key, value) in map {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("{key:<24} {text}");
        }
    }
}

pub async fn jobs(args: JobsArgs) -> u8 {
    let connect = match &args.command {
        JobsCommand::List { connect }
        | JobsCommand::Show { connect, .. }
        | JobsCommand::Abort { connect, .. }
        | JobsCommand::Delete { connect, .. } => connect,
    };
    let client = match connect.client() {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let json_output = connect.json;
    match args.command {
        JobsCommand::List { .. } => {
            let mut all = Vec::new();
            for kind in [JobKind::Ingest, JobKind::Query] {
                match client.list_jobs(kind).await {
                    Ok(jobs) => all.extend(jobs),
                    Err(e) => return fail(&e),
                }
            }
            all.sort_by(|a, b| a.created_date.cmp(&b.created_date).then(a.id.cmp(&b.id)));
            if json_output {
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                println!(
                    "{:<18}  {:<8}  {:<10}  {:<16}  {:<14}  created",
                    "id", "type", "operation", "object", "state"
                );
                for job in &all {
                    println!(
                        "{:<18}  {:<8}  {:<10}  {:<16}  {:<14}  {}",
                        job.id,
                        job.job_type.as_deref().unwrap_or(""),
                        job.operation.as_str(),
                        job.object,
                        job.state.to_string(),
                        job.created_date.as_deref().unwrap_or("")
                    );
                }
            }
            EXIT_OK
        }
        JobsCommand::Show { id, .. } => {
            match either_kind(|kind| client.job_info(kind, &id)).await {
                Ok(info) => {
                    print_job(&info, json_output);
                    EXIT_OK
                }
                Err(e) => fail(&e),
            }
        }
        JobsCommand::Abort { id, .. } => {
            match either_kind(|kind| client.abort_job(kind, &id)).await {
                Ok(info) => {
                    if json_output {
                        print_job(&info, true);
                    } else {
                        println!("job {id}: {}", info.state);
                    }
                    EXIT_OK
                }
                Err(e) => fail(&e),
            }
        }
        JobsCommand::Delete { id, .. } => {
            match either_kind(|kind| client.delete_job(kind, &id)).await {
                Ok(()) => {
                    if json_output {
                        println!("{}", json!({ "id": id, "deleted": true }));
                    } else {
                        println!("job {id}: deleted");
                    }
                    EXIT_OK
                }
                Err(e) => fail(&e),
            }
        }
    }
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
