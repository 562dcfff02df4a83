//! Chunk application: a chunk's rows, the job's counters and its checkpoint commit together, several
//! chunks may share a commit, the source hears of each chunk in order before the commit, and a run that
//! fails leaves nothing behind. The result routes serve parts `0..chunks_done`, so `chunks_done` must
//! count exactly the committed chunks.

use super::{Backend, Feed, Fixture, chunk_of, failure_code, succeeded};
use crate::{Checkpoint, ChunkCommit, Result, RowOutcome};
use bulkforce_core::error::RowError;
use bulkforce_core::ingest::RowFailure;
use bulkforce_core::job::{Job, JobState, Operation};

fn accounts(f: &Fixture) -> Result<u64> {
    f.store.count_records(f.org(), "Account", true)
}

/// Asserts that `job` has nothing committed: no counters, an empty checkpoint.
fn assert_untouched(f: &Fixture, job: &Job) -> Result<()> {
    let stored = f.job(job.id)?;
    assert_eq!(stored.number_records_processed, 0);
    assert_eq!(stored.number_records_failed, 0);
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?,
        Some(Checkpoint::default())
    );
    Ok(())
}

pub fn a_fresh_job_has_an_empty_checkpoint(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?,
        Some(Checkpoint {
            chunks_done: 0,
            next_offset: 0,
            next_line: 0
        })
    );
    Ok(())
}

pub fn a_chunk_commits_rows_counters_and_checkpoint_together(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let before = accounts(&f)?;
    let rows = vec![
        f.insert("Acme"),
        Err(RowFailure::from(RowError::missing_id())),
        f.insert("Globex"),
    ];
    let outcomes = f
        .apply(&job, Operation::Insert, 0, rows)?
        .expect("an InProgress job takes its chunk");
    assert_eq!(outcomes.len(), 3, "one outcome per row, in row order");
    assert!(matches!(outcomes[0], RowOutcome::Created(_)));
    assert_eq!(failure_code(&outcomes[1]), Some("MISSING_ARGUMENT"));
    assert!(matches!(outcomes[2], RowOutcome::Created(_)));
    let acme = succeeded(&outcomes[0]).expect("created");
    assert_eq!(f.account_field(acme, "Name")?.as_deref(), Some("Acme"));
    assert_eq!(accounts(&f)?, before + 2);

    let stored = f.job(job.id)?;
    assert_eq!(
        stored.number_records_processed, 3,
        "failed rows are processed too"
    );
    assert_eq!(stored.number_records_failed, 1);
    assert_eq!(stored.state, JobState::InProgress);
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?,
        Some(Checkpoint {
            chunks_done: 1,
            next_offset: 100,
            next_line: 10
        })
    );
    Ok(())
}

pub fn chunks_sharing_a_transaction_report_in_order_and_commit_once(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let plan = f.plan(Operation::Insert, &["Name"]);
    let mut feed = Feed::default();
    feed.queued
        .push_back(chunk_of(1, vec![f.insert("B1"), f.insert("B2")]));
    feed.queued.push_back(chunk_of(2, vec![f.insert("C1")]));
    let ending = f.store.apply_chunks(
        f.org(),
        &job,
        &plan,
        chunk_of(0, vec![f.insert("A1")]),
        &mut feed,
    )?;
    assert_eq!(ending, ChunkCommit::Committed);
    let reported: Vec<(u64, usize)> = feed
        .applied
        .iter()
        .map(|(chunk, outcomes)| (*chunk, outcomes.len()))
        .collect();
    assert_eq!(
        reported,
        vec![(0, 1), (1, 2), (2, 1)],
        "each chunk reported once, in order"
    );
    assert_eq!(feed.commits, 1, "one transaction, one commit");
    let stored = f.job(job.id)?;
    assert_eq!(stored.number_records_processed, 4);
    assert_eq!(stored.number_records_failed, 0);
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?,
        Some(Checkpoint {
            chunks_done: 3,
            next_offset: 300,
            next_line: 30
        }),
        "the checkpoint is the last chunk's"
    );
    let ids: Vec<_> = feed
        .applied
        .iter()
        .flat_map(|(_, outcomes)| outcomes.iter().filter_map(succeeded))
        .collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "every insert has its own id: {ids:?}");
    Ok(())
}

pub fn a_failed_commit_leaves_nothing(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let before = accounts(&f)?;
    let plan = f.plan(Operation::Insert, &["Name"]);
    let mut feed = Feed {
        fail_commit: true,
        ..Feed::default()
    };
    feed.queued.push_back(chunk_of(1, vec![f.insert("B")]));
    let applied = f.store.apply_chunks(
        f.org(),
        &job,
        &plan,
        chunk_of(0, vec![f.insert("A")]),
        &mut feed,
    );
    assert!(
        applied.is_err(),
        "a failure before the commit is the run's error"
    );
    assert_eq!(
        feed.applied.len(),
        2,
        "both chunks were applied before the commit"
    );
    assert_eq!(
        accounts(&f)?,
        before,
        "no row of the failed transaction remains"
    );
    assert_untouched(&f, &job)?;

    // The same chunks apply again afterwards, as the worker's retry after a restart would.
    let outcomes = f
        .apply(&job, Operation::Insert, 0, vec![f.insert("A")])?
        .expect("chunk 0 is still the next one");
    assert!(matches!(outcomes[0], RowOutcome::Created(_)));
    assert_eq!(accounts(&f)?, before + 1);
    Ok(())
}

