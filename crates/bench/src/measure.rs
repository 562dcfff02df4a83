//! One size measured: the CSVs generated, then insert, export and upsert each on a freshly started server (so
//! that each peak RSS is that operation's own), then the reference (`sqlite3`, or PostgreSQL's `COPY` on the
//! PostgreSQL backend); every count checked.

use crate::postgres::{PgRun, copy_reference};
use crate::{
    Config, DEFAULT_MAX_UPLOAD_BYTES, Measurement, Operation, Phase, Report, SizeReport, api, data,
    process, progress, reference,
};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The inputs of one size, ready to be loaded.
struct Inputs {
    /// The insert and upsert CSVs: one file each, or their parts (`Config::part_bytes`).
    insert_parts: Vec<PathBuf>,
    upsert_parts: Vec<PathBuf>,
    inserted: data::Generated,
    upserted: data::Generated,
    spec: process::ServerSpec,
}

/// The reference a size is compared with.
pub(crate) enum ReferenceTool<'a> {
    /// The `sqlite3` shell (the SQLite backend).
    Sqlite3(&'a Path),
    /// PostgreSQL's `COPY` in the run's database (the PostgreSQL backend).
    Copy,
    None,
}

/// Measures every operation at `rows` rows in `dir` (created fresh), with `pg` the run's database and
/// bucket on the PostgreSQL backend; counts that are off go to `report.problems`.
pub(crate) fn measure_size(
    config: &Config,
    reference_tool: &ReferenceTool<'_>,
    pg: Option<&PgRun>,
    rows: u64,
    dir: &Path,
    report: &mut Report,
) -> anyhow::Result<SizeReport> {
    let inputs = prepare(config, pg, rows, dir, report)?;
    let insert = measure_insert(config, &inputs, rows, report)?;
    let export = measure_export(config, &inputs, rows, report)?;
    let upsert = measure_upsert(config, &inputs, rows, report)?;
    let mut measurements = vec![insert];
    // On its own data directory, so the export and upsert see the plain insert's rows only. PostgreSQL
    // runs share one database per run: a second insert there would start from a full table.
    if pg.is_none() {
        measurements.push(measure_insert_with_rules(
            config, &inputs, rows, dir, report,
        )?);
    }
    measurements.extend([upsert, export]);
    match (reference_tool, pg) {
        (ReferenceTool::Sqlite3(sqlite3), _) => {
            progress(config, format!("{rows} rows: sqlite3 reference"));
            let r = reference::measure(
                sqlite3,
                &dir.join("sqlite"),
                &inputs.insert_parts,
                &inputs.upsert_parts,
            )?;
            measurements.extend(reference_measurements(&r, SQLITE3, &inputs, rows, report));
        }
        (ReferenceTool::Copy, Some(pg)) => {
            progress(config, format!("{rows} rows: PostgreSQL COPY reference"));
            let r = copy_reference::measure(&pg.url, &inputs.insert_parts, &inputs.upsert_parts)?;
            measurements.extend(reference_measurements(&r, COPY, &inputs, rows, report));
        }
        (ReferenceTool::Copy | ReferenceTool::None, _) => {}
    }
    // The generated CSVs are the largest files of a size: gone as soon as they are no longer needed.
    for path in inputs.insert_parts.iter().chain(&inputs.upsert_parts) {
        std::fs::remove_file(path).ok();
    }
    let mut size = SizeReport {
        rows,
        runs: 1,
        insert_csv_bytes: inputs.inserted.bytes,
        upsert_csv_bytes: inputs.upserted.bytes,
        measurements,
    };
    crate::set_ratios(&mut size);
    Ok(size)
}

/// A fresh `dir` with the schema, the insert and upsert CSVs, and how to start the server on them (with a
/// raised upload limit, noted once per size, when a CSV is past the default; on `pg`'s database and bucket
/// when given).
fn prepare(
    config: &Config,
    pg: Option<&PgRun>,
    rows: u64,
    dir: &Path,
    report: &mut Report,
) -> anyhow::Result<Inputs> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let schema_dir = dir.join("schema");
    std::fs::create_dir_all(&schema_dir)?;
    std::fs::write(schema_dir.join("Account.json"), data::SCHEMA_FILE)?;

    progress(
        config,
        format!("{rows} rows: generating the CSVs in {}", dir.display()),
    );
    let insert_csv = dir.join("accounts.csv");
    let upsert_csv = dir.join("accounts-upsert.csv");
    let inserted = data::write_insert_parts(&insert_csv, rows, config.seed, config.part_bytes)?;
    let upserted = data::write_upsert_parts(&upsert_csv, rows, config.seed, config.part_bytes)?;
    if config.part_bytes.is_some() {
        let note = format!(
            "{rows} rows: insert and upsert sent as {} and {} parts, one job each, one after another",
            inserted.paths.len(),
            upserted.paths.len()
        );
        if !report.notes.contains(&note) {
            report.notes.push(note);
        }
    }
    let largest = inserted
        .paths
        .iter()
        .chain(&upserted.paths)
        .map(|p| std::fs::metadata(p).map(|m| m.len()))
        .collect::<std::io::Result<Vec<u64>>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let max_upload_bytes = (largest > DEFAULT_MAX_UPLOAD_BYTES).then(|| {
        let raised = largest.next_multiple_of(1 << 20) + (1 << 20);
        let note = format!(
            "{rows} rows: the {:.0} MB upload is past the server's default 150 MiB limit; started with \
             --max-upload-bytes {raised}",
            largest as f64 / 1e6
        );
        // Once per size, not once per run.
        if !report.notes.contains(&note) {
            report.notes.push(note);
        }
        raised
    });
    let spec = process::ServerSpec {
        binary: config.server.clone(),
        data_dir: dir.join("data"),
        schema_dir,
        log: dir.join("server.log"),
        max_upload_bytes,
        extra_args: pg.map(PgRun::server_args).unwrap_or_default(),
        env: pg.map(PgRun::server_env).unwrap_or_default(),
    };
    Ok(Inputs {
        insert_parts: inserted.paths,
        upsert_parts: upserted.paths,
        inserted: inserted.generated,
        upserted: upserted.generated,
        spec,
    })
}

