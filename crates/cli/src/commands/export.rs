//! `bulkforce export`: the rows of a SOQL query into a CSV file through a query job, several result pages at
//! once.

use super::download_progress::PhaseProgress;
use super::exit::{CliError, CommandResult, Finished};
use super::{ConnectArgs, poll};
use bulkforce_client::{
    Client, DownloadSummary, Error, JobInfo, JobKind, JobState, ParallelDownload, QueryJobRequest,
};
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncWriteExt, BufWriter};

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
    #[command(flatten)]
    pages: PageArgs,
    /// Seconds to wait for the job before giving up (the job keeps running).
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// How a query job's result pages are downloaded (`export`, `jobs results`).
#[derive(Args, Debug)]
pub struct PageArgs {
    /// Result pages downloaded at once, through resultPages (API 58.0+; older versions and servers without
    /// it get one page after another). 1: one page after another, following Sforce-Locator.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) parallel: u16,
    /// Rows per results page (default: the server's).
    #[arg(long)]
    max_records: Option<u64>,
}

/// Writes `path` through `<path>.part`, renamed into place once `write` has succeeded and the data is on
/// disk: a failed or interrupted download never leaves a truncated file under the final name.
pub(crate) async fn write_via_part<T>(
    path: &Path,
    write: impl AsyncFnOnce(&mut BufWriter<tokio::fs::File>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let outcome = async {
        let mut out =
            BufWriter::with_capacity(256 * 1024, tokio::fs::File::create(&partial).await?);
        let value = write(&mut out).await?;
        out.flush().await?;
        let file = out.into_inner();
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&partial, path).await?;
        Ok(value)
    };
    let outcome = outcome.await;
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    outcome
}

/// Downloads every row of the completed query job `job_id` into the file `out`, `pages.parallel` pages at a
/// time, spooling them next to `out` (never on another file system). A failure says which job it was about.
pub(crate) async fn download_query(
    client: &Client,
    job_id: &str,
    out: &Path,
    pages: &PageArgs,
) -> Result<DownloadSummary, CliError> {
    let spool = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut options = ParallelDownload::new(usize::from(pages.parallel)).spool_dir(spool);
    if let Some(n) = pages.max_records {
        options = options.max_records(n);
    }
    let progress = PhaseProgress::start("download", true);
    let summary = write_via_part(out, async |file| {
        client
            .download_query_results_parallel(job_id, &mut progress.counting(file), &options)
            .await
    })
    .await
    .map_err(|e| results_failed(job_id, e))?;
    progress.finish("download", Some(summary.rows));
    Ok(summary)
}

/// A failed download of the results of `job_id`, reported under a line that names the job.
pub(crate) fn results_failed(job_id: &str, error: Error) -> CliError {
    CliError::from(error).context(format!("results of job {job_id}"))
}

/// Reports a query job that did not complete: it failed or was aborted.
pub(crate) fn report_unfinished_query(info: &JobInfo, json_output: bool) -> Finished {
    let finished = Finished::JobFailed;
    if json_output {
        println!(
            "{}",
            json!({ "job": info, "exitCode": finished.exit_code() })
        );
    } else {
        println!("job {}: {}", info.id, info.state);
        if let Some(message) = &info.error_message {
            println!("  error: {message}");
        }
    }
    finished
}

/// Reports a finished download.
pub(crate) fn report_download(
    info: &JobInfo,
    summary: &DownloadSummary,
    out: &Path,
    parallel: u16,
    json_output: bool,
) {
    if json_output {
        println!(
            "{}",
            json!({
                "job": info,
                "records": summary.rows,
                "pages": summary.pages,
                "parallel": summary.parallel,
                "file": out,
                "exitCode": Finished::Ok.exit_code(),
            })
        );
        return;
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let how = if summary.parallel && summary.pages > 1 {
        format!(", up to {parallel} at a time")
    } else {
        String::new()
    };
    println!(
        "job {} ({} {}): {} row{} written to {} ({} page{}{how})",
        info.id,
        info.operation,
        info.object,
        summary.rows,
        plural(summary.rows),
        out.display(),
        summary.pages,
        plural(summary.pages),
    );
}

/// `bulkforce export`: one query job, waited for, its rows downloaded into `--out`.
pub async fn export(args: ExportArgs) -> CommandResult {
    let client = args.connect.client()?;
    let request = QueryJobRequest::new(&args.query).query_all(args.all);
    let job = client.create_query_job(&request).await?;
    let waiting = PhaseProgress::start("query", false);
    waiting.message(format!("job {} running", job.id));
    let info = client
        .wait_for_job(JobKind::Query, &job.id, &poll(args.timeout))
        .await?;
    waiting.finish("query", None);
    if info.state != JobState::JobComplete {
        return Ok(report_unfinished_query(&info, args.connect.json));
    }
    let summary = download_query(&client, &job.id, &args.out, &args.pages).await?;
    report_download(
        &info,
        &summary,
        &args.out,
        args.pages.parallel,
        args.connect.json,
    );
    Ok(Finished::Ok)
}
