//! Held jobs, job timelines and the control API's job views: a held job is never claimed (until
//! released), a held InProgress job is given up with its checkpoint, `--hold-jobs` holds a job in the same
//! step that makes it claimable, every state a job enters is on its timeline in order, and jobs are found
//! and listed across orgs.

use super::{Backend, Fixture, new_job};
use crate::{HoldChange, JobFilter, JobSummary, Result, StoreError};
use bulkforce_core::id::SfId;
use bulkforce_core::job::{JobKind, JobState, Operation};

fn claimed_id(f: &Fixture) -> Result<Option<SfId>> {
    Ok(f.store.claim_job()?.map(|c| c.job.id))
}

fn summary(f: &Fixture, id: SfId) -> Result<JobSummary> {
    f.store
        .job_summary(f.org(), id)?
        .ok_or_else(|| StoreError::Invalid(format!("job {id} is gone")))
}

fn hold(f: &Fixture, id: SfId, held: bool) -> Result<JobSummary> {
    match f.store.set_job_held(f.org(), id, held)? {
        Some(HoldChange::Done(summary)) => Ok(summary),
        other => Err(StoreError::Invalid(format!(
            "holding {id} ({held}) came to {other:?}"
        ))),
    }
}

fn states(f: &Fixture, id: SfId) -> Result<Vec<JobState>> {
    Ok(f.store
        .job_timeline(f.org(), id)?
        .into_iter()
        .map(|change| change.state)
        .collect())
}

pub fn held_jobs_are_not_claimed_and_released_ones_are(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let older = f.uploaded(Operation::Insert, "Account")?;
    let newer = f.uploaded(Operation::Insert, "Account")?;
    let held = hold(&f, older.id, true)?;
    assert!(held.held);
    assert_eq!(held.org_id, f.org());
    assert_eq!(held.job.state, JobState::UploadComplete);
    assert_eq!(
        claimed_id(&f)?,
        Some(newer.id),
        "the held older job is passed over"
    );
    assert_eq!(claimed_id(&f)?, None, "the held job waits");
    assert_eq!(f.job(older.id)?.state, JobState::UploadComplete);
    assert!(summary(&f, older.id)?.held);
    assert!(!hold(&f, older.id, false)?.held);
    assert_eq!(claimed_id(&f)?, Some(older.id), "released, it is claimed");
    Ok(())
}

pub fn a_job_held_as_it_becomes_waiting_is_never_claimable(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    assert!(!summary(&f, job.id)?.held);
    f.store.begin_upload(f.org(), job.id)?;
    f.store.end_upload(f.org(), job.id, Some(10))?;
    let (closed, moved) = f
        .store
        .transition_holding(
            f.org(),
            job.id,
            &[JobState::Open],
            JobState::UploadComplete,
            None,
            true,
        )?
        .expect("the job exists");
    assert!(moved);
    assert_eq!(closed.state, JobState::UploadComplete);
    assert!(summary(&f, job.id)?.held, "held in the same step");
    let mut query = new_job(
        &f.admin,
        Operation::Query,
        "Account",
        Some("SELECT Id FROM Account"),
    );
    query.state = JobState::UploadComplete;
    let query = f.store.create_job_holding(f.org(), query, true)?;
    assert!(summary(&f, query.id)?.held, "a query job held at creation");
    assert_eq!(claimed_id(&f)?, None, "neither is claimed");
    // A transition that does not move holds nothing.
    let other = f.create_ingest(Operation::Insert, "Account")?;
    let (_, moved) = f
        .store
        .transition_holding(
            f.org(),
            other.id,
            &[JobState::InProgress],
            JobState::Aborted,
            None,
            true,
        )?
        .expect("the job exists");
    assert!(!moved);
    assert!(!summary(&f, other.id)?.held);
    hold(&f, query.id, false)?;
    assert_eq!(claimed_id(&f)?, Some(query.id));
    Ok(())
}

