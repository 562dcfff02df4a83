//! What the server says about itself: `admin health`, `admin ready`, `admin requests`, `admin metrics`,
//! `admin orgs`.

use super::output::{Table, cell, print_json};
use crate::commands::{CliError, CommandResult, Finished};
use bulkforce_client::Error;
use bulkforce_client::control::{ControlClient, Readiness};
use std::time::{Duration, Instant};

/// How often `admin ready --wait` asks again.
const READY_POLL: Duration = Duration::from_millis(200);

/// `admin health`: the process answers, and its version.
pub async fn health(client: &ControlClient, json: bool) -> CommandResult {
    let health = client.health().await?;
    if json {
        print_json(&health);
    } else {
        println!("{} (bulkforce {})", health.status, health.version);
    }
    Ok(Finished::Ok)
}

/// `admin ready [--wait SECONDS]`: 0 when ready; 69 when not (or not reachable) at the end of the wait.
pub async fn ready(client: &ControlClient, wait: Option<u64>, json: bool) -> CommandResult {
    let deadline = Instant::now() + Duration::from_secs(wait.unwrap_or(0));
    let readiness = loop {
        let outcome = client.ready().await;
        let settled = match &outcome {
            Ok(readiness) => readiness.is_ready(),
            Err(e) => !e.is_network(),
        };
        if settled || Instant::now() >= deadline {
            break outcome?;
        }
        tokio::time::sleep(READY_POLL).await;
    };
    if json {
        print_json(&readiness);
    } else {
        println!("{}", describe(&readiness));
    }
    if readiness.is_ready() {
        return Ok(Finished::Ok);
    }
    Err(CliError::Client(Error::Api {
        status: 503,
        code: readiness.status.clone(),
        message: format!("down: {}", readiness.failing().join(", ")),
    }))
}

/// `READY (store UP, blobs UP, workers UP)`.
fn describe(readiness: &Readiness) -> String {
    let checks: Vec<String> = readiness
        .checks
        .iter()
        .map(|(name, word)| format!("{name} {word}"))
        .collect();
    format!("{} ({})", readiness.status, checks.join(", "))
}

/// `admin requests [--limit N]`: the latest requests, newest first.
pub async fn requests(client: &ControlClient, limit: Option<usize>, json: bool) -> CommandResult {
    let log = client.requests(limit).await?;
    if json {
        print_json(&log);
        return Ok(Finished::Ok);
    }
    let mut table = Table::new(&[
        "time", "method", "status", "ms", "org", "job", "in", "out", "path",
    ]);
    for entry in &log.requests {
        table.row(vec![
            entry.time.clone(),
            entry.method.clone(),
            entry.status.to_string(),
            format!("{:.1}", entry.milliseconds),
            cell(entry.org.as_ref()),
            cell(entry.job_id.as_ref()),
            cell(entry.bytes_in),
            cell(entry.bytes_out),
            entry.path.clone(),
        ]);
    }
    table.print();
    println!(
        "({} shown, newest first; the server keeps the latest {})",
        log.requests.len(),
        log.capacity
    );
    Ok(Finished::Ok)
}

/// `admin metrics`: the Prometheus text as the server serves it (`--json` does not apply).
pub async fn metrics(client: &ControlClient) -> CommandResult {
    print!("{}", client.metrics().await?);
    Ok(Finished::Ok)
}

/// `admin orgs`: the server's orgs.
pub async fn orgs(client: &ControlClient, json: bool) -> CommandResult {
    let orgs = client.orgs().await?;
    if json {
        print_json(&orgs);
        return Ok(Finished::Ok);
    }
    let mut table = Table::new(&["id", "users", "name"]);
    for org in &orgs {
        let default = if org.is_default { " (default)" } else { "" };
        table.row(vec![
            org.id.clone(),
            org.users.to_string(),
            format!("{}{default}", org.name),
        ]);
    }
    table.print();
    Ok(Finished::Ok)
}
