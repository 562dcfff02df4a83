//! The kill phase: rounds of a job interrupted by SIGKILL at a random point, the server restarted on the same
//! data directory, and the job's outcome checked for exactly-once.
//!
//! Each round runs on a fresh data directory and picks, with the seeded generator, one of: an insert, an upsert
//! on the external id (over an org holding half of its rows), a query job, or an upload in progress; and where to
//! kill: after a delay, or once job info shows a number of processed rows. After the restart an ingest job must
//! end JobComplete with every row in exactly one result file, once, and the org must hold exactly the expected
//! records; an interrupted upload must be possible again (PUT, close, complete); a query job must return every
//! record of the table, each id once.

use super::client::{JobKind, SoakClient};
use super::inputs::{self, Expected};
use super::records::for_each_record;
use super::{Config, Problems, ServerFlags, progress, server_spec};
use crate::api::Api;
use crate::data::{EXTERNAL_ID, Rng};
use crate::process::{Server, ServerSpec};
use anyhow::{Context, bail};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Between two polls of job info while waiting for a kill point.
const WATCH_EVERY: Duration = Duration::from_millis(10);
/// Between two polls while waiting for a job to end.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// The pause before each 64 KiB piece of an upload meant to be interrupted.
const SLOW_UPLOAD_PAUSE: Duration = Duration::from_millis(5);
/// Query rounds: rows per results page, so that a round reads several pages.
const PAGE_ROWS: u64 = 7_000;

/// What a round interrupts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    Insert,
    Upsert,
    Query,
    Upload,
}

impl RoundKind {
    pub fn label(self) -> &'static str {
        match self {
            RoundKind::Insert => "insert",
            RoundKind::Upsert => "upsert",
            RoundKind::Query => "query",
            RoundKind::Upload => "upload",
        }
    }
}

/// Where a round kills the server.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KillPoint {
    /// This long after the job was closed (query: created; upload: started).
    AfterMs(u64),
    /// Once job info shows at least this many rows processed (or the job ended).
    Processed(u64),
}

#[derive(Clone, Debug, Serialize)]
pub struct RoundReport {
    pub round: u32,
    pub kind: RoundKind,
    pub kill_point: KillPoint,
    /// The job as last seen before the kill: state and rows processed.
    pub killed_at: String,
    /// The job had not ended when the server was killed.
    pub interrupted: bool,
    pub ok: bool,
    pub reason: Option<String>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct KillReport {
    pub rows: u64,
    pub rounds: Vec<RoundReport>,
    pub ok: bool,
}

impl KillReport {
    pub fn passed(&self) -> usize {
        self.rounds.iter().filter(|r| r.ok).count()
    }
}

pub fn run(config: &Config, flags: &ServerFlags, dir: &Path) -> anyhow::Result<KillReport> {
    let mut rng = Rng::new(config.seed ^ 0x4B11_4B11);
    let mut rounds = Vec::new();
    for round in 1..=config.rounds {
        let kind = rng.pick(&[
            RoundKind::Insert,
            RoundKind::Upsert,
            RoundKind::Query,
            RoundKind::Upload,
        ]);
        let round_dir = dir.join(format!("round-{round:03}"));
        std::fs::create_dir_all(&round_dir)?;
        let mut context = Round::new(config, flags, &round_dir, kind, &mut rng)?;
        let started = Instant::now();
        let outcome = context.run();
        let report = RoundReport {
            round,
            kind,
            kill_point: context.point,
            killed_at: context.killed_at.clone(),
            interrupted: context.interrupted,
            ok: outcome.is_ok(),
            reason: outcome.err().map(|e| format!("{e:#}")),
            seconds: started.elapsed().as_secs_f64(),
        };
        progress(
            config,
            format!(
                "kill round {round}: {} killed at {} -> {}",
                kind.label(),
                report.killed_at,
                report.reason.as_deref().unwrap_or("ok")
            ),
        );
        if report.ok && !config.keep {
            std::fs::remove_dir_all(&round_dir).ok();
        }
        rounds.push(report);
    }
    Ok(KillReport {
        rows: config.rows,
        ok: rounds.iter().all(|r| r.ok),
        rounds,
    })
}

/// One round's setting and what it saw.
struct Round {
    kind: RoundKind,
    point: KillPoint,
    spec: ServerSpec,
    dir: PathBuf,
    seed: u64,
    rows: u64,
    job_timeout: Duration,
    killed_at: String,
    interrupted: bool,
}

impl Round {
    fn new(
        config: &Config,
        flags: &ServerFlags,
        dir: &Path,
        kind: RoundKind,
        rng: &mut Rng,
    ) -> anyhow::Result<Round> {
        let extra = vec![
            "--chunk-rows".to_owned(),
            config.kill_chunk_rows.to_string(),
        ];
        // About a second of work per 50,000 rows on the development machine: kill somewhere in it.
        let span_ms = (config.rows / 50).max(50);
        let point = match kind {
            RoundKind::Insert | RoundKind::Upsert if rng.chance(50) => {
                KillPoint::Processed(1 + rng.below(config.rows))
            }
            RoundKind::Upload => KillPoint::AfterMs(0), // set once the upload's length is known
            // A query job writes its results in about a tenth of an insert's time: kill early in it.
            RoundKind::Query => KillPoint::AfterMs(rng.below(span_ms / 10 + 1)),
            _ => KillPoint::AfterMs(rng.below(span_ms)),
        };
        Ok(Round {
            kind,
            point,
            spec: server_spec(config, flags, dir, extra)?,
            dir: dir.to_owned(),
            seed: config.seed ^ rng.next_u64(),
            rows: config.rows,
            job_timeout: config.job_timeout,
            killed_at: "-".to_owned(),
            interrupted: false,
        })
    }

