//! Snapshots: a restore brings every org's records, jobs and blobs back as they were when the snapshot
//! was taken (users, apps and tokens stay as they are now), names are plain and taken once, a snapshot
//! taken while chunks are applied holds exactly what its checkpoints say, and a job InProgress in a
//! snapshot resumes after the restore without the worker that ran it before applying anything more.

use super::reset::{accounts, apply_in, claimed_in, loaded, put_blob, read_blob, scratch_blobs};
use super::{Backend, Fixture};
use crate::blob::keys;
use crate::{Result, StoreError};
use bulkforce_core::job::{JobKind, JobState};
use std::sync::mpsc;

fn job_ids(f: &Fixture) -> Result<Vec<bulkforce_core::id::SfId>> {
    Ok(f.store
        .list_jobs(f.org(), JobKind::Ingest, None, 100)?
        .jobs
        .into_iter()
        .map(|j| j.id)
        .collect())
}

pub fn a_restore_brings_back_records_jobs_and_blobs(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let kept = loaded(&f, &f.admin, &["Acme", "Globex"])?;
    put_blob(&blobs, &keys::upload(f.org(), kept.id), "as snapshotted")?;
    let info = f.store.create_snapshot("before", &blobs)?;
    assert_eq!(info.name, "before");
    assert_eq!(info.orgs, vec![f.org()]);

    let later = loaded(&f, &f.admin, &["Initech", "Umbrella", "Hooli"])?;
    put_blob(&blobs, &keys::upload(f.org(), later.id), "later")?;
    put_blob(&blobs, &keys::upload(f.org(), kept.id), "changed")?;
    assert_eq!(accounts(&f, f.org())?, 5);

    assert_eq!(f.store.restore_snapshot("before", &blobs)?, info);
    assert_eq!(accounts(&f, f.org())?, 2);
    assert_eq!(job_ids(&f)?, vec![kept.id]);
    assert_eq!(f.job(kept.id)?.state, JobState::JobComplete);
    assert!(f.store.get_job(f.org(), later.id)?.is_none());
    assert_eq!(
        read_blob(&blobs, &keys::upload(f.org(), kept.id))?.as_deref(),
        Some("as snapshotted")
    );
    assert_eq!(read_blob(&blobs, &keys::upload(f.org(), later.id))?, None);

    // A snapshot can be restored again and again.
    loaded(&f, &f.admin, &["Again"])?;
    f.store.restore_snapshot("before", &blobs)?;
    assert_eq!(accounts(&f, f.org())?, 2);
    Ok(())
}

pub fn snapshots_are_listed_oldest_first_and_deleted(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    assert!(f.store.list_snapshots()?.is_empty());
    let first = f.store.create_snapshot("first", &blobs)?;
    let second = f.store.create_snapshot("second", &blobs)?;
    assert_eq!(
        f.store.list_snapshots()?,
        vec![first.clone(), second.clone()]
    );
    assert!(first.created <= second.created);

    f.store.delete_snapshot("first")?;
    assert_eq!(f.store.list_snapshots()?, vec![second]);
    for missing in [
        f.store.delete_snapshot("first"),
        f.store.restore_snapshot("first", &blobs).map(|_| ()),
        f.store.delete_snapshot("../first"),
    ] {
        assert!(
            matches!(missing, Err(StoreError::NotFound(_))),
            "{missing:?}"
        );
    }
    Ok(())
}

pub fn a_snapshot_name_is_plain_and_taken_once(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    f.store.create_snapshot("taken", &blobs)?;
    let again = f.store.create_snapshot("taken", &blobs);
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    for bad in ["", ".hidden", "a/b", "..", &"x".repeat(65)] {
        let refused = f.store.create_snapshot(bad, &blobs);
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{bad:?}: {refused:?}"
        );
    }
    assert_eq!(f.store.list_snapshots()?.len(), 1);
    Ok(())
}

pub fn users_and_orgs_created_after_a_snapshot_outlive_its_restore(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let minted_before = completed_job(&f, &["Acme"])?;
    f.store.create_snapshot("early", &blobs)?;
    let minted_after = completed_job(&f, &["Globex"])?;
    let user = f
        .store
        .create_user(f.org(), "late@snap.test", None, "Late", "Lou")?;
    let other = f
        .store
        .create_org("Later", "admin@later.test", Some("Later-Pa55"))?;
    loaded(&f, &other, &["Theirs"])?;

    f.store.restore_snapshot("early", &blobs)?;
    assert_eq!(f.store.find_user("late@snap.test")?, Some(user.clone()));
    assert!(f.store.get_record(f.org(), "User", user.user_id)?.is_some());
    assert_eq!(
        f.store.login_password("admin@later.test", "Later-Pa55")?,
        Some(other.clone())
    );
    assert_eq!(
        accounts(&f, other.org_id)?,
        0,
        "an org the snapshot does not hold is reset"
    );
    assert!(
        f.store
            .get_record(other.org_id, "Organization", other.org_id)?
            .is_some()
    );
    assert_eq!(accounts(&f, f.org())?, 1);
    let minted = completed_job(&f, &["Initech"])?;
    assert_eq!(minted.len(), 1);
    assert!(
        !minted_before.contains(&minted[0]) && !minted_after.contains(&minted[0]),
        "ids minted after the snapshot are not minted again: {minted_after:?}, then {minted:?}"
    );
    Ok(())
}

