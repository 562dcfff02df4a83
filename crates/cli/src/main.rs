//! `bulkforce`: the Salesforce Bulk API 2.0 server and client, in one binary.

mod admin;
mod commands;
mod schema_check;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bulkforce",
    version,
    about = "Salesforce Bulk API 2.0: a compatible server and a client CLI",
    after_help = commands::EXIT_CODES_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Bulk API 2.0 over HTTP(S), storing records in an embedded database.
    Serve(serve::ServeArgs),
    /// Manage orgs, users, connected apps and tokens in a data directory; or control a running server
    /// (--url): health, requests, clock, reset, snapshots, jobs and holds, fault rules.
    Admin(admin::AdminArgs),
    /// Load a CSV file of any size into an sObject: split into ingest jobs run in parallel, journaled for
    /// --resume; writes <stem>-success.csv and <stem>-failed.csv.
    #[command(after_help = commands::EXIT_CODES_HELP)]
    Load(commands::LoadArgs),
    /// Export the rows of a SOQL query into a CSV file with one query job.
    #[command(after_help = commands::EXIT_CODES_HELP)]
    Export(commands::ExportArgs),
    /// List, show, abort or delete jobs, or download their results.
    #[command(after_help = commands::EXIT_CODES_HELP)]
    Jobs(commands::JobsArgs),
    /// Log in to an org and save the session under an alias for --org (password, client credentials, JWT,
    /// or an access token); list, refresh and forget saved logins.
    #[command(after_help = commands::EXIT_CODES_HELP)]
    Login(commands::LoginArgs),
    /// Check Salesforce DX projects as `serve --project` reads them: what is read, what is not supported,
    /// every error with its file, line and column.
    Schema(schema_check::SchemaArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version exit 0; usage errors exit 64 (EX_USAGE) rather than clap's 2, which means
            // "some rows failed" for the client commands.
            return ExitCode::from(if e.exit_code() == 0 {
                0
            } else {
                commands::EXIT_USAGE
            });
        }
    };
    let json_logs =
        matches!(&cli.command, Command::Serve(args) if args.log_format() == serve::LogFormat::Json);
    init_logs(json_logs);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve(args) => serve_or_admin_exit(runtime.block_on(serve::run(args))),
        Command::Admin(args) => match args.into_admin() {
            admin::Admin::DataDir(args) => serve_or_admin_exit(admin::run(args)),
            admin::Admin::Server(control) => command_exit(runtime.block_on(control.run())),
        },
        Command::Load(args) => command_exit(runtime.block_on(commands::load(args))),
        Command::Export(args) => command_exit(runtime.block_on(commands::export(args))),
        Command::Jobs(args) => command_exit(runtime.block_on(commands::jobs(args))),
        Command::Login(args) => command_exit(runtime.block_on(commands::login(args))),
        Command::Schema(args) => schema_check::run(args),
    }
}

/// Logs on stderr, filtered by `BULKFORCE_LOG`: text lines, or (`serve --log-format json`) one JSON
/// object per event, for log collectors.
fn init_logs(json: bool) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BULKFORCE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bulkforce=info")),
        )
        .with_writer(std::io::stderr);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// The exit of a client command: its error printed on stderr, its exit code (see `commands::EXIT_CODES_HELP`).
fn command_exit(result: commands::CommandResult) -> ExitCode {
    match result {
        Ok(finished) => ExitCode::from(finished.exit_code()),
        Err(e) => {
            e.report();
            ExitCode::from(e.exit_code())
        }
    }
}

/// The exit of `serve` and `admin`: 0, or 1 with the error and its causes.
fn serve_or_admin_exit(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
