//! How a client command ends: [`Finished`] when it ran to its end (0, or 2/3 when rows or a job failed: already
//! reported on stdout), [`CliError`] when it stopped (printed on stderr by `main`, one `bulkforce: …` line
//! each). Scripts branch on the exit codes, so each outcome has exactly one code, listed in
//! [`EXIT_CODES_HELP`](super::EXIT_CODES_HELP) and the README.

use bulkforce_client::Error;
use std::fmt;

/// Every row succeeded.
pub const EXIT_OK: u8 = 0;
/// Any other error: the server refused a request (unknown object, malformed SOQL, unknown job id), a local
/// file could not be read or written, or a job did not finish within --timeout.
pub const EXIT_OTHER: u8 = 1;
/// Some rows failed.
pub const EXIT_ROWS_FAILED: u8 = 2;
/// A job failed or was aborted.
pub const EXIT_JOB_FAILED: u8 = 3;
/// Bad usage (unknown flag, missing argument): EX_USAGE, as clap's own 2 means "some rows failed" here.
pub const EXIT_USAGE: u8 = 64;
/// Authentication refused, or the server unreachable: EX_UNAVAILABLE.
pub const EXIT_UNAVAILABLE: u8 = 69;

/// What a client command returns.
pub type CommandResult = Result<Finished, CliError>;

/// A command that ran to its end and reported on stdout. Not an error (nothing more is printed), but failed
/// rows and failed jobs get their own exit codes, for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Done; every row succeeded.
    Ok,
    /// The job completed but some rows failed.
    RowsFailed,
    /// A job failed or was aborted.
    JobFailed,
}

impl Finished {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Finished::Ok => EXIT_OK,
            Finished::RowsFailed => EXIT_ROWS_FAILED,
            Finished::JobFailed => EXIT_JOB_FAILED,
        }
    }
}

/// The signal that stopped a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// 128 + the signal number, as shells report a process the signal ended.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// Why a client command stopped. [`CliError::report`] prints it; [`CliError::exit_code`] is the process exit
/// code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage that only shows after parsing: a missing credential, an unknown alias, an unreadable key
    /// (64).
    #[error("{0}")]
    Usage(String),
    /// The library's error: a refused login or an unreachable server (69), any other refusal or failure (1).
    #[error(transparent)]
    Client(#[from] Error),
    /// A local failure, with the message to show (1).
    #[error("{0}")]
    Other(String),
    /// A load stopped by a signal (130, 143).
    #[error("interrupted")]
    Interrupted(Signal),
    /// A load stopped at its --timeout, in seconds; closed jobs keep running (1).
    #[error("--timeout of {0}s reached")]
    TimedOut(u64),
    /// `error`, reported after a line that says what was being done (`results of job …`).
    #[error("{context}: {error}")]
    Context {
        /// What was being done, shown on its own line first.
        context: String,
        /// What went wrong; gives the exit code.
        error: Box<CliError>,
    },
    /// A load that stopped before its end, reported with what to do next.
    #[error("{reason}")]
    LoadStopped {
        /// Why it stopped; gives the exit code.
        reason: Box<CliError>,
        /// How to continue, when some job was started (none: nothing to resume).
        resume: Option<ResumeHint>,
    },
}

/// How to continue a stopped load: the jobs still running, the journal, and the command.
#[derive(Debug)]
pub struct ResumeHint {
    /// Jobs the server is still working on.
    pub running: Vec<String>,
    /// The load's journal.
    pub journal: std::path::PathBuf,
    /// The command that continues the load.
    pub command: String,
}

impl CliError {
    /// A [`CliError::Usage`] with `message`.
    pub fn usage(message: impl fmt::Display) -> CliError {
        CliError::Usage(message.to_string())
    }

    /// A [`CliError::Other`] with `message`.
    pub fn other(message: impl fmt::Display) -> CliError {
        CliError::Other(message.to_string())
    }

    /// This error, reported after the line `context`.
    pub fn context(self, context: impl fmt::Display) -> CliError {
        CliError::Context {
            context: context.to_string(),
            error: Box::new(self),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Client(e) => CliError::client_exit_code(e),
            CliError::Other(_) | CliError::TimedOut(_) => EXIT_OTHER,
            CliError::Interrupted(signal) => signal.exit_code(),
            CliError::Context { error, .. } => error.exit_code(),
            CliError::LoadStopped { reason, .. } => reason.exit_code(),
        }
    }

    /// The exit code of a library error: 69 when the login was refused or the server unreachable, else 1.
    pub fn client_exit_code(e: &Error) -> u8 {
        if e.is_auth() || e.is_network() {
            EXIT_UNAVAILABLE
        } else {
            EXIT_OTHER
        }
    }

    /// Prints the error on stderr: `bulkforce: <message>`, a context line before its error, a stopped load's
    /// way to continue after it.
    pub fn report(&self) {
        match self {
            CliError::Context { context, error } => {
                eprintln!("bulkforce: {context}");
                error.report();
            }
            CliError::LoadStopped { reason, resume } => {
                reason.report();
                if let Some(resume) = resume {
                    resume.report();
                }
            }
            _ => eprintln!("bulkforce: {self}"),
        }
    }
}

impl ResumeHint {
    fn report(&self) {
        if !self.running.is_empty() {
            eprintln!(
                "bulkforce: jobs still running on the server: {}",
                self.running.join(", ")
            );
        }
        eprintln!(
            "bulkforce: the journal is {}; to continue:",
            self.journal.display()
        );
        eprintln!("  {}", self.command);
    }
}

/// Prints a warning that does not stop the command, in the errors' format.
pub fn warn(message: impl fmt::Display) {
    eprintln!("bulkforce: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_documented_table() {
        assert_eq!(Finished::Ok.exit_code(), 0);
        assert_eq!(Finished::RowsFailed.exit_code(), 2);
        assert_eq!(Finished::JobFailed.exit_code(), 3);
        assert_eq!(CliError::usage("x").exit_code(), 64);
        assert_eq!(CliError::other("x").exit_code(), 1);
        assert_eq!(CliError::TimedOut(5).exit_code(), 1);
        assert_eq!(CliError::Interrupted(Signal::Interrupt).exit_code(), 130);
        assert_eq!(CliError::Interrupted(Signal::Terminate).exit_code(), 143);
        let refused = CliError::from(Error::Auth {
            code: "invalid_grant".into(),
            message: "authentication failure".into(),
        });
        assert_eq!(refused.exit_code(), 69);
        let not_found = CliError::from(Error::Api {
            status: 404,
            code: "NOT_FOUND".into(),
            message: "no job".into(),
        });
        assert_eq!(not_found.exit_code(), 1);
        // Context and a stopped load keep the code of what went wrong.
        assert_eq!(refused.context("results of job 750").exit_code(), 69);
        let stopped = CliError::LoadStopped {
            reason: Box::new(CliError::Interrupted(Signal::Terminate)),
            resume: None,
        };
        assert_eq!(stopped.exit_code(), 143);
    }
}
