//! Jobs: creation with minted ids, reads and lists, state transitions as compare-and-set, the single
//! upload, deletion.

use super::{Backend, Fixture};
use crate::{JobCount, Result, UploadStart};
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::job::{JobKind, JobState, Operation};

pub fn a_created_job_reads_back_as_stored(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut wanted = super::new_job(&f.admin, Operation::Upsert, "Account", None);
    wanted.upload_bytes = None;
    let created = f.store.create_job(f.org(), wanted.clone())?;
    assert_eq!(created.id.key_prefix(), KeyPrefix::JOB);
    wanted.id = created.id;
    assert_eq!(
        created, wanted,
        "create_job returns the job as given, with its id"
    );
    let read = f.job(created.id)?;
    assert_eq!(read, wanted, "get_job reads back every field");
    assert_eq!(read.external_id_field_name.as_deref(), Some("Ext__c"));
    assert_eq!(read.state, JobState::Open);

    let query = f.create_query("SELECT Id FROM Account")?;
    let read = f.job(query.id)?;
    assert_eq!(read.operation, Operation::Query);
    assert_eq!(read.state, JobState::UploadComplete);
    assert_eq!(read.query.as_deref(), Some("SELECT Id FROM Account"));
    Ok(())
}

pub fn created_jobs_get_distinct_job_ids(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(f.create_ingest(Operation::Insert, "Account")?.id);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "every job gets its own id: {ids:?}");
    assert_eq!(
        sorted, ids,
        "ids grow with creation, so lists are oldest first"
    );
    Ok(())
}

pub fn an_unknown_job_is_none_everywhere(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let known = f.create_ingest(Operation::Insert, "Account")?;
    let unknown = SfId::mint(KeyPrefix::JOB, 1, 999_999);
    assert_ne!(known.id, unknown);
    let (store, org) = (&f.store, f.org());
    assert_eq!(store.get_job(org, unknown)?, None);
    assert_eq!(store.checkpoint(org, unknown)?, None);
    assert!(
        store
            .transition(org, unknown, &[JobState::Open], JobState::Aborted, None)?
            .is_none()
    );
    assert_eq!(store.begin_upload(org, unknown)?, None);
    assert!(!store.delete_job(org, unknown)?);
    assert!(!store.finish_job(org, unknown, JobState::JobComplete, None, None)?);
    Ok(())
}

pub fn job_lists_filter_by_kind_and_page_oldest_first(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut ingest = Vec::new();
    for i in 0..5 {
        ingest.push(f.create_ingest(Operation::Insert, "Account")?.id);
        if i % 2 == 0 {
            f.create_query("SELECT Id FROM Account")?;
        }
    }
    let (store, org) = (&f.store, f.org());
    let first = store.list_jobs(org, JobKind::Ingest, None, 2)?;
    let ids = |page: &crate::JobPage| page.jobs.iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(ids(&first), ingest[..2]);
    assert_eq!(first.next, Some(ingest[1]));
    let second = store.list_jobs(org, JobKind::Ingest, first.next, 2)?;
    assert_eq!(ids(&second), ingest[2..4]);
    assert_eq!(second.next, Some(ingest[3]));
    let last = store.list_jobs(org, JobKind::Ingest, second.next, 2)?;
    assert_eq!(ids(&last), ingest[4..]);
    assert_eq!(last.next, None, "the last page says there is no next one");

    let queries = store.list_jobs(org, JobKind::Query, None, 100)?;
    assert_eq!(queries.jobs.len(), 3);
    assert!(queries.jobs.iter().all(|j| j.operation == Operation::Query));
    assert_eq!(queries.next, None);
    Ok(())
}

pub fn jobs_are_counted_by_operation_and_state_per_org(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, org) = (&f.store, f.org());
    assert_eq!(store.count_jobs(org)?, [], "no jobs, no counts");
    let inserts = [
        f.create_ingest(Operation::Insert, "Account")?,
        f.create_ingest(Operation::Insert, "Contact")?,
        f.create_ingest(Operation::Insert, "Account")?,
    ];
    f.create_ingest(Operation::Upsert, "Account")?;
    f.create_query("SELECT Id FROM Account")?;
    store.transition(
        org,
        inserts[0].id,
        &[JobState::Open],
        JobState::Aborted,
        None,
    )?;
    let other = store.create_org("Other", "admin@counts.test", None)?;
    store.create_job(
        other.org_id,
        super::new_job(&other, Operation::Insert, "Account", None),
    )?;

    let count = |operation, state, count| JobCount {
        operation,
        state,
        count,
    };
    let mut counts = store.count_jobs(org)?;
    counts.sort_by_key(|c| (c.operation.name(), c.state.name()));
    assert_eq!(
        counts,
        [
            count(Operation::Insert, JobState::Aborted, 1),
            count(Operation::Insert, JobState::Open, 2),
            count(Operation::Query, JobState::UploadComplete, 1),
            count(Operation::Upsert, JobState::Open, 1),
        ],
        "the other org's job is not counted here"
    );
    assert_eq!(
        store.count_jobs(other.org_id)?,
        [count(Operation::Insert, JobState::Open, 1)]
    );
    Ok(())
}

