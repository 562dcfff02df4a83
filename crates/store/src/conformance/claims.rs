//! Claims: the worker takes each waiting job once (oldest first), a restart makes InProgress jobs
//! claimable again with their checkpoint, and only an InProgress job is finished.

use super::{Backend, Fixture};
use crate::{ClaimedJob, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{JobState, Operation};

fn claimed_id(claim: Option<ClaimedJob>) -> Option<SfId> {
    claim.map(|c| c.job.id)
}

pub fn only_waiting_jobs_are_claimed_oldest_first(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let open = f.create_ingest(Operation::Insert, "Account")?;
    assert!(
        f.store.claim_job()?.is_none(),
        "an Open job is not waiting for processing"
    );
    let older = f.uploaded(Operation::Insert, "Account")?;
    let newer = f.uploaded(Operation::Insert, "Account")?;
    let claim = f.store.claim_job()?.expect("two jobs wait");
    assert_eq!(claim.org_id, f.org());
    assert_eq!(claim.job.id, older.id, "the oldest waiting job goes first");
    assert_eq!(claim.job.state, JobState::InProgress);
    assert_eq!(claim.checkpoint, crate::Checkpoint::default());
    assert_eq!(f.job(older.id)?.state, JobState::InProgress);
    assert_eq!(claimed_id(f.store.claim_job()?), Some(newer.id));
    assert_eq!(claimed_id(f.store.claim_job()?), None);
    assert_eq!(f.job(open.id)?.state, JobState::Open);
    Ok(())
}

pub fn a_claimed_job_is_not_claimed_twice(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    assert_eq!(f.job(job.id)?.state, JobState::InProgress);
    assert!(f.store.claim_job()?.is_none(), "InProgress and claimed");
    Ok(())
}

pub fn concurrent_claims_take_distinct_jobs(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut waiting = vec![
        f.uploaded(Operation::Insert, "Account")?.id,
        f.uploaded(Operation::Insert, "Account")?.id,
        f.uploaded(Operation::Insert, "Account")?.id,
    ];
    let store = &*f.store;
    let claims: Vec<Result<Option<ClaimedJob>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6).map(|_| scope.spawn(|| store.claim_job())).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a claiming thread panicked"))
            .collect()
    });
    let mut claimed: Vec<SfId> = claims
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .map(|c| c.job.id)
        .collect();
    claimed.sort();
    waiting.sort();
    assert_eq!(
        claimed, waiting,
        "each job is claimed by exactly one claimer"
    );
    Ok(())
}

pub fn query_jobs_are_claimed_too(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let query = f.create_query("SELECT Id FROM Account")?;
    let claim = f.store.claim_job()?.expect("a query job waits");
    assert_eq!(claim.job.id, query.id);
    assert_eq!(claim.job.operation, Operation::Query);
    assert_eq!(claim.job.state, JobState::InProgress);
    Ok(())
}

pub fn after_a_restart_an_in_progress_job_is_claimable_again(backend: &dyn Backend) -> Result<()> {
    let (org, job) = {
        let f = Fixture::open(backend)?;
        let job = f.claimed(Operation::Insert)?;
        let rows = vec![f.insert("Before the crash")];
        f.apply(&job, Operation::Insert, 0, rows)?
            .expect("the claimed job takes its first chunk");
        (f.org(), job)
    };
    // The store is dropped: the worker that held the claim is gone. The server releases claims at start.
    let f = Fixture::open(backend)?;
    assert_eq!(f.org(), org, "the default org survives a restart");
    f.store.release_claims()?;
    let claim = f
        .store
        .claim_job()?
        .expect("the InProgress job waits again");
    assert_eq!(claim.job.id, job.id);
    assert_eq!(claim.job.state, JobState::InProgress);
    assert_eq!(claim.job.number_records_processed, 1);
    assert_eq!(claim.checkpoint.chunks_done, 1);
    assert_eq!(claim.checkpoint.next_offset, 100);
    assert_eq!(claim.checkpoint.next_line, 10);
    assert!(f.store.claim_job()?.is_none(), "and is claimed once again");
    Ok(())
}

