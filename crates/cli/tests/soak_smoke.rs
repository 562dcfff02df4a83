//! The soak keeps working: `bulkforce-bench`'s soak run with tiny settings against the real binary. Only
//! correctness is asserted (every kill round exactly-once, no load error, no wrong login accepted, the real
//! client served throughout), never a time.

use bulkforce_bench::soak::{Config, render_tables, run};

#[test]
fn the_soak_runs_every_phase_with_tiny_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(env!("CARGO_BIN_EXE_bulkforce"), dir.path().join("soak"));
    config.rounds = 4;
    config.rows = 3_000;
    config.kill_chunk_rows = 500;
    config.clients = 5;
    config.jobs = 10;
    config.login_flooders = 16;
    config.login_seconds = 2.0;
    config.slow_connections = 20;
    config.slow_seconds = 2.0;
    let report = run(&config).expect("the soak runs");
    let tables = render_tables(&report);
    println!("{tables}");
    assert!(report.errors.is_empty(), "{:#?}", report.errors);

    let kill = report.kill.as_ref().expect("the kill phase ran");
    assert_eq!(kill.rounds.len(), 4);
    for round in &kill.rounds {
        assert!(round.ok, "{round:#?}");
    }

    let load = report.load.as_ref().expect("the load phase ran");
    assert_eq!(load.errors.count, 0, "{:#?}", load.errors);
    assert_eq!(load.insert_jobs + load.query_jobs, 10);
    assert_eq!(load.records, load.expected_records);
    assert!(load.job_info.count >= 10, "{:?}", load.job_info);

    let logins = report.logins.as_ref().expect("the logins phase ran");
    assert_eq!(logins.logins.accepted, 0, "no wrong login is accepted");
    assert!(logins.logins.attempts > 0);
    assert_eq!(logins.real_client.failed, 0, "{:?}", logins.real_client);
    assert!(logins.real_client.succeeded > 0);

    let slow = report.slowloris.as_ref().expect("the slowloris phase ran");
    assert_eq!(slow.opened, 20);
    assert_eq!(slow.real_client.failed, 0, "{:?}", slow.real_client);
    assert!(slow.real_client.succeeded > 0 && slow.answers_after);

    assert!(report.ok(), "{tables}");
    for label in [
        "kill: 4 of 4 rounds ok",
        "load — ok",
        "logins — ok",
        "slowloris — ok",
        "soak: ok",
    ] {
        assert!(tables.contains(label), "the tables show {label}:\n{tables}");
    }
    // The working directory's files are removed when done.
    assert!(!dir.path().join("soak").join("kill").exists());
}
