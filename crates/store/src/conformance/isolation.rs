//! Org isolation: whatever belongs to one org is invisible from another, and ids are never shared.

use super::{Backend, Fixture, succeeded};
use crate::{Principal, Result, TokenKind, UploadStart};
use bulkforce_core::job::{Job, JobKind, JobState, Operation};

/// A second org with its admin, and an Open ingest job there.
fn second_org(f: &Fixture) -> Result<(Principal, Job)> {
    let other = f
        .store
        .create_org("Other", "admin@other.test", Some("pw"))?;
    let job = f.store.create_job(
        other.org_id,
        super::new_job(&other, Operation::Insert, "Account", None),
    )?;
    Ok((other, job))
}

pub fn another_orgs_job_is_invisible(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (other, theirs) = second_org(&f)?;
    let ours = f.create_ingest(Operation::Insert, "Account")?;
    let (store, org) = (&f.store, f.org());
    assert_eq!(store.get_job(org, theirs.id)?, None);
    assert_eq!(store.checkpoint(org, theirs.id)?, None);
    assert!(
        store
            .transition(org, theirs.id, &[JobState::Open], JobState::Aborted, None)?
            .is_none()
    );
    assert_eq!(store.begin_upload(org, theirs.id)?, None);
    assert!(!store.delete_job(org, theirs.id)?);
    let listed = store.list_jobs(org, JobKind::Ingest, None, 100)?;
    assert_eq!(
        listed.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ours.id]
    );
    // Their job is untouched by all of that.
    let still = store
        .get_job(other.org_id, theirs.id)?
        .expect("their job exists");
    assert_eq!(still.state, JobState::Open);
    assert_eq!(
        store.begin_upload(other.org_id, theirs.id)?,
        Some(UploadStart::Started)
    );
    assert_eq!(store.get_job(other.org_id, ours.id)?, None);
    Ok(())
}

pub fn another_orgs_records_are_invisible(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (other, _) = second_org(&f)?;
    let job = f.claimed(Operation::Insert)?;
    let outcomes = f
        .apply(&job, Operation::Insert, 0, vec![f.insert("Ours")])?
        .expect("the claimed job takes its chunk");
    let id = succeeded(&outcomes[0]).expect("created");
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 1);
    assert_eq!(f.store.count_records(other.org_id, "Account", true)?, 0);
    assert!(f.store.get_record(other.org_id, "Account", id)?.is_none());
    assert!(
        f.store
            .get_record(f.org(), "User", other.user_id)?
            .is_none(),
        "users are records of their own org"
    );
    Ok(())
}

pub fn tokens_users_and_apps_belong_to_their_org(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (other, _) = second_org(&f)?;
    f.store
        .save_token(&other, "their-token", TokenKind::Access, None, None)?;
    f.store.register_token(&f.admin, "our-token")?;
    assert_eq!(f.store.authenticate("their-token")?, Some(other.clone()));
    assert_eq!(
        f.store.authenticate("our-token")?.map(|p| p.org_id),
        Some(f.org())
    );
    let (app, _) = f.store.create_app(other.org_id, "Theirs", None)?;
    assert!(f.store.list_apps(f.org())?.is_empty());
    assert_eq!(f.store.list_apps(other.org_id)?, vec![app]);
    let ours: Vec<_> = f.store.list_users(f.org())?;
    assert_eq!(ours, vec![f.admin.clone()]);
    assert_eq!(f.store.list_users(other.org_id)?, vec![other]);
    Ok(())
}

pub fn ids_are_never_shared_between_orgs(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (other, theirs) = second_org(&f)?;
    let ours = f.create_ingest(Operation::Insert, "Account")?;
    assert_ne!(
        ours.id, theirs.id,
        "each org's first jobs get different ids"
    );
    assert_ne!(f.admin.user_id, other.user_id);
    assert_ne!(f.org(), other.org_id);
    Ok(())
}