pub fn finishing_is_only_from_in_progress(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let waiting = f.uploaded(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    assert!(
        !store.finish_job(org, waiting.id, JobState::JobComplete, None, None)?,
        "an UploadComplete job is not finished"
    );
    assert_eq!(f.job(waiting.id)?.state, JobState::UploadComplete);
    assert!(store.finish_job(
        org,
        job.id,
        JobState::Failed,
        Some("InvalidBatch : x"),
        None
    )?);
    let failed = f.job(job.id)?;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error_message.as_deref(), Some("InvalidBatch : x"));
    assert!(
        !store.finish_job(org, job.id, JobState::JobComplete, None, None)?,
        "a finished job stays as it ended"
    );
    assert_eq!(f.job(job.id)?.state, JobState::Failed);
    Ok(())
}

pub fn finishing_may_replace_the_processed_count(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let query = f.create_query("SELECT Id FROM Account")?;
    let claim = f.store.claim_job()?.expect("the query waits");
    assert_eq!(claim.job.id, query.id);
    assert!(
        f.store
            .finish_job(f.org(), query.id, JobState::JobComplete, None, Some(42))?
    );
    let done = f.job(query.id)?;
    assert_eq!(done.state, JobState::JobComplete);
    assert_eq!(done.number_records_processed, 42);
    assert_eq!(done.error_message, None);

    let ingest = f.claimed(Operation::Insert)?;
    let rows = vec![f.insert("A"), f.insert("B")];
    f.apply(&ingest, Operation::Insert, 0, rows)?
        .expect("the claimed job takes its chunk");
    assert!(
        f.store
            .finish_job(f.org(), ingest.id, JobState::JobComplete, None, None)?
    );
    assert_eq!(
        f.job(ingest.id)?.number_records_processed,
        2,
        "without a count, the committed count stays"
    );
    Ok(())
}

pub fn an_aborted_claimed_job_is_not_claimed_again(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    let (_, moved) = f
        .store
        .transition(
            f.org(),
            job.id,
            &[JobState::UploadComplete, JobState::InProgress],
            JobState::Aborted,
            None,
        )?
        .expect("the job exists");
    assert!(moved);
    f.store.release_claims()?;
    assert!(f.store.claim_job()?.is_none(), "an Aborted job never waits");
    assert!(
        !f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?,
        "the worker cannot complete an aborted job"
    );
    assert_eq!(f.job(job.id)?.state, JobState::Aborted);
    Ok(())
}

pub fn a_released_claim_is_claimable_again_at_its_checkpoint(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, org) = (&f.store, f.org());
    let job = f.claimed(Operation::Insert)?;
    f.apply(
        &job,
        Operation::Insert,
        0,
        vec![f.insert("Before the panic")],
    )?
    .expect("the claimed job takes its first chunk");
    assert!(store.holds_claim(org, job.id)?, "the claim is held");
    assert!(
        store.claim_job()?.is_none(),
        "and nobody else takes the job"
    );
    // Its worker ended without recording the job's end (it panicked): the claim is let go.
    store.release_claim(org, job.id)?;
    assert!(!store.holds_claim(org, job.id)?);
    let claim = store.claim_job()?.expect("the released job waits again");
    assert_eq!(claim.job.id, job.id);
    assert_eq!(claim.job.state, JobState::InProgress);
    assert_eq!(claim.checkpoint.chunks_done, 1, "from its checkpoint");
    assert!(store.holds_claim(org, job.id)?, "claimed again");
    Ok(())
}

pub fn holding_a_claim_ends_with_the_job(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, org) = (&f.store, f.org());
    let waiting = f.uploaded(Operation::Insert, "Account")?;
    assert!(
        !store.holds_claim(org, waiting.id)?,
        "a waiting job is not claimed"
    );
    let job = store.claim_job()?.expect("the job waits").job;
    assert!(store.holds_claim(org, job.id)?);
    assert!(store.finish_job(org, job.id, JobState::JobComplete, None, None)?);
    assert!(
        !store.holds_claim(org, job.id)?,
        "a finished job is no one's"
    );
    // Releasing a claim that is not held changes nothing.
    store.release_claim(org, job.id)?;
    assert_eq!(f.job(job.id)?.state, JobState::JobComplete);
    assert!(store.claim_job()?.is_none());
    Ok(())
}
