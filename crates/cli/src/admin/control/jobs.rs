//! `admin jobs list|show|hold|release`: every org's jobs as the server sees them, and holding a job where
//! it is so a test can look at a state a client must handle.

use super::output::{Table, print_json};
use crate::commands::{CommandResult, Finished};
use bulkforce_client::control::{ControlClient, JobDetail, JobFilter, JobSummary};
use clap::{Args, Subcommand};

/// What to do with jobs.
#[derive(Subcommand, Debug, Clone)]
pub enum JobsCommand {
    /// List jobs of every org, newest first.
    List(ListArgs),
    /// Show a job: counters, every state it entered and when, links to its results.
    Show {
        /// The job id (15 or 18 characters).
        id: String,
    },
    /// Hold a job: UploadComplete stays there, InProgress stops after its current chunk.
    Hold {
        /// The job id.
        id: String,
    },
    /// Release a held job.
    Release {
        /// The job id.
        id: String,
    },
}

/// `admin jobs list` filters.
#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    /// Only jobs in this state (Open, UploadComplete, InProgress, JobComplete, Failed, Aborted).
    #[arg(long)]
    state: Option<String>,
    /// Only ingest or query jobs.
    #[arg(long = "type", value_parser = ["ingest", "query"])]
    job_type: Option<String>,
    /// Only jobs on this sObject.
    #[arg(long)]
    object: Option<String>,
    /// Only this org's jobs (its id).
    #[arg(long)]
    org: Option<String>,
    /// At most this many (server default 200, at most 1000).
    #[arg(long)]
    limit: Option<u32>,
}

/// Runs a jobs command.
pub async fn run(client: &ControlClient, command: JobsCommand, json: bool) -> CommandResult {
    match command {
        JobsCommand::List(args) => {
            let filter = JobFilter {
                org: args.org,
                job_type: args.job_type,
                state: args.state,
                object: args.object,
                limit: args.limit,
            };
            let jobs = client.jobs(&filter).await?;
            if json {
                print_json(&jobs);
            } else {
                print_list(&jobs);
            }
        }
        JobsCommand::Show { id } => {
            let detail = client.job(&id).await?;
            if json {
                print_json(&detail);
            } else {
                print_detail(&detail);
            }
        }
        JobsCommand::Hold { id } => changed(&client.hold_job(&id).await?, json),
        JobsCommand::Release { id } => changed(&client.release_job(&id).await?, json),
    }
    Ok(Finished::Ok)
}

/// The state with `(held)` after it when held.
fn state_of(job: &JobSummary) -> String {
    if job.held {
        format!("{} (held)", job.state)
    } else {
        job.state.to_string()
    }
}

fn print_list(jobs: &[JobSummary]) {
    let mut table = Table::new(&[
        "id",
        "org",
        "type",
        "operation",
        "object",
        "state",
        "processed",
        "failed",
        "created",
    ]);
    for job in jobs {
        table.row(vec![
            job.id.clone(),
            job.org_id.clone(),
            job.job_type.clone(),
            job.operation.clone(),
            job.object.clone(),
            state_of(job),
            job.number_records_processed.to_string(),
            job.number_records_failed.to_string(),
            job.created_date.clone(),
        ]);
    }
    table.print();
}

fn print_detail(detail: &JobDetail) {
    let job = &detail.summary;
    println!(
        "job {} ({} {} {}) in org {}: {}",
        job.id,
        job.job_type,
        job.operation,
        job.object,
        job.org_id,
        state_of(job)
    );
    println!(
        "  {} processed, {} failed",
        job.number_records_processed, job.number_records_failed
    );
    if let Some(message) = &job.error_message {
        println!("  error: {message}");
    }
    if let Some(ms) = detail.total_processing_time {
        println!("  processing time: {ms} ms");
    }
    println!(
        "  created {}, last changed {}",
        job.created_date, job.system_modstamp
    );
    for change in &detail.timeline {
        println!("  {:<24}  {}", change.at, change.state);
    }
    for (name, link) in &detail.links {
        let link = link
            .as_str()
            .map_or_else(|| link.to_string(), str::to_owned);
        println!("  {name}: {link}");
    }
}

/// After hold or release: `job ID: UploadComplete (held)`.
fn changed(job: &JobSummary, json: bool) {
    if json {
        print_json(job);
    } else {
        println!("job {}: {}", job.id, state_of(job));
    }
}
