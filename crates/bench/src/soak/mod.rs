//! The soak: proofs that `bulkforce serve` keeps its promises under abuse, run against the release binary as a
//! child process over loopback HTTP only (issue 14). Unlike the bench it measures no speed target; each phase
//! ends ok or failed, with figures:
//!
//! - **kill** ([`kill`]): jobs killed with SIGKILL at a random point, the server restarted on the same data,
//!   every row then applied and reported exactly once;
//! - **load** ([`load`]): many concurrent clients running small jobs, polling job info;
//! - **logins** ([`logins`]): a flood of wrong-password logins while a real client works;
//! - **slowloris** ([`slowloris`]): slow and idle connections while a real client works.
//!
//! Every loop is bounded in count and time, and the soak holds no upload or result in memory (CSVs are
//! streamed from and to files, results read record by record).

pub mod client;
pub mod inputs;
pub mod kill;
pub mod load;
pub mod logins;
pub mod records;
pub mod slowloris;
pub mod stats;
mod table;

use crate::process::{ServerSpec, tail};
use crate::{Machine, data};
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use table::render_tables;

/// The soak's phases, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Kill,
    Load,
    Logins,
    Slowloris,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Kill, Phase::Load, Phase::Logins, Phase::Slowloris];

    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == text.trim())
    }

    pub fn name(self) -> &'static str {
        match self {
            Phase::Kill => "kill",
            Phase::Load => "load",
            Phase::Logins => "logins",
            Phase::Slowloris => "slowloris",
        }
    }
}

/// What to run, and how hard.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    /// The `bulkforce` binary.
    pub server: PathBuf,
    /// Server data, CSVs and logs: one directory per phase (and per kill round), removed when done unless
    /// `keep`.
    pub work_dir: PathBuf,
    pub phases: Vec<Phase>,
    pub seed: u64,
    /// Kill rounds, and the rows of each round's job.
    pub rounds: u32,
    pub rows: u64,
    /// `--chunk-rows` of the kill rounds' server: smaller chunks, more commits to be killed between.
    pub kill_chunk_rows: u64,
    /// Load: concurrent clients, jobs in all, rows per insert job.
    pub clients: usize,
    pub jobs: usize,
    pub job_rows: u64,
    /// Logins: concurrent wrong logins, for how long.
    pub login_flooders: usize,
    pub login_seconds: f64,
    /// Slowloris: slow connections, for how long, and the server's `--header-timeout-seconds` (when it has it).
    pub slow_connections: usize,
    pub slow_seconds: f64,
    pub header_timeout_seconds: u64,
    /// Longest one job may take.
    pub job_timeout: Duration,
    pub keep: bool,
    pub progress: bool,
}

impl Config {
    pub fn new(server: impl Into<PathBuf>, work_dir: impl Into<PathBuf>) -> Config {
        Config {
            server: server.into(),
            work_dir: work_dir.into(),
            phases: Phase::ALL.to_vec(),
            seed: data::DEFAULT_SEED,
            rounds: 20,
            rows: 50_000,
            kill_chunk_rows: 2_000,
            clients: 50,
            jobs: 200,
            job_rows: 20,
            login_flooders: 64,
            login_seconds: 10.0,
            slow_connections: 1_000,
            slow_seconds: 20.0,
            header_timeout_seconds: 5,
            job_timeout: Duration::from_secs(600),
            keep: false,
            progress: false,
        }
    }
}

/// Everything one soak found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub commit: Option<String>,
    pub config: Config,
    pub kill: Option<kill::KillReport>,
    pub load: Option<load::LoadReport>,
    pub logins: Option<logins::LoginsReport>,
    pub slowloris: Option<slowloris::SlowlorisReport>,
    /// Phases that could not run to their end (a server that did not start), with why.
    pub errors: Vec<String>,
    pub seconds: f64,
}

impl Report {
    /// Every phase that ran ended ok, and none broke off.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
            && self.kill.as_ref().is_none_or(|r| r.ok)
            && self.load.as_ref().is_none_or(|r| r.ok)
            && self.logins.as_ref().is_none_or(|r| r.ok)
            && self.slowloris.as_ref().is_none_or(|r| r.ok)
    }
}

