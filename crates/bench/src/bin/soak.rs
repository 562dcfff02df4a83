//! `bulkforce-soak`: kills, load, login floods and slow connections against `bulkforce serve`, with a verdict
//! per phase (see `bulkforce_bench::soak`). Exits 0 when every phase is ok, 1 otherwise.

use bulkforce_bench::soak::{Config, Phase, render_tables, run};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "bulkforce-soak",
    about = "Proofs under abuse: SIGKILL mid-job and exactly-once, concurrent clients, login floods, slowloris"
)]
struct Args {
    /// The `bulkforce` binary to start (a release build for figures worth keeping).
    #[arg(long)]
    server: PathBuf,
    /// Phases to run, comma-separated: kill, load, logins, slowloris.
    #[arg(long, value_delimiter = ',', value_parser = parse_phase, default_value = "kill,load,logins,slowloris")]
    phases: Vec<Phase>,
    /// Kill rounds.
    #[arg(long, default_value_t = 20)]
    rounds: u32,
    /// Rows of each kill round's job.
    #[arg(long, default_value_t = 50_000)]
    rows: u64,
    /// The kill rounds' server `--chunk-rows` (more, smaller commits to be killed between).
    #[arg(long, default_value_t = 2_000)]
    kill_chunk_rows: u64,
    /// Load: concurrent clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Load: jobs in all.
    #[arg(long, default_value_t = 200)]
    jobs: usize,
    /// Logins: concurrent wrong logins.
    #[arg(long, default_value_t = 64)]
    login_threads: usize,
    /// Logins: seconds of the flood.
    #[arg(long, default_value_t = 10.0)]
    login_seconds: f64,
    /// Slowloris: slow connections.
    #[arg(long, default_value_t = 1_000)]
    slow_connections: usize,
    /// Slowloris: seconds.
    #[arg(long, default_value_t = 20.0)]
    slow_seconds: f64,
    /// Slowloris: the server's --header-timeout-seconds (passed only if the server has that option).
    #[arg(long, default_value_t = 5)]
    header_timeout: u64,
    /// Seed of the rounds' choices and of the generated data.
    #[arg(long, default_value_t = bulkforce_bench::data::DEFAULT_SEED)]
    seed: u64,
    /// Longest one job may take, in seconds.
    #[arg(long, default_value_t = 600)]
    job_timeout: u64,
    /// Working directory (server data, CSVs, logs). Default: bulkforce-soak in the system temp directory.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the working directory's files.
    #[arg(long)]
    keep: bool,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_phase(text: &str) -> Result<Phase, String> {
    Phase::parse(text)
        .ok_or_else(|| format!("no such phase: {text} (kill, load, logins, slowloris)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let work_dir = args
        .work_dir
        .unwrap_or_else(|| std::env::temp_dir().join("bulkforce-soak"));
    let mut config = Config::new(args.server, work_dir);
    config.phases = args.phases;
    config.rounds = args.rounds;
    config.rows = args.rows.max(1);
    config.kill_chunk_rows = args.kill_chunk_rows.max(1);
    config.clients = args.clients.max(1);
    config.jobs = args.jobs;
    config.login_flooders = args.login_threads;
    config.login_seconds = args.login_seconds;
    config.slow_connections = args.slow_connections;
    config.slow_seconds = args.slow_seconds;
    config.header_timeout_seconds = args.header_timeout;
    config.seed = args.seed;
    config.job_timeout = Duration::from_secs(args.job_timeout);
    config.keep = args.keep;
    config.progress = !args.quiet;
    let report = match run(&config) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("bulkforce-soak: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("bulkforce-soak: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render_tables(&report));
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