pub fn a_held_running_job_is_given_up_and_resumed_from_its_checkpoint(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    assert!(
        !f.store.give_up_held_job(f.org(), job.id)?,
        "a job not held is kept"
    );
    f.apply(&job, Operation::Insert, 0, vec![f.insert("First")])?
        .expect("the claimed job takes its first chunk");
    hold(&f, job.id, true)?;
    assert!(f.store.give_up_held_job(f.org(), job.id)?);
    assert!(
        !f.store.give_up_held_job(f.org(), job.id)?,
        "given up once: it is no longer claimed"
    );
    let held = summary(&f, job.id)?;
    assert_eq!(held.job.state, JobState::InProgress, "it stays InProgress");
    assert!(held.held);
    assert_eq!(held.job.number_records_processed, 1);
    assert_eq!(claimed_id(&f)?, None, "held, it is not claimed again");
    hold(&f, job.id, false)?;
    let resumed = f.store.claim_job()?.expect("released, it waits again");
    assert_eq!(resumed.job.id, job.id);
    assert_eq!(resumed.checkpoint.chunks_done, 1);
    assert_eq!(resumed.checkpoint.next_offset, 100);
    assert_eq!(
        states(&f, job.id)?,
        [
            JobState::Open,
            JobState::UploadComplete,
            JobState::InProgress
        ],
        "resuming enters no state"
    );
    Ok(())
}

