//! The bench keeps working: `bulkforce-bench`'s library run at 10,000 rows against the real binary. Only
//! correctness is asserted (every operation completes with the expected counts, the table prints), never a time.

use bulkforce_bench::{Config, Operation, render_table, run};

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