fn measure_insert(
    config: &Config,
    inputs: &Inputs,
    rows: u64,
    report: &mut Report,
) -> anyhow::Result<Measurement> {
    progress(config, format!("{rows} rows: insert"));
    let (outcome, peak) = with_server(config, &inputs.spec, |api| {
        api.ingest_parts("Account", "insert", None, &inputs.insert_parts)
    })?;
    let insert = ingest_measurement(
        Operation::Insert,
        rows,
        inputs.inserted.bytes,
        &outcome,
        peak,
    );
    let mut check = Checks::new(report, rows, "insert");
    check.eq("processed", outcome.processed, rows);
    check.eq("failed", outcome.failed, 0);
    check.eq("successful results", outcome.successful_results, rows);
    check.eq("created", outcome.created, rows);
    check.eq("failed results", outcome.failed_results, 0);
    check.eq("unprocessed records", outcome.unprocessed_records, 0);
    Ok(insert)
}

/// The insert again, on a server started with the rules project of [`crate::rules`]: every row must pass.
fn measure_insert_with_rules(
    config: &Config,
    inputs: &Inputs,
    rows: u64,
    dir: &Path,
    report: &mut Report,
) -> anyhow::Result<Measurement> {
    progress(config, format!("{rows} rows: insert with rules"));
    let project = crate::rules::write_project(&dir.join("project"))?;
    let mut spec = inputs.spec.clone();
    spec.data_dir = dir.join("data-rules");
    spec.extra_args
        .extend(["--project".to_owned(), project.display().to_string()]);
    let (outcome, peak) = with_server(config, &spec, |api| {
        api.ingest_parts("Account", "insert", None, &inputs.insert_parts)
    })?;
    let measured = ingest_measurement(
        Operation::InsertWithRules,
        rows,
        inputs.inserted.bytes,
        &outcome,
        peak,
    );
    let mut check = Checks::new(report, rows, "insert with rules");
    check.eq("processed", outcome.processed, rows);
    check.eq("failed", outcome.failed, 0);
    check.eq("successful results", outcome.successful_results, rows);
    check.eq("created", outcome.created, rows);
    Ok(measured)
}

fn measure_export(
    config: &Config,
    inputs: &Inputs,
    rows: u64,
    report: &mut Report,
) -> anyhow::Result<Measurement> {
    progress(config, format!("{rows} rows: export"));
    let soql = format!("SELECT {} FROM Account", data::COLUMNS.join(", "));
    let (outcome, peak) = with_server(config, &inputs.spec, |api| {
        api.query(&soql, config.page_rows)
    })?;
    let mut export = Measurement::new(
        Operation::Export,
        rows,
        outcome.processing_seconds + outcome.download_seconds,
        outcome.bytes,
    );
    export.peak_rss_bytes = peak;
    export.processed = Some(outcome.processed);
    export.records = Some(outcome.downloaded);
    export.phases = vec![
        Phase {
            name: "query (create to JobComplete)",
            seconds: outcome.processing_seconds,
        },
        Phase {
            name: "download of every page",
            seconds: outcome.download_seconds,
        },
    ];
    let mut check = Checks::new(report, rows, "export");
    check.eq("processed", outcome.processed, rows);
    check.eq("records downloaded", outcome.downloaded, rows);
    Ok(export)
}

fn measure_upsert(
    config: &Config,
    inputs: &Inputs,
    rows: u64,
    report: &mut Report,
) -> anyhow::Result<Measurement> {
    progress(config, format!("{rows} rows: upsert"));
    let (outcome, peak) = with_server(config, &inputs.spec, |api| {
        api.ingest_parts(
            "Account",
            "upsert",
            Some(data::EXTERNAL_ID),
            &inputs.upsert_parts,
        )
    })?;
    let upsert = ingest_measurement(
        Operation::Upsert,
        rows,
        inputs.upserted.bytes,
        &outcome,
        peak,
    );
    let mut check = Checks::new(report, rows, "upsert");
    check.eq("processed", outcome.processed, rows);
    check.eq("failed", outcome.failed, 0);
    check.eq("successful results", outcome.successful_results, rows);
    check.eq("created", outcome.created, inputs.upserted.new_rows);
    Ok(upsert)
}

