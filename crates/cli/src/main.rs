//! `bulkforce`: the Salesforce Bulk API 2.0 server and client, in one binary.

mod admin;
mod client;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bulkforce",
    version,
    about = "Salesforce Bulk API 2.0: a compatible server and a client CLI",
    after_help = client::EXIT_CODES_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Bulk API 2.0 over HTTP(S), storing records in an embedded database.
    Serve(serve::ServeArgs),
    /// Manage orgs, users, connected apps and tokens in a data directory.
    Admin(admin::AdminArgs),
    /// Load a CSV file of any size into an sObject: split into ingest jobs run in parallel, journaled for
    /// --resume; writes <stem>-success.csv and <stem>-failed.csv.
    #[command(after_help = client::EXIT_CODES_HELP)]
    Load(client::LoadArgs),
    /// Export the rows of a SOQL query into a CSV file with one query job.
    #[command(after_help = client::EXIT_CODES_HELP)]
    Export(client::ExportArgs),
    /// List, show, abort or delete jobs, or download their results.
    #[command(after_help = client::EXIT_CODES_HELP)]
    Jobs(client::JobsArgs),
    /// Log in to an org and save the session under an alias for --org (password, client credentials, JWT,
    /// or an access token); list, refresh and forget saved logins.
    #[command(after_help = client::EXIT_CODES_HELP)]
    Login(client::LoginArgs),
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
                client::EXIT_USAGE
            });
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BULKFORCE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bulkforce=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Admin(args) => admin::run(args),
        Command::Load(args) => return ExitCode::from(runtime.block_on(client::load(args))),
        Command::Export(args) => return ExitCode::from(runtime.block_on(client::export(args))),
        Command::Jobs(args) => return ExitCode::from(runtime.block_on(client::jobs(args))),
        Command::Login(args) => return ExitCode::from(runtime.block_on(client::login(args))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
