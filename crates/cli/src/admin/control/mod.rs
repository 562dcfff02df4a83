//! `bulkforce admin` against a running server: the control API of `serve` (`/_bulkforce/…`) from the
//! command line, over `bulkforce_client::control`. One module per family; this one names the commands and
//! runs them. They end as the client commands do (`CliError`): 64 for bad usage (no URL or token, a bad
//! time or rule), 69 for an unreachable server, a refused token or a server that is not ready, 1 for any
//! other refusal (unknown job or snapshot, a finished job held, a duplicate name).

mod clock;
mod connect;
mod faults;
mod jobs;
mod output;
mod snapshots;
mod status;

pub use connect::ServerTarget;

use crate::commands::{CliError, CommandResult};
use bulkforce_client::Error;
use clap::Subcommand;

/// The exit codes, for `admin --help`.
pub const EXIT_CODES_HELP: &str = "\
Data-dir commands (--data-dir): exit 0, or 1 with the error.
Server commands (--url URL, --token TOKEN; env BULKFORCE_URL, BULKFORCE_CONTROL_TOKEN):
  0   done
  1   refused by the server: unknown job, org, snapshot or rule; a finished job held; a duplicate name
  64  usage error: no URL or token, a bad time, shift or fault rule
  69  server unreachable, token refused (401), or (ready) the server not ready";

/// The control commands, listed beside the data-dir ones under `bulkforce admin`.
#[derive(Subcommand, Debug, Clone)]
pub enum ControlCommand {
    /// Server (--url): whether it runs, and its version.
    Health,
    /// Server: whether it can work (store, blobs, workers); exit 0 when ready, 69 when not.
    Ready {
        /// Ask again until ready or this many seconds passed (the server may still be starting).
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// Server: the latest requests, newest first (method, path, status, time, org, job, bytes).
    Requests {
        /// How many (the server's default: 100).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Server: the Prometheus metrics, as scraped from /metrics.
    Metrics,
    /// Server: its orgs and how many users each has.
    Orgs,
    /// Server: show its clock, freeze it, shift it, or return it to real time.
    Clock {
        #[command(subcommand)]
        command: Option<clock::ClockCommand>,
    },
    /// Server: delete every org's (or one org's) records, jobs, results and API counters; orgs, users,
    /// apps and tokens stay.
    Reset {
        /// Only this org (its id).
        #[arg(long)]
        org: Option<String>,
    },
    /// Server: create, list, restore or delete snapshots of every org's records and jobs.
    #[command(alias = "snapshots")]
    Snapshot {
        #[command(subcommand)]
        command: snapshots::SnapshotCommand,
    },
    /// Server: list or show every org's jobs; hold and release them.
    Jobs {
        #[command(subcommand)]
        command: jobs::JobsCommand,
    },
    /// Server: add, list, remove or clear fault injection rules.
    Faults {
        #[command(subcommand)]
        command: faults::FaultsCommand,
    },
}

impl ControlCommand {
    /// Health, readiness and metrics are open; every other control needs a token.
    fn needs_token(&self) -> bool {
        !matches!(
            self,
            ControlCommand::Health | ControlCommand::Ready { .. } | ControlCommand::Metrics
        )
    }
}

/// A control command with the server it goes to.
#[derive(Debug)]
pub struct Invocation {
    /// What to do.
    pub command: ControlCommand,
    /// Where, as whom.
    pub target: ServerTarget,
    /// Print JSON instead of text.
    pub json: bool,
}

impl Invocation {
    /// Runs the command; an unreachable server is said with the URL and the cause (see [`explain`]).
    pub async fn run(self) -> CommandResult {
        let client = self.target.client(self.command.needs_token())?;
        let url = client.base_url().to_owned();
        dispatch(&client, self.command, self.json)
            .await
            .map_err(|e| explain(e, &url))
    }
}

async fn dispatch(
    client: &bulkforce_client::control::ControlClient,
    command: ControlCommand,
    json: bool,
) -> CommandResult {
    match command {
        ControlCommand::Health => status::health(client, json).await,
        ControlCommand::Ready { wait } => status::ready(client, wait, json).await,
        ControlCommand::Requests { limit } => status::requests(client, limit, json).await,
        ControlCommand::Metrics => status::metrics(client).await,
        ControlCommand::Orgs => status::orgs(client, json).await,
        ControlCommand::Clock { command } => clock::run(client, command, json).await,
        ControlCommand::Reset { org } => snapshots::reset(client, org.as_deref(), json).await,
        ControlCommand::Snapshot { command } => snapshots::run(client, command, json).await,
        ControlCommand::Jobs { command } => jobs::run(client, command, json).await,
        ControlCommand::Faults { command } => faults::run(client, command, json).await,
    }
}

/// Errors said for the command line: a name or id the client refused to send is bad usage (64); a transport
/// error gets a line naming the server and the deepest cause (e.g. "Connection refused"), which reqwest's
/// own message leaves out.
fn explain(error: CliError, url: &str) -> CliError {
    let http = match &error {
        CliError::Client(Error::InvalidArgument(message)) => return CliError::usage(message),
        CliError::Client(Error::Http(http)) => http,
        _ => return error,
    };
    let mut cause: &dyn std::error::Error = http;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let context = format!("cannot reach the server at {url}: {cause}");
    error.context(context)
}
