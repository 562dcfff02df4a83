//! The client commands, `bulkforce load`, `export`, `jobs` and `login`: thin over `bulkforce-client`. (The module is
//! `commands`, not `client`, so it is never mistaken for the library crate.)
//!
//! One module per command; this one holds what they share: the exit codes (exit.rs, with the error type),
//! the connection arguments (connect.rs) and the progress displays.

mod connect;
mod download_progress;
mod exit;
pub mod export;
pub mod jobs;
pub mod load;
pub mod login;
mod orgs;
mod progress;

pub use connect::ConnectArgs;
pub use exit::{CliError, CommandResult, EXIT_USAGE, Finished};
pub use export::{ExportArgs, export};
pub use jobs::{JobsArgs, jobs};
pub use load::{LoadArgs, load};
pub use login::{LoginArgs, login};

use bulkforce_client::{JobInfo, PollOptions};
use std::time::Duration;

/// The exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (load, export, jobs, login):
  0   done; every row succeeded
  1   other error: request refused by the server (unknown object or job, bad SOQL), a local file error,
      or the job still running at --timeout (it is left running; see `bulkforce jobs show ID`)
  2   the job completed but some rows failed (see the -failed.csv file)
  3   a job failed or was aborted
  64  usage error
  69  authentication refused or server unreachable
  130 load interrupted by Ctrl-C (143: SIGTERM); closed jobs keep running, --resume continues";

/// Polling with the command's `--timeout` in seconds, the library's defaults otherwise.
pub(crate) fn poll(timeout: u64) -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(timeout),
        ..PollOptions::default()
    }
}

/// A job's processed and failed row counts (0 when the server has not said).
pub(crate) fn counts(info: &JobInfo) -> (u64, u64) {
    let processed = info.number_records_processed.unwrap_or(0);
    let failed = info.number_records_failed.unwrap_or(0);
    (processed, failed)
}
