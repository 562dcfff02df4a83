//! `bulkforce jobs`: list, show, abort and delete jobs.

use super::{ConnectArgs, EXIT_OK, fail, usage};
use bulkforce_client::{Error, JobInfo, JobKind};
use clap::{Args, Subcommand};
use serde_json::json;

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
