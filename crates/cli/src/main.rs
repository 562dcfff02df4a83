//! `bulkforce`: the Salesforce Bulk API 2.0 server and (soon) client, in one binary.

mod admin;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bulkforce",
    version,
    about = "Salesforce Bulk API 2.0: a compatible server and a client CLI"
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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BULKFORCE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bulkforce=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Admin(args) => admin::run(args),
    }
}