pub fn a_transition_is_a_compare_and_set(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    let (moved_job, moved) = store
        .transition(
            org,
            job.id,
            &[JobState::Open],
            JobState::UploadComplete,
            None,
        )?
        .expect("the job exists");
    assert!(moved);
    assert_eq!(moved_job.state, JobState::UploadComplete);
    assert!(moved_job.system_modstamp >= job.system_modstamp);

    let (same, moved) = store
        .transition(org, job.id, &[JobState::Open], JobState::Aborted, None)?
        .expect("the job exists");
    assert!(!moved, "a job not in a `from` state does not move");
    assert_eq!(
        same.state,
        JobState::UploadComplete,
        "and is returned as it is"
    );
    assert_eq!(f.job(job.id)?.state, JobState::UploadComplete);

    let (_, moved) = store
        .transition(
            org,
            job.id,
            &[JobState::Open, JobState::UploadComplete],
            JobState::Aborted,
            None,
        )?
        .expect("the job exists");
    assert!(moved, "any of the `from` states will do");
    assert_eq!(f.job(job.id)?.state, JobState::Aborted);
    Ok(())
}

pub fn competing_transitions_have_one_winner(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&*f.store, f.org());
    let targets = [
        JobState::UploadComplete,
        JobState::Aborted,
        JobState::UploadComplete,
        JobState::Aborted,
    ];
    let results: Vec<Result<(JobState, bool)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|&to| {
                scope.spawn(move || {
                    let (job, moved) = store
                        .transition(org, job.id, &[JobState::Open], to, None)?
                        .expect("the job exists");
                    Ok((job.state, moved))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a transition thread panicked"))
            .collect()
    });
    let results = results.into_iter().collect::<Result<Vec<_>>>()?;
    let winners: Vec<JobState> = results
        .iter()
        .filter(|(_, moved)| *moved)
        .map(|(state, _)| *state)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one transition moves: {results:?}"
    );
    let final_state = f.job(job.id)?.state;
    assert_eq!(winners[0], final_state);
    for (state, moved) in &results {
        if !moved {
            assert_eq!(*state, final_state, "losers see the winner's state");
        }
    }
    Ok(())
}

pub fn a_terminal_transition_keeps_its_error_message(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (job, moved) = f
        .store
        .transition(
            f.org(),
            job.id,
            &[JobState::Open],
            JobState::Failed,
            Some("InvalidBatch : broken"),
        )?
        .expect("the job exists");
    assert!(moved);
    assert_eq!(job.error_message.as_deref(), Some("InvalidBatch : broken"));
    assert_eq!(
        f.job(job.id)?.error_message.as_deref(),
        Some("InvalidBatch : broken")
    );
    Ok(())
}

pub fn an_upload_is_reserved_once_and_released_on_failure(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    assert_eq!(store.begin_upload(org, job.id)?, Some(UploadStart::Started));
    assert_eq!(
        store.begin_upload(org, job.id)?,
        Some(UploadStart::AlreadyUploaded),
        "an upload in progress refuses a second"
    );
    store.end_upload(org, job.id, None)?;
    assert_eq!(f.job(job.id)?.upload_bytes, None);
    assert_eq!(
        store.begin_upload(org, job.id)?,
        Some(UploadStart::Started),
        "a failed upload is released"
    );
    store.end_upload(org, job.id, Some(1234))?;
    assert_eq!(f.job(job.id)?.upload_bytes, Some(1234));
    assert_eq!(
        store.begin_upload(org, job.id)?,
        Some(UploadStart::AlreadyUploaded),
        "a finished upload refuses a second"
    );
    Ok(())
}

pub fn only_an_open_job_takes_an_upload(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    store.transition(org, job.id, &[JobState::Open], JobState::Aborted, None)?;
    assert_eq!(
        store.begin_upload(org, job.id)?,
        Some(UploadStart::NotOpen(JobState::Aborted))
    );
    Ok(())
}

pub fn a_deleted_job_is_gone(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let kept = f.create_ingest(Operation::Insert, "Account")?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    assert!(store.delete_job(org, job.id)?);
    assert_eq!(store.get_job(org, job.id)?, None);
    assert_eq!(store.checkpoint(org, job.id)?, None);
    assert!(
        !store.delete_job(org, job.id)?,
        "a second delete finds nothing"
    );
    let listed = store.list_jobs(org, JobKind::Ingest, None, 10)?;
    assert_eq!(
        listed.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![kept.id]
    );
    Ok(())
}

pub fn an_upload_ended_after_its_reservation_was_released_records_nothing(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let job = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    assert_eq!(store.begin_upload(org, job.id)?, Some(UploadStart::Started));
    // The server shuts down (or restarts) while the upload streams: its reservations are released.
    store.release_claims()?;
    assert!(
        !store.end_upload(org, job.id, Some(1234))?,
        "the reservation is gone: the upload is not recorded"
    );
    assert_eq!(f.job(job.id)?.upload_bytes, None);
    assert!(!store.end_upload(org, job.id, None)?);
    assert_eq!(
        store.begin_upload(org, job.id)?,
        Some(UploadStart::Started),
        "the job still takes an upload"
    );
    assert!(store.end_upload(org, job.id, Some(99))?);
    assert_eq!(f.job(job.id)?.upload_bytes, Some(99));
    Ok(())
}
