//! The client commands, `bulkforce load`, `export`, `jobs` and `login`: thin over `bulkforce-client`.
//!
//! One module per command; this one holds what they share: the exit codes, how errors map onto them, and
//! the connection arguments.

mod connect;
mod download_progress;
pub mod export;
pub mod jobs;
pub mod load;
pub mod login;
mod orgs;
mod progress;

pub use connect::ConnectArgs;
pub use export::{ExportArgs, export};
pub use jobs::{JobsArgs, jobs};
pub use load::{LoadArgs, load};
pub use login::{LoginArgs, login};

use bulkforce_client::{Error, JobInfo, PollOptions};
use std::time::Duration;

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
Exit codes (load, export, jobs, login):
  0   done; every row succeeded
  1   other error: request refused by the server (unknown object or job, bad SOQL), a local file error,
      or the job still running at --timeout (it is left running; see `bulkforce jobs show ID`)
  2   the job completed but some rows failed (see the -failed.csv file)
  3   a job failed or was aborted
  64  usage error
  69  authentication refused or server unreachable
  130 load interrupted by Ctrl-C (143: SIGTERM); closed jobs keep running, --resume continues";

pub(crate) fn fail(e: &Error) -> u8 {
    eprintln!("bulkforce: {e}");
    if e.is_auth() || e.is_network() {
        EXIT_UNAVAILABLE
    } else {
        EXIT_OTHER
    }
}

pub(crate) fn usage(message: &str) -> u8 {
    eprintln!("bulkforce: {message}");
    EXIT_USAGE
}

pub(crate) fn poll(timeout: u64) -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(timeout),
        ..PollOptions::default()
    }
}

pub(crate) fn counts(info: &JobInfo) -> (u64, u64) {
    let processed = info.number_records_processed.unwrap_or(0);
    let failed = info.number_records_failed.unwrap_or(0);
    (processed, failed)
}