pub fn a_finished_job_is_not_held_and_finishing_ends_a_hold(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    hold(&f, job.id, true)?;
    assert!(
        f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    assert!(!summary(&f, job.id)?.held, "a final job holds nothing");
    match f.store.set_job_held(f.org(), job.id, true)? {
        Some(HoldChange::Finished(summary)) => {
            assert_eq!(summary.job.state, JobState::JobComplete);
            assert!(!summary.held);
        }
        other => panic!("holding a finished job came to {other:?}"),
    }
    assert!(!hold(&f, job.id, false)?.held, "a release is harmless");
    let waiting = f.uploaded(Operation::Insert, "Account")?;
    hold(&f, waiting.id, true)?;
    f.store.transition(
        f.org(),
        waiting.id,
        &[JobState::UploadComplete],
        JobState::Aborted,
        None,
    )?;
    assert!(!summary(&f, waiting.id)?.held, "an abort ends the hold");
    assert!(
        f.store
            .set_job_held(
                f.org(),
                SfId::mint(bulkforce_core::id::KeyPrefix::JOB, 0, 999),
                true
            )?
            .is_none(),
        "an unknown job"
    );
    Ok(())
}

pub fn a_hold_survives_a_restart(backend: &dyn Backend) -> Result<()> {
    let id = {
        let f = Fixture::open(backend)?;
        let job = f.claimed(Operation::Insert)?;
        hold(&f, job.id, true)?;
        job.id
    };
    let f = Fixture::open(backend)?;
    f.store.release_claims()?;
    assert!(summary(&f, id)?.held);
    assert_eq!(claimed_id(&f)?, None, "still held after the restart");
    hold(&f, id, false)?;
    assert_eq!(claimed_id(&f)?, Some(id));
    Ok(())
}

pub fn a_timeline_lists_every_state_entered_in_order(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    f.store
        .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?;
    let timeline = f.store.job_timeline(f.org(), job.id)?;
    let entered: Vec<JobState> = timeline.iter().map(|c| c.state).collect();
    assert_eq!(
        entered,
        [
            JobState::Open,
            JobState::UploadComplete,
            JobState::InProgress,
            JobState::JobComplete
        ]
    );
    assert_eq!(timeline[0].at, job.created_date, "Open at creation");
    assert!(
        timeline.windows(2).all(|w| w[0].at <= w[1].at),
        "times never go back: {timeline:?}"
    );
    let query = f.create_query("SELECT Id FROM Account")?;
    assert_eq!(states(&f, query.id)?, [JobState::UploadComplete]);
    let aborted = f.create_ingest(Operation::Insert, "Account")?;
    f.store.transition(
        f.org(),
        aborted.id,
        &[JobState::Open],
        JobState::Aborted,
        None,
    )?;
    f.store.transition(
        f.org(),
        aborted.id,
        &[JobState::Open],
        JobState::Aborted,
        None,
    )?;
    assert_eq!(
        states(&f, aborted.id)?,
        [JobState::Open, JobState::Aborted],
        "a transition that did not move is not on the timeline"
    );
    assert!(f.store.delete_job(f.org(), aborted.id)?);
    assert!(f.store.job_timeline(f.org(), aborted.id)?.is_empty());
    Ok(())
}

pub fn find_job_looks_in_every_org(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let other = f.store.create_org("Other", "other@holds.test", None)?;
    let ours = f.create_ingest(Operation::Insert, "Account")?;
    let theirs = f.store.create_job(
        other.org_id,
        new_job(&other, Operation::Insert, "Contact", None),
    )?;
    let found = f.store.find_job(theirs.id)?.expect("their job is found");
    assert_eq!(found.org_id, other.org_id);
    assert_eq!(found.job.object, "Contact");
    assert!(!found.held);
    let found = f.store.find_job(ours.id)?.expect("our job is found");
    assert_eq!(found.org_id, f.org());
    let unknown = SfId::mint(bulkforce_core::id::KeyPrefix::JOB, 0, 424_242);
    assert!(f.store.find_job(unknown)?.is_none());
    Ok(())
}

pub fn job_listings_filter_and_come_newest_first(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let other = f.store.create_org("Other", "other@listing.test", None)?;
    let account = f.create_ingest(Operation::Insert, "Account")?;
    let contact = f.create_ingest(Operation::Insert, "Contact")?;
    let query = f.create_query("SELECT Id FROM Account")?;
    let theirs = f.store.create_job(
        other.org_id,
        new_job(&other, Operation::Upsert, "Account", None),
    )?;
    let ids = |filter: JobFilter| -> Result<Vec<SfId>> {
        Ok(f.store
            .list_job_summaries(&JobFilter {
                limit: 100,
                ..filter
            })?
            .into_iter()
            .map(|s| s.job.id)
            .collect())
    };
    let mut all = ids(JobFilter::default())?;
    assert_eq!(all.len(), 4);
    // Newest first within an org (created in this order, perhaps within the same millisecond).
    all.retain(|id| *id != theirs.id);
    assert_eq!(all, [query.id, contact.id, account.id]);
    assert_eq!(
        ids(JobFilter {
            org: Some(other.org_id),
            ..JobFilter::default()
        })?,
        [theirs.id]
    );
    assert_eq!(
        ids(JobFilter {
            kind: Some(JobKind::Query),
            ..JobFilter::default()
        })?,
        [query.id]
    );
    let mut ingest = ids(JobFilter {
        kind: Some(JobKind::Ingest),
        org: Some(f.org()),
        ..JobFilter::default()
    })?;
    ingest.sort();
    let mut expected = vec![account.id, contact.id];
    expected.sort();
    assert_eq!(ingest, expected);
    assert_eq!(
        ids(JobFilter {
            state: Some(JobState::UploadComplete),
            ..JobFilter::default()
        })?,
        [query.id]
    );
    let mut accounts = ids(JobFilter {
        object: Some("account".into()),
        ..JobFilter::default()
    })?;
    accounts.sort();
    let mut expected = vec![account.id, query.id, theirs.id];
    expected.sort();
    assert_eq!(accounts, expected, "objects match without case");
    assert_eq!(
        f.store
            .list_job_summaries(&JobFilter {
                org: Some(f.org()),
                limit: 2,
                ..JobFilter::default()
            })?
            .len(),
        2
    );
    assert!(
        ids(JobFilter {
            state: Some(JobState::Failed),
            ..JobFilter::default()
        })?
        .is_empty()
    );
    Ok(())
}

/// A chunk source that, once inside the transaction, says so on `inside` and waits (up to a deadline) for
/// a hold of `job` to be asked for, as the server's ingest feed asks before each chunk.
struct WaitsForHold<'a> {
    store: &'a dyn crate::Store,
    org: SfId,
    job: SfId,
    inside: Option<std::sync::mpsc::Sender<()>>,
    saw_hold: bool,
}