/// Runs an insert job of `names` to completion in the default org; the ids it created.
fn completed_job(f: &Fixture, names: &[&str]) -> Result<Vec<bulkforce_core::id::SfId>> {
    let job = claimed_in(f, &f.admin)?;
    let created = apply_in(f, f.org(), &job, 0, names)?.unwrap_or_default();
    assert!(
        f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    Ok(created)
}

pub fn an_in_progress_job_resumes_from_the_snapshot_checkpoint(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let job = claimed_in(&f, &f.admin)?;
    apply_in(&f, f.org(), &job, 0, &["A", "B"])?;
    f.store.create_snapshot("midway", &blobs)?;
    apply_in(&f, f.org(), &job, 1, &["C", "D", "E"])?;
    apply_in(&f, f.org(), &job, 2, &["F"])?;

    f.store.restore_snapshot("midway", &blobs)?;
    assert_eq!(accounts(&f, f.org())?, 2);
    assert_eq!(f.job(job.id)?.state, JobState::InProgress);
    assert_eq!(f.job(job.id)?.number_records_processed, 2);
    assert!(
        f.store.claim_job()?.is_none(),
        "the job stays with its worker until that worker hears of the restore"
    );
    // The worker that ran the job goes on at chunk 1, as it would right after its snapshot: it is told
    // the job stopped, and nothing is applied.
    assert_eq!(apply_in(&f, f.org(), &job, 1, &["C", "D", "E"])?, None);
    assert_eq!(accounts(&f, f.org())?, 2);

    let resumed = f
        .store
        .claim_job()?
        .ok_or_else(|| StoreError::Invalid("the restored job is claimable".into()))?;
    assert_eq!(resumed.job.id, job.id);
    assert_eq!(resumed.checkpoint.chunks_done, 1);
    let created = apply_in(&f, f.org(), &resumed.job, 1, &["C", "D", "E"])?;
    assert_eq!(created.map(|ids| ids.len()), Some(3));
    assert!(
        f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    assert_eq!(accounts(&f, f.org())?, 5);
    assert_eq!(f.job(job.id)?.number_records_processed, 5);
    Ok(())
}

pub fn a_worker_finishing_a_restored_job_leaves_it_to_resume(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let job = claimed_in(&f, &f.admin)?;
    apply_in(&f, f.org(), &job, 0, &["A"])?;
    f.store.create_snapshot("midway", &blobs)?;
    apply_in(&f, f.org(), &job, 1, &["B"])?;
    f.store.restore_snapshot("midway", &blobs)?;
    assert!(
        !f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?,
        "the run the restore interrupted does not end the job"
    );
    assert_eq!(f.job(job.id)?.state, JobState::InProgress);
    let resumed = f
        .store
        .claim_job()?
        .map(|c| (c.job.id, c.checkpoint.chunks_done));
    assert_eq!(resumed, Some((job.id, 1)));
    Ok(())
}

/// A worker thread commits chunks of 20 rows, one transaction each, while snapshots are taken; every
/// snapshot, restored, holds exactly the rows its checkpoint counts.
pub fn a_snapshot_taken_while_chunks_are_applied_is_consistent(
    backend: &dyn Backend,
) -> Result<()> {
    const CHUNKS: u64 = 40;
    const ROWS: usize = 20;
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let job = claimed_in(&f, &f.admin)?;
    let names: Vec<String> = (0..ROWS).map(|i| format!("Row {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (committed, heard) = mpsc::channel::<u64>();
    std::thread::scope(|scope| -> Result<()> {
        let worker = scope.spawn(|| -> Result<()> {
            for chunk in 0..CHUNKS {
                assert!(apply_in(&f, f.org(), &job, chunk, &names)?.is_some());
                let _ = committed.send(chunk);
            }
            drop(committed);
            Ok(())
        });
        let mut taken = 0;
        for chunk in heard {
            if chunk % 8 == 3 {
                f.store.create_snapshot(&format!("at-{taken}"), &blobs)?;
                taken += 1;
            }
        }
        worker.join().expect("the worker thread does not panic")?;
        assert_eq!(taken, 5);
        Ok(())
    })?;
    assert!(
        f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    let mut seen = Vec::new();
    for snapshot in f.store.list_snapshots()? {
        f.store.restore_snapshot(&snapshot.name, &blobs)?;
        let stored = f.job(job.id)?;
        let checkpoint = f
            .store
            .checkpoint(f.org(), job.id)?
            .ok_or_else(|| StoreError::Invalid("the job is in the snapshot".into()))?;
        assert_eq!(stored.state, JobState::InProgress, "{}", snapshot.name);
        assert_eq!(
            accounts(&f, f.org())?,
            checkpoint.chunks_done * ROWS as u64,
            "{}: the rows are those of the committed chunks",
            snapshot.name
        );
        assert_eq!(
            stored.number_records_processed,
            checkpoint.chunks_done * ROWS as u64
        );
        assert_eq!(checkpoint.next_offset, 100 * checkpoint.chunks_done);
        seen.push(checkpoint.chunks_done);
    }
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]) && seen[0] >= 4,
        "later snapshots hold more: {seen:?}"
    );
    Ok(())
}
