//! `bulkforce schema check DIR...`: reads Salesforce DX projects as `serve --project` would and prints
//! every piece of metadata read, every file not supported (a warning with its path) and every error as
//! `path:line:column: message`. Exit 0 without errors, 1 with any.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct SchemaArgs {
    #[command(subcommand)]
    command: SchemaCommand,
}

#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// Read Salesforce DX projects (each an sfdx-project.json's package directories, or the directory
    /// itself) and list what was read, what is not supported, and every error with its file, line and
    /// column. Exits 0 when there are no errors, 1 otherwise.
    Check {
        /// Project directories (read together, as repeated `serve --project` flags are).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Describe files the server also loads (`serve --schema`), read before the projects.
        #[arg(long = "schema", env = "BULKFORCE_SCHEMA_DIR")]
        schema_dir: Option<PathBuf>,
    },
}

/// Runs the command, printing its report on stdout.
pub fn run(args: SchemaArgs) -> ExitCode {
    let SchemaCommand::Check { dirs, schema_dir } = args.command;
    let loaded = bulkforce_server::load_schema(schema_dir.as_deref())
        .and_then(|schema| bulkforce_server::project::read(schema, &dirs));
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("Error: {e:?}");
            return ExitCode::FAILURE;
        }
    };
    let report = &loaded.report;
    for read in &report.read {
        println!("read: {read}");
    }
    for record_type in &loaded.record_types {
        println!(
            "read: record type {}.{} ({}, {})",
            record_type.object,
            record_type.developer_name,
            record_type.label,
            if record_type.active {
                "active"
            } else {
                "inactive"
            }
        );
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    for error in &report.errors {
        println!("{error}");
    }
    println!(
        "{} read, {} warning(s), {} error(s)",
        report.read.len(),
        report.warnings.len(),
        report.errors.len()
    );
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