impl crate::ChunkSource for WaitsForHold<'_> {
    fn next_chunk(&mut self) -> Option<crate::Chunk> {
        if let Some(inside) = self.inside.take() {
            let _ = inside.send(());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.store.hold_requested(self.org, self.job) {
                self.saw_hold = true;
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        None
    }

    fn chunk_applied(
        &mut self,
        _chunk: u64,
        _outcomes: Vec<crate::RowOutcome>,
        _spent: Vec<bulkforce_core::ingest::RowValues>,
    ) -> Result<()> {
        Ok(())
    }

    fn before_commit(&mut self) -> Result<()> {
        Ok(())
    }
}

pub fn a_hold_asked_for_during_a_transaction_is_seen_before_its_next_chunk(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.claimed(Operation::Insert)?;
    assert!(!f.store.hold_requested(f.org(), job.id));
    let plan = f.plan(Operation::Insert, &["Name"]);
    let (inside, entered) = std::sync::mpsc::channel();
    let (saw_hold, held) = std::thread::scope(|scope| {
        let applier = scope.spawn(|| {
            let mut source = WaitsForHold {
                store: &*f.store,
                org: f.org(),
                job: job.id,
                inside: Some(inside),
                saw_hold: false,
            };
            let first = super::chunk_of(0, vec![f.insert("Before the hold")]);
            let ended = f
                .store
                .apply_chunks(f.org(), &job, &plan, first, &mut source);
            ended.map(|ended| (ended, source.saw_hold))
        });
        entered
            .recv()
            .expect("the transaction asks for a second chunk");
        // The writer is busy with the transaction: the hold is asked for at once, written after it.
        let held = hold(&f, job.id, true);
        let applied = applier.join().expect("the applier does not panic");
        (applied.map(|(_, saw)| saw), held)
    });
    assert!(
        saw_hold?,
        "the transaction saw the hold before its next chunk"
    );
    assert!(held?.held);
    assert!(
        !f.store.hold_requested(f.org(), job.id),
        "written, the hold is no longer pending"
    );
    assert!(f.store.give_up_held_job(f.org(), job.id)?);
    let stopped = summary(&f, job.id)?;
    assert_eq!(stopped.job.number_records_processed, 1);
    assert_eq!(stopped.job.state, JobState::InProgress);
    Ok(())
}

pub fn a_job_detail_reads_the_job_and_its_timeline_at_one_moment(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let unknown = SfId::mint(bulkforce_core::id::KeyPrefix::JOB, 1, 999_999);
    assert!(f.store.find_job_detail(unknown)?.is_none());
    let jobs: Vec<SfId> = (0..20)
        .map(|_| f.uploaded(Operation::Insert, "Account").map(|job| job.id))
        .collect::<Result<_>>()?;
    // One thread moves every job along while another reads their details: each detail's state is the
    // last state of its timeline.
    std::thread::scope(|scope| {
        let mover = scope.spawn(|| -> Result<()> {
            for _ in &jobs {
                let claimed = f.store.claim_job()?.expect("a job waits");
                f.store
                    .finish_job(f.org(), claimed.job.id, JobState::JobComplete, None, None)?;
            }
            Ok(())
        });
        let mut reads = 0;
        while !mover.is_finished() || reads == 0 {
            for id in &jobs {
                let (found, timeline) = f.store.find_job_detail(*id)?.expect("the job is found");
                assert_eq!(found.org_id, f.org());
                assert_eq!(
                    timeline.last().map(|change| change.state),
                    Some(found.job.state),
                    "{timeline:?}"
                );
                reads += 1;
            }
        }
        mover.join().expect("the mover does not panic")
    })?;
    let (done, timeline) = f.store.find_job_detail(jobs[0])?.expect("found");
    assert_eq!(done.job.state, JobState::JobComplete);
    assert_eq!(timeline.len(), 4, "{timeline:?}");
    Ok(())
}