    fn run(&mut self) -> anyhow::Result<()> {
        match self.kind {
            RoundKind::Insert => {
                let csv = self.dir.join("insert.csv");
                let expected = inputs::write_insert(&csv, self.rows, self.seed)?;
                self.ingest_round(&csv, expected, "insert", None, None)
            }
            RoundKind::Upsert => {
                let (setup, csv) = (self.dir.join("insert.csv"), self.dir.join("upsert.csv"));
                inputs::write_insert(&setup, self.rows, self.seed)?;
                let expected = inputs::write_upsert(&csv, self.rows, self.seed)?;
                self.ingest_round(&csv, expected, "upsert", Some(EXTERNAL_ID), Some(&setup))
            }
            RoundKind::Upload => {
                let csv = self.dir.join("insert.csv");
                let expected = inputs::write_insert(&csv, self.rows, self.seed)?;
                self.upload_round(&csv, expected)
            }
            RoundKind::Query => self.query_round(),
        }
    }

    /// Loads `csv` with a plain insert job, not interrupted: the org a round's job works on.
    fn set_up(&self, server: &Server, csv: &Path) -> anyhow::Result<()> {
        let mut api = Api::new(&server.url)?;
        api.job_timeout = self.job_timeout;
        let outcome = api
            .ingest("Account", "insert", None, csv)
            .context("loading the round's org")?;
        if outcome.processed == 0 {
            bail!("the set-up insert processed no row");
        }
        Ok(())
    }

    fn ingest_round(
        &mut self,
        csv: &Path,
        expected: Expected,
        operation: &str,
        external_id: Option<&str>,
        setup: Option<&Path>,
    ) -> anyhow::Result<()> {
        let server = Server::start(&self.spec)?;
        let setup_count = match setup {
            Some(setup) => {
                self.set_up(&server, setup)?;
                SoakClient::new(&server.url)?.count("Account")?
            }
            None => 0,
        };
        let client = SoakClient::new(&server.url)?;
        let id = client.create_ingest(operation, external_id)?;
        client.upload(&id, csv, None)?;
        client.close(&id)?;
        self.kill_at_point(server, &client, JobKind::Ingest, &id)?;
        let server = Server::start(&self.spec).context("restarting the server")?;
        let client = SoakClient::new(&server.url)?;
        if setup.is_some() && setup_count != expected.fresh_from {
            bail!(
                "the set-up org holds {setup_count} accounts, not {}",
                expected.fresh_from
            );
        }
        verify_ingest(&client, &id, &expected, self.job_timeout)
    }