/// The operations a reference's three measurements are reported as: import, export, upsert.
type ReferenceOperations = [Operation; 3];
const SQLITE3: ReferenceOperations = [
    Operation::SqliteImport,
    Operation::SqliteExport,
    Operation::SqliteUpsert,
];
const COPY: ReferenceOperations = [
    Operation::PgCopyIn,
    Operation::PgCopyOut,
    Operation::PgUpsert,
];

/// A reference's import, export and upsert as measurements, its counts checked.
fn reference_measurements(
    r: &reference::Reference,
    [import_op, export_op, upsert_op]: ReferenceOperations,
    inputs: &Inputs,
    rows: u64,
    report: &mut Report,
) -> [Measurement; 3] {
    let mut import = Measurement::new(import_op, rows, r.import.seconds, inputs.inserted.bytes);
    import.peak_rss_bytes = r.import.peak_rss;
    import.records = Some(r.imported_rows);
    let mut exported = Measurement::new(export_op, rows, r.export.seconds, r.export_bytes);
    exported.peak_rss_bytes = r.export.peak_rss;
    exported.records = Some(r.exported_rows);
    let mut upserted = Measurement::new(upsert_op, rows, r.upsert.seconds, inputs.upserted.bytes);
    upserted.peak_rss_bytes = r.upsert.peak_rss;
    upserted.records = Some(r.rows_after_upsert);
    Checks::new(report, rows, import_op.label()).eq("rows in the table", r.imported_rows, rows);
    Checks::new(report, rows, export_op.label()).eq("records exported", r.exported_rows, rows);
    Checks::new(report, rows, upsert_op.label()).eq(
        "rows in the table",
        r.rows_after_upsert,
        rows + inputs.upserted.new_rows,
    );
    for (operation, timed) in [
        (import_op, &r.import),
        (export_op, &r.export),
        (upsert_op, &r.upsert),
    ] {
        if !timed.stderr.trim().is_empty() {
            report.problems.push(format!(
                "{rows} rows: {} said: {}",
                operation.label(),
                timed.stderr.trim()
            ));
        }
    }
    [import, exported, upserted]
}

fn ingest_measurement(
    operation: Operation,
    rows: u64,
    bytes: u64,
    outcome: &api::IngestOutcome,
    peak: Option<u64>,
) -> Measurement {
    let seconds = outcome.upload_seconds + outcome.processing_seconds + outcome.results_seconds;
    let mut m = Measurement::new(operation, rows, seconds, bytes);
    m.peak_rss_bytes = peak;
    m.processed = Some(outcome.processed);
    m.failed = Some(outcome.failed);
    m.successful_results = Some(outcome.successful_results);
    m.failed_results = Some(outcome.failed_results);
    m.unprocessed_records = Some(outcome.unprocessed_records);
    m.created = Some(outcome.created);
    m.phases = vec![
        Phase {
            name: "create, upload, close",
            seconds: outcome.upload_seconds,
        },
        Phase {
            name: "processing (to JobComplete)",
            seconds: outcome.processing_seconds,
        },
        Phase {
            name: "download of the result files",
            seconds: outcome.results_seconds,
        },
    ];
    m
}

/// Adds a problem to the report for each count of one operation that is not what it should be.
struct Checks<'a> {
    report: &'a mut Report,
    rows: u64,
    operation: &'static str,
}

impl<'a> Checks<'a> {
    fn new(report: &'a mut Report, rows: u64, operation: &'static str) -> Self {
        Checks {
            report,
            rows,
            operation,
        }
    }

    fn eq(&mut self, what: &str, got: u64, want: u64) {
        if got != want {
            self.report.problems.push(format!(
                "{} rows: {}: {what} is {got}, expected {want}",
                self.rows, self.operation
            ));
        }
    }
}

/// Starts a server, runs `f` against it while sampling its memory, stops it. Answers `f`'s result and the peak
/// RSS during `f` (the server's high-water mark since its start, which was just before).
fn with_server<T>(
    config: &Config,
    spec: &process::ServerSpec,
    f: impl FnOnce(&api::Api) -> anyhow::Result<T>,
) -> anyhow::Result<(T, Option<u64>)> {
    let server = process::Server::start(spec)?;
    let mut api = api::Api::new(&server.url)?;
    api.job_timeout = config.job_timeout;
    api.warm_up()?;
    let sampler = process::RssSampler::start(server.pid());
    let started = Instant::now();
    let result = f(&api);
    let peak = sampler.finish();
    progress(
        config,
        format!("  {:.2} s", started.elapsed().as_secs_f64()),
    );
    server.stop()?;
    let result = result.with_context(|| format!("server log: {}", spec.log.display()))?;
    Ok((result, peak))
}