/// Runs the phases of `config` in order. A phase that breaks off is noted in `errors` and the next one runs.
pub fn run(config: &Config) -> anyhow::Result<Report> {
    let started = Instant::now();
    std::fs::create_dir_all(&config.work_dir)
        .with_context(|| format!("creating {}", config.work_dir.display()))?;
    let flags = ServerFlags::detect(&config.server)?;
    let mut report = Report {
        machine: Machine::detect(),
        commit: crate::git_commit(),
        config: config.clone(),
        kill: None,
        load: None,
        logins: None,
        slowloris: None,
        errors: Vec::new(),
        seconds: 0.0,
    };
    for phase in Phase::ALL.into_iter().filter(|p| config.phases.contains(p)) {
        progress(config, format!("phase {}", phase.name()));
        let dir = config.work_dir.join(phase.name());
        fresh_dir(&dir)?;
        let outcome = match phase {
            Phase::Kill => kill::run(config, &flags, &dir).map(|r| report.kill = Some(r)),
            Phase::Load => load::run(config, &flags, &dir).map(|r| report.load = Some(r)),
            Phase::Logins => logins::run(config, &flags, &dir).map(|r| report.logins = Some(r)),
            Phase::Slowloris => {
                slowloris::run(config, &flags, &dir).map(|r| report.slowloris = Some(r))
            }
        };
        if let Err(e) = outcome {
            let log = dir.join("server.log");
            report.errors.push(format!(
                "{}: {e:#} (server log: {})",
                phase.name(),
                tail(&log)
            ));
        }
        if !config.keep {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The `serve` options this build has, from its `--help`: the soak passes an option only where it exists.
#[derive(Clone, Debug)]
pub struct ServerFlags {
    help: String,
}

impl ServerFlags {
    fn detect(binary: &Path) -> anyhow::Result<ServerFlags> {
        let out = std::process::Command::new(binary)
            .args(["serve", "--help"])
            .output()
            .with_context(|| format!("running {} serve --help", binary.display()))?;
        Ok(ServerFlags {
            help: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }

    pub fn has(&self, flag: &str) -> bool {
        self.help
            .split(|c: char| c.is_whitespace() || c == ',' || c == '=')
            .any(|word| word == flag)
    }

    /// `--ignore-api-limits` where it exists: a soak makes more calls than a day's allocation is meant for.
    fn common(&self) -> Vec<String> {
        ["--ignore-api-limits"]
            .into_iter()
            .filter(|f| self.has(f))
            .map(str::to_owned)
            .collect()
    }
}

/// How to start a server in `dir` (data, schema and log inside it), with `extra` arguments.
pub(crate) fn server_spec(
    config: &Config,
    flags: &ServerFlags,
    dir: &Path,
    extra: Vec<String>,
) -> anyhow::Result<ServerSpec> {
    let schema_dir = dir.join("schema");
    std::fs::create_dir_all(&schema_dir)?;
    std::fs::write(schema_dir.join("Account.json"), data::SCHEMA_FILE)?;
    let mut extra_args = flags.common();
    extra_args.extend(extra);
    Ok(ServerSpec {
        binary: config.server.clone(),
        data_dir: dir.join("data"),
        schema_dir,
        log: dir.join("server.log"),
        max_upload_bytes: None,
        extra_args,
        env: Vec::new(),
    })
}

fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The peak resident memory (`VmHWM`) of a process, in bytes.
pub(crate) fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Keeps the first few problems of a phase (enough to tell what went wrong, never a growing list).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Problems {
    pub count: u64,
    pub first: Vec<String>,
}

impl Problems {
    const KEPT: usize = 5;

    pub fn add(&mut self, problem: impl Into<String>) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(problem.into());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

fn progress(config: &Config, text: impl AsRef<str>) {
    if config.progress {
        eprintln!("soak: {}", text.as_ref());
    }
}