    /// An upload killed half-way; after the restart the same job must take the whole upload again.
    fn upload_round(&mut self, csv: &Path, expected: Expected) -> anyhow::Result<()> {
        let server = Server::start(&self.spec)?;
        let client = SoakClient::new(&server.url)?;
        let id = client.create_ingest("insert", None)?;
        let length = std::fs::metadata(csv)?.len();
        let pieces = length.div_ceil(64 * 1024).max(1);
        let lasts_ms = pieces * SLOW_UPLOAD_PAUSE.as_millis() as u64;
        let delay_ms = lasts_ms / 10 + Rng::new(self.seed).below(lasts_ms * 8 / 10 + 1);
        self.point = KillPoint::AfterMs(delay_ms);
        let uploaded = std::thread::scope(|scope| {
            let upload = scope.spawn(|| client.upload(&id, csv, Some(SLOW_UPLOAD_PAUSE)));
            std::thread::sleep(Duration::from_millis(delay_ms));
            self.interrupted = !upload.is_finished();
            let killed = server.kill();
            let uploaded = upload.join().is_ok_and(|r| r.is_ok());
            killed.map(|()| uploaded)
        })?;
        self.killed_at = if uploaded {
            "upload done".to_owned()
        } else {
            format!("upload at ~{delay_ms} of ~{lasts_ms} ms")
        };
        let server = Server::start(&self.spec).context("restarting the server")?;
        let client = SoakClient::new(&server.url)?;
        let info = client.info(JobKind::Ingest, &id)?;
        if !uploaded {
            if info["state"] != "Open" {
                bail!(
                    "after the restart the interrupted upload's job is {}, not Open",
                    info["state"]
                );
            }
            client
                .upload(&id, csv, None)
                .context("uploading again after the interrupted upload")?;
        }
        client.close(&id)?;
        verify_ingest(&client, &id, &expected, self.job_timeout)
    }

    fn query_round(&mut self) -> anyhow::Result<()> {
        let setup = self.dir.join("insert.csv");
        let expected = inputs::write_insert(&setup, self.rows, self.seed)?;
        let server = Server::start(&self.spec)?;
        self.set_up(&server, &setup)?;
        let client = SoakClient::new(&server.url)?;
        let id = client.create_query(&format!("SELECT Id, {EXTERNAL_ID} FROM Account"))?;
        self.kill_at_point(server, &client, JobKind::Query, &id)?;
        let server = Server::start(&self.spec).context("restarting the server")?;
        let client = SoakClient::new(&server.url)?;
        verify_query(&client, &id, expected.records_after, self.job_timeout)
    }

