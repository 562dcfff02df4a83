//! Resets: an org's records, jobs, blobs and API counters go; the org, its users (with their User
//! records), apps, tokens and id sequences stay; other orgs are untouched; a worker whose job vanished
//! stops cleanly. Also the helpers the snapshot cases share.

use super::{Backend, Feed, Fixture, chunk_of, new_job};
use crate::blob::{BlobStore, LocalBlobs, keys};
use crate::{ApiCounter, ChunkCommit, Principal, Result, StoreError, TokenKind};
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::job::{Job, JobState, Operation};
use chrono::Utc;
use std::io::{Read, Write};

/// A blob store in a directory of its own, removed with the returned guard.
pub fn scratch_blobs() -> Result<(tempfile::TempDir, LocalBlobs)> {
    let dir = tempfile::tempdir()?;
    let blobs = LocalBlobs::open(dir.path().join("blobs"))?;
    Ok((dir, blobs))
}

pub fn put_blob(blobs: &dyn BlobStore, key: &str, text: &str) -> Result<()> {
    let mut writer = blobs.create(key)?;
    writer.write_all(text.as_bytes())?;
    writer.commit()?;
    Ok(())
}

pub fn read_blob(blobs: &dyn BlobStore, key: &str) -> Result<Option<String>> {
    let Some(mut reader) = blobs.open(key, 0)? else {
        return Ok(None);
    };
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// An insert job of `principal`'s org taken through upload and claim, InProgress.
pub fn claimed_in(f: &Fixture, principal: &Principal) -> Result<Job> {
    let org = principal.org_id;
    let job = f
        .store
        .create_job(org, new_job(principal, Operation::Insert, "Account", None))?;
    f.store.begin_upload(org, job.id)?;
    f.store.end_upload(org, job.id, Some(100))?;
    f.store.transition(
        org,
        job.id,
        &[JobState::Open],
        JobState::UploadComplete,
        None,
    )?;
    let claimed = f
        .store
        .claim_job()?
        .ok_or_else(|| StoreError::Invalid("no job to claim".into()))?;
    assert_eq!(claimed.job.id, job.id, "the only waiting job is claimed");
    Ok(claimed.job)
}

/// Applies Account inserts named `names` as chunk `chunk` of `job` in `org`: the ids it created, or
/// `None` when the job took no chunk (stopped).
pub fn apply_in(
    f: &Fixture,
    org: SfId,
    job: &Job,
    chunk: u64,
    names: &[&str],
) -> Result<Option<Vec<SfId>>> {
    let plan = f.plan(Operation::Insert, &["Name", "Ext__c"]);
    let rows = names.iter().map(|n| f.insert(n)).collect();
    let mut feed = Feed::default();
    let ending = f
        .store
        .apply_chunks(org, job, &plan, chunk_of(chunk, rows), &mut feed)?;
    if ending == ChunkCommit::JobStopped {
        return Ok(None);
    }
    Ok(Some(
        feed.applied
            .iter()
            .flat_map(|(_, outcomes)| outcomes.iter().filter_map(super::succeeded))
            .collect(),
    ))
}

/// A completed insert job of `principal`'s org that created one Account per name.
pub fn loaded(f: &Fixture, principal: &Principal, names: &[&str]) -> Result<Job> {
    let job = claimed_in(f, principal)?;
    assert!(apply_in(f, principal.org_id, &job, 0, names)?.is_some());
    assert!(
        f.store
            .finish_job(principal.org_id, job.id, JobState::JobComplete, None, None)?
    );
    Ok(job)
}

pub fn accounts(f: &Fixture, org: SfId) -> Result<u64> {
    f.store.count_records(org, "Account", true)
}

fn second_org(f: &Fixture) -> Result<Principal> {
    f.store
        .create_org("Second", "admin@second.test", Some("Second-Pa55"))
}

pub fn resetting_an_org_leaves_other_orgs_alone(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let other = second_org(&f)?;
    let ours = loaded(&f, &f.admin, &["Acme", "Globex"])?;
    let theirs = loaded(&f, &other, &["Initech"])?;
    put_blob(&blobs, &keys::upload(f.org(), ours.id), "ours")?;
    put_blob(&blobs, &keys::upload(other.org_id, theirs.id), "theirs")?;

    assert!(f.store.reset_org(f.org(), &blobs)?);
    assert_eq!(accounts(&f, f.org())?, 0);
    assert_eq!(f.store.get_job(f.org(), ours.id)?.map(|j| j.id), None);
    assert!(f.store.count_jobs(f.org())?.is_empty());
    assert_eq!(read_blob(&blobs, &keys::upload(f.org(), ours.id))?, None);

    assert_eq!(accounts(&f, other.org_id)?, 1);
    let kept = f.store.get_job(other.org_id, theirs.id)?;
    assert_eq!(kept.map(|j| j.state), Some(JobState::JobComplete));
    assert_eq!(
        read_blob(&blobs, &keys::upload(other.org_id, theirs.id))?.as_deref(),
        Some("theirs")
    );
    Ok(())
}

pub fn a_reset_keeps_orgs_users_apps_and_tokens(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let user = f.store.create_user(
        f.org(),
        "tester@reset.test",
        Some("Reset-Pa55"),
        "Tester",
        "Tess",
    )?;
    let (app, secret) = f.store.create_app(f.org(), "Pipeline", None)?;
    f.store
        .save_token(&user, "token-kept", TokenKind::Access, Some(app.id), None)?;
    loaded(&f, &f.admin, &["Acme"])?;
    let orgs = f.store.list_orgs()?;

    f.store.reset_all(&blobs)?;
    assert_eq!(f.store.list_orgs()?, orgs);
    assert_eq!(
        f.store.list_users(f.org())?,
        vec![f.admin.clone(), user.clone()]
    );
    assert_eq!(
        f.store.token_principal("token-kept", TokenKind::Access)?,
        Some((user.clone(), Some(app.id)))
    );
    assert_eq!(f.store.check_app(&app.client_id, &secret)?, Some(app));
    assert_eq!(
        f.store.login_password("tester@reset.test", "Reset-Pa55")?,
        Some(user.clone())
    );
    for (object, id) in [
        ("User", user.user_id),
        ("User", f.admin.user_id),
        ("Organization", f.org()),
    ] {
        assert!(
            f.store.get_record(f.org(), object, id)?.is_some(),
            "the {object} record {id} outlives the reset"
        );
    }
    assert_eq!(accounts(&f, f.org())?, 0);
    Ok(())
}

pub fn a_reset_clears_the_api_counters(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let other = second_org(&f)?;
    let now = Utc::now();
    f.store
        .add_api_usage(f.org(), ApiCounter::ApiRequests, 7, now)?;
    f.store
        .add_api_usage(f.org(), ApiCounter::QueryJobs, 2, now)?;
    f.store
        .add_api_usage(other.org_id, ApiCounter::ApiRequests, 3, now)?;
    assert!(f.store.reset_org(f.org(), &blobs)?);
    assert_eq!(f.store.api_usage(f.org(), ApiCounter::ApiRequests, now)?, 0);
    assert_eq!(f.store.api_usage(f.org(), ApiCounter::QueryJobs, now)?, 0);
    assert_eq!(
        f.store
            .api_usage(other.org_id, ApiCounter::ApiRequests, now)?,
        3
    );
    Ok(())
}

pub fn ids_are_not_minted_again_after_a_reset(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let first = claimed_in(&f, &f.admin)?;
    let before = apply_in(&f, f.org(), &first, 0, &["Acme", "Globex"])?.unwrap_or_default();
    assert_eq!(before.len(), 2);
    f.store.reset_all(&blobs)?;
    let second = claimed_in(&f, &f.admin)?;
    assert_ne!(second.id, first.id, "a job id is never minted twice");
    let after = apply_in(&f, f.org(), &second, 0, &["Acme", "Globex"])?.unwrap_or_default();
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|id| !before.contains(id)),
        "record ids are never minted twice: {before:?} then {after:?}"
    );
    Ok(())
}

pub fn an_unknown_org_is_not_reset(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    loaded(&f, &f.admin, &["Acme"])?;
    let unknown = SfId::mint(KeyPrefix::ORG, 0, 4000);
    assert!(!f.store.reset_org(unknown, &blobs)?);
    assert_eq!(accounts(&f, f.org())?, 1);
    Ok(())
}

pub fn a_worker_whose_job_was_reset_stops_cleanly(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (_dir, blobs) = scratch_blobs()?;
    let job = claimed_in(&f, &f.admin)?;
    assert!(apply_in(&f, f.org(), &job, 0, &["Acme"])?.is_some());
    f.store.reset_all(&blobs)?;
    assert_eq!(
        apply_in(&f, f.org(), &job, 1, &["Globex"])?,
        None,
        "the vanished job takes no chunk"
    );
    assert!(
        !f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    assert_eq!(accounts(&f, f.org())?, 0);
    assert!(f.store.claim_job()?.is_none());
    Ok(())
}
