//! `bulkforce jobs`: list, show, abort and delete jobs, and download their results.

use super::exit::{CliError, CommandResult, Finished};
use super::export::{
    PageArgs, download_query, report_download, report_unfinished_query, results_failed,
    write_via_part,
};
use super::{ConnectArgs, counts};
use bulkforce_client::{Client, Error, JobInfo, JobKind, JobState, ResultKind};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};

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
    /// Download a job's results: an ingest job's <id>-success.csv, <id>-failed.csv and
    /// <id>-unprocessed.csv, or every row of a query job (several pages at once).
    Results {
        /// The job id (ingest or query).
        id: String,
        /// Query jobs: the CSV file to write (default: <id>.csv in --results-dir).
        #[arg(long, conflicts_with = "results_dir")]
        out: Option<PathBuf>,
        /// The directory to write the files in (default: the current directory).
        #[arg(long)]
        results_dir: Option<PathBuf>,
        #[command(flatten)]
        pages: PageArgs,
        #[command(flatten)]
        connect: ConnectArgs,
    },
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

/// `bulkforce jobs`: one subcommand, run against the connection its flags give.
pub async fn jobs(args: JobsArgs) -> CommandResult {
    let connect = match &args.command {
        JobsCommand::List { connect }
        | JobsCommand::Show { connect, .. }
        | JobsCommand::Abort { connect, .. }
        | JobsCommand::Delete { connect, .. }
        | JobsCommand::Results { connect, .. } => connect,
    };
    let client = connect.client()?;
    let json_output = connect.json;
    match args.command {
        JobsCommand::List { .. } => list(&client, json_output).await,
        JobsCommand::Show { id, .. } => show(&client, &id, json_output).await,
        JobsCommand::Abort { id, .. } => abort(&client, &id, json_output).await,
        JobsCommand::Delete { id, .. } => delete(&client, &id, json_output).await,
        JobsCommand::Results {
            id,
            out,
            results_dir,
            pages,
            ..
        } => results(&client, &id, out, results_dir, &pages, json_output).await,
    }
}

/// `jobs list`: ingest and query jobs together, oldest first.
async fn list(client: &Client, json_output: bool) -> CommandResult {
    let mut all = Vec::new();
    for kind in [JobKind::Ingest, JobKind::Query] {
        all.extend(client.list_jobs(kind).await?);
    }
    all.sort_by(|a, b| a.created_date.cmp(&b.created_date).then(a.id.cmp(&b.id)));
    if json_output {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return Ok(Finished::Ok);
    }
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
    Ok(Finished::Ok)
}

/// `jobs show ID`.
async fn show(client: &Client, id: &str, json_output: bool) -> CommandResult {
    let info = either_kind(|kind| client.job_info(kind, id)).await?;
    print_job(&info, json_output);
    Ok(Finished::Ok)
}

/// `jobs abort ID`.
async fn abort(client: &Client, id: &str, json_output: bool) -> CommandResult {
    let info = either_kind(|kind| client.abort_job(kind, id)).await?;
    if json_output {
        print_job(&info, true);
    } else {
        println!("job {id}: {}", info.state);
    }
    Ok(Finished::Ok)
}

/// `jobs delete ID`.
async fn delete(client: &Client, id: &str, json_output: bool) -> CommandResult {
    either_kind(|kind| client.delete_job(kind, id)).await?;
    if json_output {
        println!("{}", json!({ "id": id, "deleted": true }));
    } else {
        println!("job {id}: deleted");
    }
    Ok(Finished::Ok)
}

/// `jobs results ID`: an ingest job's three files, or a completed query job's rows.
async fn results(
    client: &Client,
    id: &str,
    out: Option<PathBuf>,
    results_dir: Option<PathBuf>,
    pages: &PageArgs,
    json_output: bool,
) -> CommandResult {
    let info = either_kind(|kind| client.job_info(kind, id)).await?;
    let dir = results_dir.unwrap_or_default();
    match info.kind() {
        JobKind::Ingest if out.is_some() => Err(CliError::usage(
            "--out is for query jobs; an ingest job has three result files (see --results-dir)",
        )),
        JobKind::Ingest => ingest_results(client, &info, dir, json_output).await,
        JobKind::Query => query_results(client, &info, out, dir, pages, json_output).await,
    }
}

/// Writes a query job's rows into `out`, or `<id>.csv` in `dir`; a job that did not complete is reported
/// instead.
async fn query_results(
    client: &Client,
    info: &JobInfo,
    out: Option<PathBuf>,
    dir: PathBuf,
    pages: &PageArgs,
    json_output: bool,
) -> CommandResult {
    if info.state != JobState::JobComplete {
        return Ok(report_unfinished_query(info, json_output));
    }
    let out = if let Some(out) = out {
        out
    } else {
        create_dir(&dir).await?;
        dir.join(format!("{}.csv", info.id))
    };
    let summary = download_query(client, &info.id, &out, pages).await?;
    report_download(info, &summary, &out, pages.parallel, json_output);
    Ok(Finished::Ok)
}

/// Creates `dir` and its parents, unless it is the current directory (empty).
async fn create_dir(dir: &Path) -> Result<(), Error> {
    if !dir.as_os_str().is_empty() {
        tokio::fs::create_dir_all(dir).await?;
    }
    Ok(())
}

/// Writes an ingest job's three result files into `dir`; the result says how the job went, as `load`'s
/// does.
async fn ingest_results(
    client: &Client,
    info: &JobInfo,
    dir: PathBuf,
    json_output: bool,
) -> CommandResult {
    let files = [
        (
            ResultKind::Successful,
            dir.join(format!("{}-success.csv", info.id)),
        ),
        (
            ResultKind::Failed,
            dir.join(format!("{}-failed.csv", info.id)),
        ),
        (
            ResultKind::Unprocessed,
            dir.join(format!("{}-unprocessed.csv", info.id)),
        ),
    ];
    let download = async {
        create_dir(&dir).await?;
        for (kind, path) in &files {
            write_via_part(path, async |out| {
                client.download_ingest_results(&info.id, *kind, out).await
            })
            .await?;
        }
        Ok::<_, Error>(())
    };
    download.await.map_err(|e| results_failed(&info.id, e))?;
    let (processed, failed) = counts(info);
    let finished = match info.state {
        JobState::JobComplete if failed == 0 => Finished::Ok,
        JobState::JobComplete => Finished::RowsFailed,
        _ => Finished::JobFailed,
    };
    if json_output {
        println!(
            "{}",
            json!({
                "job": info,
                "successFile": files[0].1,
                "failedFile": files[1].1,
                "unprocessedFile": files[2].1,
                "exitCode": finished.exit_code(),
            })
        );
    } else {
        println!(
            "job {} ({} {}): {}",
            info.id, info.operation, info.object, info.state
        );
        if let Some(message) = &info.error_message {
            println!("  error: {message}");
        }
        println!(
            "  {processed} processed, {} succeeded, {failed} failed",
            processed - failed.min(processed)
        );
        println!("  successes:   {}", files[0].1.display());
        println!("  failures:    {}", files[1].1.display());
        println!("  unprocessed: {}", files[2].1.display());
    }
    Ok(finished)
}