    /// Waits for the round's kill point, then SIGKILLs the server, noting how far the job had gone.
    fn kill_at_point(
        &mut self,
        server: Server,
        client: &SoakClient,
        kind: JobKind,
        id: &str,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + self.job_timeout;
        let last = match self.point {
            KillPoint::AfterMs(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                None
            }
            KillPoint::Processed(threshold) => loop {
                let info = client.info(kind, id)?;
                let processed = info["numberRecordsProcessed"].as_u64().unwrap_or(0);
                if processed >= threshold || ended(&info) || Instant::now() > deadline {
                    break Some(info);
                }
                std::thread::sleep(WATCH_EVERY);
            },
        };
        // Read once more for the record; the kill follows at once either way.
        let info = client.info(kind, id).ok().or(last);
        server.kill()?;
        if let Some(info) = info {
            self.interrupted = !ended(&info);
            self.killed_at = format!(
                "{}, {} processed",
                info["state"].as_str().unwrap_or("?"),
                info["numberRecordsProcessed"]
            );
        }
        Ok(())
    }
}

fn ended(info: &serde_json::Value) -> bool {
    matches!(
        info["state"].as_str(),
        Some("JobComplete" | "Failed" | "Aborted")
    )
}

/// The column numbers of `names` in a header.
fn columns<const N: usize>(header: &[Vec<u8>], names: [&str; N]) -> anyhow::Result<[usize; N]> {
    let mut found = [0; N];
    for (slot, name) in found.iter_mut().zip(names) {
        *slot = header
            .iter()
            .position(|c| c == name.as_bytes())
            .with_context(|| format!("no {name} column in a result file"))?;
    }
    Ok(found)
}

/// What one result file held, checked row by row against what the job had to do.
#[derive(Default)]
struct ResultCheck {
    rows: u64,
    created: u64,
    problems: Problems,
}

/// Reads one ingest result file, checking every row's external id against `slot` (its place among the rows
/// that belong in this file, `None` if it does not) and that no slot and no record id comes twice.
fn check_results(
    client: &SoakClient,
    id: &str,
    file: &str,
    slots: u64,
    slot: impl Fn(u64) -> Option<u64>,
) -> anyhow::Result<ResultCheck> {
    let mut check = ResultCheck::default();
    let mut seen = vec![false; slots as usize];
    let mut ids: HashSet<Vec<u8>> = HashSet::new();
    let mut header: Option<[usize; 3]> = None;
    let response = client.ingest_results(id, file)?;
    for_each_record(response, |cells| {
        let Some([sf_id, created, external]) = header else {
            header = Some(
                columns(cells, ["sf__Id", "sf__Created", EXTERNAL_ID])
                    .or_else(|_| columns(cells, ["sf__Id", "sf__Error", EXTERNAL_ID]))?,
            );
            return Ok(());
        };
        check.rows += 1;
        let key = cells.get(external).and_then(|c| inputs::key_of(c));
        match key.and_then(&slot) {
            Some(s) if seen[s as usize] => check.problems.add(format!("{file}: key {key:?} twice")),
            Some(s) => seen[s as usize] = true,
            None => check
                .problems
                .add(format!("{file}: a row that does not belong: key {key:?}")),
        }
        let record_id = cells.get(sf_id).cloned().unwrap_or_default();
        if !record_id.is_empty() && !ids.insert(record_id.clone()) {
            check.problems.add(format!(
                "{file}: record id {} twice",
                String::from_utf8_lossy(&record_id)
            ));
        }
        if file == "successfulResults" && cells.get(created).is_some_and(|c| c == b"true") {
            check.created += 1;
        }
        Ok(())
    })?;
    Ok(check)
}

/// After the restart: the ingest job ends JobComplete with every row once in the right result file and the org
/// holding exactly the expected records.
fn verify_ingest(
    client: &SoakClient,
    id: &str,
    expected: &Expected,
    timeout: Duration,
) -> anyhow::Result<()> {
    let info = client.wait(JobKind::Ingest, id, POLL_EVERY, timeout, |_| {})?;
    if info["state"] != "JobComplete" {
        bail!("the job ended {} after the restart: {info}", info["state"]);
    }
    let processed = info["numberRecordsProcessed"].as_u64().unwrap_or(0);
    let failed = info["numberRecordsFailed"].as_u64().unwrap_or(0);
    let mut problems = Problems::default();
    if (processed, failed) != (expected.rows(), expected.failing) {
        problems.add(format!(
            "job info: {processed} processed, {failed} failed; expected {} and {}",
            expected.rows(),
            expected.failing
        ));
    }
    let successes = check_results(
        client,
        id,
        "successfulResults",
        expected.succeeding(),
        |k| expected.success_slot(k),
    )?;
    let failures = check_results(client, id, "failedResults", expected.failing, |k| {
        expected.failure_slot(k)
    })?;
    let unprocessed =
        for_each_record(client.ingest_results(id, "unprocessedrecords")?, |_| Ok(()))?;
    let counts = [
        ("successful results", successes.rows, expected.succeeding()),
        ("created", successes.created, expected.fresh),
        ("failed results", failures.rows, expected.failing),
        ("unprocessed records", unprocessed.saturating_sub(1), 0),
        (
            "accounts in the org",
            client.count("Account")?,
            expected.records_after,
        ),
    ];
    for (what, got, want) in counts {
        if got != want {
            problems.add(format!("{what}: {got}, expected {want}"));
        }
    }
    for p in successes
        .problems
        .first
        .into_iter()
        .chain(failures.problems.first)
    {
        problems.add(p);
    }
    if !problems.is_empty() {
        bail!("{}", problems.first.join("; "));
    }
    Ok(())
}

/// After the restart: the query job returns every account once.
fn verify_query(
    client: &SoakClient,
    id: &str,
    accounts: u64,
    timeout: Duration,
) -> anyhow::Result<()> {
    let info = client.wait(JobKind::Query, id, POLL_EVERY, timeout, |_| {})?;
    if info["state"] != "JobComplete" {
        bail!(
            "the query job ended {} after the restart: {info}",
            info["state"]
        );
    }
    let count = client.count("Account")?;
    let mut ids: HashSet<Vec<u8>> = HashSet::new();
    let (mut rows, mut duplicates) = (0u64, 0u64);
    let mut locator: Option<String> = None;
    for _page in 0..=(accounts / PAGE_ROWS + 1) {
        let (response, next) = client.query_page(id, locator.as_deref(), PAGE_ROWS)?;
        let mut header = true;
        for_each_record(response, |cells| {
            if !std::mem::take(&mut header) {
                rows += 1;
                if !ids.insert(cells[0].clone()) {
                    duplicates += 1;
                }
            }
            Ok(())
        })?;
        locator = next;
        if locator.is_none() {
            break;
        }
    }
    let processed = info["numberRecordsProcessed"].as_u64().unwrap_or(0);
    if locator.is_some()
        || rows != count
        || count != accounts
        || processed != rows
        || duplicates > 0
    {
        bail!(
            "query results: {rows} rows ({duplicates} duplicate ids, more pages: {}), job info {processed}, \
             COUNT() {count}, loaded {accounts}",
            locator.is_some()
        );
    }
    Ok(())
}
