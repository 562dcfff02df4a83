//! `admin reset [--org ID]` and `admin snapshot create|list|restore|delete`: the server's data emptied,
//! saved and put back, so that test runs start from a known state without a restart.

use super::output::{Table, print_json};
use crate::commands::{CommandResult, Finished};
use bulkforce_client::control::ControlClient;
use clap::Subcommand;
use serde_json::json;

/// What to do with snapshots.
#[derive(Subcommand, Debug, Clone)]
pub enum SnapshotCommand {
    /// Take a consistent copy of every org's records and jobs (while jobs may run).
    Create {
        /// Its name: letters, digits, '.', '_', '-' (up to 64, not starting with '.').
        name: String,
    },
    /// List snapshots, oldest first.
    List,
    /// Put every org back as the snapshot holds it.
    Restore {
        /// The snapshot's name.
        name: String,
    },
    /// Delete a snapshot.
    Delete {
        /// The snapshot's name.
        name: String,
    },
}

/// `admin reset`: every org's (or one org's) records, jobs, results and API counters deleted; orgs, users,
/// apps and tokens kept.
pub async fn reset(client: &ControlClient, org: Option<&str>, json: bool) -> CommandResult {
    match org {
        Some(org) => client.reset_org(org).await?,
        None => client.reset().await?,
    }
    if json {
        print_json(&json!({ "reset": org.unwrap_or("all") }));
    } else {
        match org {
            Some(org) => println!("org {org} reset: its records, jobs and results deleted"),
            None => println!("reset: every org's records, jobs and results deleted"),
        }
    }
    Ok(Finished::Ok)
}

/// Runs a snapshot command.
pub async fn run(client: &ControlClient, command: SnapshotCommand, json: bool) -> CommandResult {
    match command {
        SnapshotCommand::Create { name } => {
            let snapshot = client.create_snapshot(&name).await?;
            if json {
                print_json(&snapshot);
            } else {
                let orgs = match snapshot.orgs {
                    1 => "1 org".to_owned(),
                    n => format!("{n} orgs"),
                };
                println!(
                    "snapshot {} created at {} ({orgs})",
                    snapshot.name, snapshot.created_date
                );
            }
        }
        SnapshotCommand::List => {
            let snapshots = client.snapshots().await?;
            if json {
                print_json(&snapshots);
            } else {
                let mut table = Table::new(&["name", "created", "orgs"]);
                for snapshot in snapshots {
                    table.row(vec![
                        snapshot.name,
                        snapshot.created_date,
                        snapshot.orgs.to_string(),
                    ]);
                }
                table.print();
            }
        }
        SnapshotCommand::Restore { name } => {
            client.restore_snapshot(&name).await?;
            done(json, &name, "restored");
        }
        SnapshotCommand::Delete { name } => {
            client.delete_snapshot(&name).await?;
            done(json, &name, "deleted");
        }
    }
    Ok(Finished::Ok)
}

/// `snapshot NAME restored`, or `{"name":…,"restored":true}`.
fn done(json: bool, name: &str, what: &str) {
    if json {
        print_json(&json!({ "name": name, what: true }));
    } else {
        println!("snapshot {name} {what}");
    }
}
