//! The bench keeps working: `bulkforce-bench`'s library run at 10,000 rows against the real binary (and at
//! 2,000 rows on PostgreSQL + S3 against PostgreSQL's COPY). Only correctness is asserted (every operation
//! completes with the expected counts, the table prints), never a time.

use bulkforce_bench::{Backend, Config, Operation, PgTarget, render_table, run};

const ROWS: u64 = 10_000;

#[test]
fn the_bench_runs_end_to_end_at_ten_thousand_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(env!("CARGO_BIN_EXE_bulkforce"), vec![ROWS], dir.path());
    config.runs = 3;
    let report = run(&config).expect("the bench runs");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let size = report.size(ROWS).expect("the size was measured");
    assert_eq!(size.runs, 3);

    let insert = size.get(Operation::Insert).expect("insert measured");
    assert_eq!(insert.processed, Some(ROWS));
    assert_eq!(insert.failed, Some(0));
    assert_eq!(insert.successful_results, Some(ROWS));
    assert_eq!(insert.failed_results, Some(0));
    assert_eq!(insert.unprocessed_records, Some(0));

    let upsert = size.get(Operation::Upsert).expect("upsert measured");
    assert_eq!(upsert.processed, Some(ROWS));
    assert_eq!(upsert.failed, Some(0));
    assert_eq!(upsert.successful_results, Some(ROWS));
    assert_eq!(upsert.created, Some(ROWS / 2));

    let export = size.get(Operation::Export).expect("export measured");
    assert_eq!(export.processed, Some(ROWS));
    assert_eq!(
        export.records,
        Some(ROWS),
        "CSV records downloaded over every page"
    );

    for m in [insert, upsert, export] {
        assert!(m.seconds > 0.0 && m.bytes > 0, "{m:?}");
    }
    // The reference runs where sqlite3 is installed; the bench works without it.
    if let Some(import) = size.get(Operation::SqliteImport) {
        assert_eq!(import.records, Some(ROWS));
        assert_eq!(
            size.get(Operation::SqliteExport).unwrap().records,
            Some(ROWS)
        );
        // Ratios are between the medians shown.
        let ratio = insert.rows_per_second() / import.rows_per_second();
        assert!((insert.ratio.unwrap() - ratio).abs() < 1e-9, "{insert:?}");
        assert!(export.ratio.is_some());
        // The upsert reference merges the upsert CSV into the imported table: half new rows.
        assert_eq!(
            size.get(Operation::SqliteUpsert).unwrap().records,
            Some(ROWS + ROWS / 2)
        );
        assert!(upsert.ratio.is_some());
    }

    let table = render_table(&report);
    println!("{table}");
    for label in [
        "operation",
        "rows/s",
        "insert",
        "upsert (external id)",
        "export (query job)",
        "10,000",
        "median of 3 runs",
    ] {
        assert!(table.contains(label), "the table shows {label}:\n{table}");
    }
    // Generated data is removed when the run is done.
    assert!(!dir.path().join(format!("rows-{ROWS}")).exists());
}

const PG_ROWS: u64 = 2_000;

/// The PostgreSQL backend: the server on a fresh database and moto bucket, PostgreSQL's COPY as the
/// reference; the run's database is gone afterwards.
#[test]
fn the_bench_runs_on_postgres_against_copy() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: this test needs `scripts/services start` and its variables \
                 (`set -a; . <(scripts/services env)`), as scripts/test does"
            )
        })
    };
    let target = PgTarget {
        database_url: var("BULKFORCE_TEST_DATABASE_URL"),
        s3_endpoint: var("BULKFORCE_TEST_S3_ENDPOINT"),
        bucket: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(env!("CARGO_BIN_EXE_bulkforce"), vec![PG_ROWS], dir.path());
    config.backend = Backend::Postgres(target.clone());
    let report = run(&config).expect("the bench runs on PostgreSQL");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.backend, "postgres");
    let size = report.size(PG_ROWS).expect("the size was measured");

    let insert = size.get(Operation::Insert).expect("insert measured");
    assert_eq!(insert.processed, Some(PG_ROWS));
    assert_eq!(insert.successful_results, Some(PG_ROWS));
    assert_eq!(insert.created, Some(PG_ROWS));
    let upsert = size.get(Operation::Upsert).expect("upsert measured");
    assert_eq!(upsert.processed, Some(PG_ROWS));
    assert_eq!(upsert.created, Some(PG_ROWS / 2));
    let export = size.get(Operation::Export).expect("export measured");
    assert_eq!(export.records, Some(PG_ROWS));

    let copy_in = size
        .get(Operation::PgCopyIn)
        .expect("COPY FROM STDIN measured");
    assert_eq!(copy_in.records, Some(PG_ROWS));
    let copy_out = size
        .get(Operation::PgCopyOut)
        .expect("COPY TO STDOUT measured");
    assert_eq!(copy_out.records, Some(PG_ROWS));
    let copy_upsert = size.get(Operation::PgUpsert).expect("COPY upsert measured");
    assert_eq!(copy_upsert.records, Some(PG_ROWS + PG_ROWS / 2));
    assert!(
        size.get(Operation::SqliteImport).is_none(),
        "no sqlite3 reference on PostgreSQL"
    );
    for m in [insert, upsert, export] {
        assert!(m.ratio.is_some(), "compared with COPY: {m:?}");
    }

    let table = render_table(&report);
    println!("{table}");
    for label in [
        "postgres backend",
        "COPY FROM STDIN",
        "COPY TO STDOUT",
        "COPY + ON CONFLICT",
    ] {
        assert!(table.contains(label), "the table shows {label}:\n{table}");
    }
    // The run's database is dropped when it ends.
    let mut admin = postgres::Client::connect(&target.database_url, postgres::NoTls).unwrap();
    let left = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            &[&format!("bulkforce_bench_{}_%", std::process::id())],
        )
        .unwrap();
    assert!(left.is_empty(), "databases left behind: {}", left.len());
}
