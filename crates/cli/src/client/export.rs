//! `bulkforce export`: the rows of a SOQL query into a CSV file through a query job.

use super::{ConnectArgs, EXIT_JOB_FAILED, EXIT_OK, fail, poll, usage};
use bulkforce_client::{Error, JobKind, JobState, QueryJobRequest};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

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
