//! The load phase: many clients at once, each running small jobs (inserts of a few rows, and every tenth a
//! query) and polling job info until each ends, as integrations do. Figures: job-info latency percentiles,
//! jobs per second, errors (there must be none), and the org holding every inserted row.

use super::client::{JobKind, SoakClient};
use super::stats::{Latencies, LatencySummary};
use super::{Config, Problems, ServerFlags, server_spec};
use crate::process::Server;
use anyhow::bail;
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Between two polls of a job's info.
const POLL_EVERY: Duration = Duration::from_millis(50);

#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub clients: usize,
    pub jobs: usize,
    pub insert_jobs: u64,
    pub query_jobs: u64,
    pub seconds: f64,
    pub jobs_per_second: f64,
    pub job_info: LatencySummary,
    pub errors: Problems,
    /// Accounts in the org at the end, and how many the insert jobs made.
    pub records: u64,
    pub expected_records: u64,
    pub peak_rss_bytes: Option<u64>,
    pub ok: bool,
}

/// What the clients share.
struct Shared<'a> {
    url: &'a str,
    config: &'a Config,
    next_job: AtomicUsize,
    inserts: AtomicU64,
    queries: AtomicU64,
    latencies: Mutex<Latencies>,
    errors: Mutex<Problems>,
}

pub fn run(config: &Config, flags: &ServerFlags, dir: &Path) -> anyhow::Result<LoadReport> {
    let server = Server::start(&server_spec(config, flags, dir, Vec::new())?)?;
    SoakClient::new(&server.url)?.ping()?;
    let shared = Shared {
        url: &server.url,
        config,
        next_job: AtomicUsize::new(0),
        inserts: AtomicU64::new(0),
        queries: AtomicU64::new(0),
        latencies: Mutex::new(Latencies::default()),
        errors: Mutex::new(Problems::default()),
    };
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..config.clients.max(1) {
            scope.spawn(|| client_loop(&shared));
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let records = SoakClient::new(&server.url)?.count("Account")?;
    let peak_rss_bytes = super::peak_rss(server.pid());
    let inserts = shared.inserts.into_inner();
    let query_jobs = shared.queries.into_inner();
    let job_info = lock(&shared.latencies).clone().summary();
    let errors = lock(&shared.errors).clone();
    server.stop()?;
    let expected_records = inserts * config.job_rows;
    Ok(LoadReport {
        clients: config.clients,
        jobs: config.jobs,
        insert_jobs: inserts,
        query_jobs,
        seconds,
        jobs_per_second: config.jobs as f64 / seconds.max(1e-9),
        job_info,
        ok: errors.is_empty() && records == expected_records,
        errors,
        records,
        expected_records,
        peak_rss_bytes,
    })
}

/// One client: takes the next job number until all are taken.
fn client_loop(shared: &Shared<'_>) {
    let client = match SoakClient::with_timeout(shared.url, Duration::from_secs(60)) {
        Ok(client) => client,
        Err(e) => return lock(&shared.errors).add(format!("{e:#}")),
    };
    let mut latencies = Latencies::default();
    loop {
        let job = shared.next_job.fetch_add(1, Ordering::Relaxed);
        if job >= shared.config.jobs {
            break;
        }
        let outcome = if job % 10 == 9 {
            shared.queries.fetch_add(1, Ordering::Relaxed);
            query_job(&client, shared.config, &mut latencies)
        } else {
            insert_job(&client, shared.config, job, &mut latencies)
                .inspect(|()| _ = shared.inserts.fetch_add(1, Ordering::Relaxed))
        };
        if let Err(e) = outcome {
            lock(&shared.errors).add(format!("job {job}: {e:#}"));
        }
    }
    lock(&shared.latencies).merge(latencies);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn insert_job(
    client: &SoakClient,
    config: &Config,
    job: usize,
    latencies: &mut Latencies,
) -> anyhow::Result<()> {
    let mut csv = String::from("Name,NumberOfEmployees,Description\n");
    for row in 0..config.job_rows {
        csv.push_str(&format!("\"Load {job}-{row}, Inc.\",{row},\"job {job}\"\n"));
    }
    let id = client.create_ingest("insert", None)?;
    client.upload_bytes(&id, csv.into_bytes())?;
    client.close(&id)?;
    let info = client.wait(JobKind::Ingest, &id, POLL_EVERY, config.job_timeout, |d| {
        latencies.record(d);
    })?;
    let processed = info["numberRecordsProcessed"].as_u64();
    let failed = info["numberRecordsFailed"].as_u64();
    if info["state"] != "JobComplete" || processed != Some(config.job_rows) || failed != Some(0) {
        bail!("the insert job ended: {info}");
    }
    Ok(())
}

fn query_job(
    client: &SoakClient,
    config: &Config,
    latencies: &mut Latencies,
) -> anyhow::Result<()> {
    let id = client.create_query("SELECT Id, Name FROM Account LIMIT 100")?;
    let info = client.wait(JobKind::Query, &id, POLL_EVERY, config.job_timeout, |d| {
        latencies.record(d);
    })?;
    if info["state"] != "JobComplete" {
        bail!("the query job ended: {info}");
    }
    let (page, _) = client.query_page(&id, None, 100)?;
    let rows = super::records::for_each_record(page, |_| Ok(()))?.saturating_sub(1);
    if Some(rows) != info["numberRecordsProcessed"].as_u64() {
        bail!("the query job's page held {rows} rows: {info}");
    }
    Ok(())
}