pub fn a_failure_reporting_outcomes_leaves_nothing(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let before = accounts(&f)?;
    let plan = f.plan(Operation::Insert, &["Name"]);
    let mut feed = Feed {
        fail_applied: Some(1),
        ..Feed::default()
    };
    feed.queued.push_back(chunk_of(1, vec![f.insert("B")]));
    feed.queued.push_back(chunk_of(2, vec![f.insert("C")]));
    let applied = f.store.apply_chunks(
        f.org(),
        &job,
        &plan,
        chunk_of(0, vec![f.insert("A")]),
        &mut feed,
    );
    assert!(applied.is_err());
    assert_eq!(
        feed.applied.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![0, 1],
        "the run stops at the chunk whose report failed"
    );
    assert_eq!(accounts(&f)?, before);
    assert_untouched(&f, &job)?;
    Ok(())
}

pub fn a_job_no_longer_in_progress_takes_no_chunk(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let before = accounts(&f)?;
    f.store.transition(
        f.org(),
        job.id,
        &[JobState::InProgress],
        JobState::Aborted,
        None,
    )?;
    let plan = f.plan(Operation::Insert, &["Name"]);
    let mut feed = Feed::default();
    let ending = f.store.apply_chunks(
        f.org(),
        &job,
        &plan,
        chunk_of(0, vec![f.insert("A")]),
        &mut feed,
    )?;
    assert_eq!(ending, ChunkCommit::JobStopped);
    assert!(
        feed.applied.is_empty(),
        "no outcome of a chunk that was not applied"
    );
    assert_eq!(accounts(&f)?, before);
    assert_untouched(&f, &job)?;
    assert_eq!(f.job(job.id)?.state, JobState::Aborted);
    Ok(())
}

pub fn a_chunk_out_of_sequence_stops_the_run_after_the_earlier_ones(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let before = accounts(&f)?;
    let plan = f.plan(Operation::Insert, &["Name"]);
    let mut feed = Feed::default();
    // Chunk 1 is missing: chunk 2 is not the job's next, as after a second worker had taken over.
    feed.queued.push_back(chunk_of(2, vec![f.insert("C")]));
    let ending = f.store.apply_chunks(
        f.org(),
        &job,
        &plan,
        chunk_of(0, vec![f.insert("A")]),
        &mut feed,
    )?;
    assert_eq!(ending, ChunkCommit::JobStopped);
    assert_eq!(
        feed.applied.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![0]
    );
    assert_eq!(feed.commits, 1, "what was applied before is committed");
    assert_eq!(accounts(&f)?, before + 1);
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?.map(|c| c.chunks_done),
        Some(1)
    );
    assert_eq!(f.job(job.id)?.number_records_processed, 1);

    assert!(
        f.apply(&job, Operation::Insert, 0, vec![f.insert("A again")])?
            .is_none(),
        "a committed chunk is never applied twice"
    );
    assert_eq!(accounts(&f)?, before + 1);
    Ok(())
}

pub fn a_restart_resumes_from_the_committed_checkpoint(backend: &dyn Backend) -> Result<()> {
    let job = {
        let f = Fixture::open(backend)?;
        let job = f.claimed(Operation::Insert)?;
        f.apply(&job, Operation::Insert, 0, vec![f.insert("A")])?
            .expect("chunk 0 applies");
        // Chunk 1 fails to commit, as if the process died before its commit.
        let plan = f.plan(Operation::Insert, &["Name"]);
        let mut feed = Feed {
            fail_commit: true,
            ..Feed::default()
        };
        let failed = f.store.apply_chunks(
            f.org(),
            &job,
            &plan,
            chunk_of(1, vec![f.insert("B")]),
            &mut feed,
        );
        assert!(failed.is_err());
        job
    };
    let f = Fixture::open(backend)?;
    f.store.release_claims()?;
    let claim = f.store.claim_job()?.expect("the job waits again");
    assert_eq!(claim.job.id, job.id);
    assert_eq!(
        claim.checkpoint,
        Checkpoint {
            chunks_done: 1,
            next_offset: 100,
            next_line: 10
        }
    );
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 1);
    let outcomes = f
        .apply(&claim.job, Operation::Insert, 1, vec![f.insert("B")])?
        .expect("chunk 1 is the next one");
    assert!(matches!(outcomes[0], RowOutcome::Created(_)));
    let stored = f.job(job.id)?;
    assert_eq!(stored.number_records_processed, 2);
    assert_eq!(
        f.store.checkpoint(f.org(), job.id)?.map(|c| c.chunks_done),
        Some(2)
    );
    Ok(())
}
