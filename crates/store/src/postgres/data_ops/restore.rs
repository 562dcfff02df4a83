//! Restoring a snapshot into the live database while instances use it, in one transaction: readers see
//! the old data or the new, never a mix.
//!
//! What outlives a restore: users, apps, tokens, API counters and id sequences (none of them is in a
//! snapshot; sequences never go back, so no id is minted twice), the User records of the org's users
//! and the Organization record. An org the snapshot does not hold is reset. Jobs come back unclaimed
//! (InProgress ones resume from their checkpoint, as after a restart), with epochs above any their rows
//! had, so no earlier claim can commit again; but a job some worker runs right now keeps that worker's
//! lease owner and expiry under the new epoch: no instance claims it while its worker may still be
//! writing, the worker's next fenced commit fails, and `release_revoked_claim` then hands the job on
//! (or the lease lapses, if that worker is gone). The blobs of the org's jobs are replaced in the same
//! transaction, while its job rows are locked, so no worker writes them meanwhile.

use super::snapshot::{Stored, find, job_blobs, jobs_schema, records_schema, snapshot_jobs};
use super::{
    KEPT_TABLE, PgStore, clear_org, delete_jobs, lock_data_ops, stored_columns, tables_of, user_ids,
};
use crate::blob::{BlobStore, keys};
use crate::postgres::ddl::{org_schema, quote};
use crate::postgres::org_lock::lock_org_writes;
use crate::snapshot::{SnapshotInfo, check_name};
use crate::{Result, StoreError};
use bulkforce_core::id::SfId;

/// The columns of `bulkforce.jobs` a restore writes from the snapshot's copy: all but the lease, which
/// the live row decides.
const LEASE_COLUMNS: [&str; 3] = ["lease_owner", "lease_epoch", "lease_until"];

impl PgStore {
    pub(in crate::postgres) fn pg_restore_snapshot(
        &self,
        name: &str,
        blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        let missing = || StoreError::NotFound(format!("no snapshot named {name:?}"));
        check_name(name).map_err(|_| missing())?;
        let _one_at_a_time = self.data_ops.lock();
        self.sweep_deleted_snapshots(blobs)?;
        let orgs = self.org_ids()?;
        for org in &orgs {
            self.org(*org)?;
        }
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_data_ops(&mut tx)?;
        let stored = find(&mut tx, name)?.ok_or_else(missing)?;
        for org in orgs {
            if stored.info.orgs.contains(&org) {
                restore_org(&mut tx, &stored, org, blobs)?;
            } else {
                for job in clear_org(&mut tx, org)? {
                    blobs.delete_prefix(&keys::job(org, job))?;
                }
            }
        }
        tx.commit()?;
        tracing::info!(snapshot = name, "snapshot restored");
        Ok(stored.info)
    }
}

fn restore_org(
    tx: &mut postgres::Transaction<'_>,
    stored: &Stored,
    org: SfId,
    blobs: &dyn BlobStore,
) -> Result<()> {
    lock_org_writes(tx, org)?;
    let deleted = restore_jobs(tx, stored.id, org)?;
    restore_records(tx, stored.id, org)?;
    crate::postgres::records::recycle_bin::note_unknown(tx, org)?;
    restore_blobs(tx, stored.id, org, &deleted, blobs)
}

/// Replaces the org's job rows and timelines with the snapshot's, leases as the module doc says; the
/// ids of the live jobs it deleted.
fn restore_jobs(tx: &mut postgres::Transaction<'_>, id: i64, org: SfId) -> Result<Vec<SfId>> {
    let snap = quote(&jobs_schema(id));
    // Workers' fenced transactions on these jobs end first; then the leases read are the current ones.
    tx.execute(
        "SELECT 1 FROM bulkforce.jobs WHERE org_id = $1 FOR UPDATE",
        &[&org.as_str()],
    )?;
    tx.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS bf_live_leases
             (id TEXT PRIMARY KEY, lease_owner TEXT, lease_epoch BIGINT, lease_until TIMESTAMPTZ,
              running BOOLEAN NOT NULL)
             ON COMMIT DROP;
         TRUNCATE bf_live_leases;",
    )?;
    tx.execute(
        "INSERT INTO bf_live_leases
         SELECT id, lease_owner, lease_epoch, lease_until,
                lease_owner IS NOT NULL AND lease_until > now()
                    AND state IN ('UploadComplete', 'InProgress')
         FROM bulkforce.jobs WHERE org_id = $1",
        &[&org.as_str()],
    )?;
    let deleted = delete_jobs(tx, org)?;
    let columns = common_columns(tx, ("bulkforce", "jobs"), (&jobs_schema(id), "jobs"))?;
    let list = column_list(
        columns
            .iter()
            .map(String::as_str)
            .filter(|c| !LEASE_COLUMNS.contains(c)),
    );
    tx.execute(
        &format!(
            "INSERT INTO bulkforce.jobs ({list}, lease_epoch)
             SELECT {list}, lease_epoch FROM {snap}.jobs WHERE org_id = $1"
        ),
        &[&org.as_str()],
    )?;
    let states = common_columns(
        tx,
        ("bulkforce", "job_states"),
        (&jobs_schema(id), "job_states"),
    )?;
    let states = column_list(states.iter().map(String::as_str));
    tx.execute(
        &format!(
            "INSERT INTO bulkforce.job_states ({states})
             SELECT {states} FROM {snap}.job_states
             WHERE job_id IN (SELECT id FROM {snap}.jobs WHERE org_id = $1)"
        ),
        &[&org.as_str()],
    )?;
    tx.execute(
        "UPDATE bulkforce.jobs j SET
             lease_epoch = greatest(j.lease_epoch, l.lease_epoch) + 1,
             lease_owner = CASE WHEN l.running AND j.state IN ('UploadComplete', 'InProgress')
                                THEN l.lease_owner END,
             lease_until = CASE WHEN l.running AND j.state IN ('UploadComplete', 'InProgress')
                                THEN l.lease_until END
         FROM bf_live_leases l WHERE j.org_id = $1 AND j.id = l.id",
        &[&org.as_str()],
    )?;
    // An upload being received when the snapshot was taken never finished into it.
    tx.execute(
        "UPDATE bulkforce.jobs SET upload_state = 'none', upload_owner = NULL
         WHERE org_id = $1 AND upload_state = 'receiving' AND state = 'Open'",
        &[&org.as_str()],
    )?;
    Ok(deleted)
}

/// Replaces the org's records with the snapshot's copy, but for the User records of its users that the
/// snapshot does not hold and the Organization record, which are kept.
fn restore_records(tx: &mut postgres::Transaction<'_>, id: i64, org: SfId) -> Result<()> {
    let (live, copy) = (org_schema(org), records_schema(id, org));
    let users = user_ids(tx, org)?;
    let copied = tables_of(tx, &copy)?;
    for table in tables_of(tx, &live)? {
        let target = format!("{}.{}", quote(&live), quote(&table));
        let source = copied
            .contains(&table)
            .then(|| format!("{}.{}", quote(&copy), quote(&table)));
        let in_copy = match &source {
            Some(source) => format!("\"Id\" IN (SELECT \"Id\" FROM {source})"),
            None => "false".to_owned(),
        };
        if table == "User" {
            tx.execute(
                &format!("DELETE FROM {target} WHERE \"Id\" <> ALL($1) OR {in_copy}"),
                &[&users],
            )?;
        } else if table == KEPT_TABLE {
            tx.batch_execute(&format!("DELETE FROM {target} WHERE {in_copy}"))?;
        } else {
            tx.batch_execute(&format!("DELETE FROM {target}"))?;
        }
        if let Some(source) = source {
            let columns = common_columns(tx, (&live, &table), (&copy, &table))?;
            let list = column_list(columns.iter().map(String::as_str));
            tx.batch_execute(&format!(
                "INSERT INTO {target} ({list}) SELECT {list} FROM {source}"
            ))?;
        }
    }
    Ok(())
}

/// Replaces the blobs of the org's jobs: those of the live jobs go, those the snapshot holds come back.
fn restore_blobs(
    tx: &mut postgres::Transaction<'_>,
    id: i64,
    org: SfId,
    deleted: &[SfId],
    blobs: &dyn BlobStore,
) -> Result<()> {
    for job in deleted {
        blobs.delete_prefix(&keys::job(org, *job))?;
    }
    for (_, job) in snapshot_jobs(tx, id, Some(org))? {
        blobs.delete_prefix(&keys::job(org, job))?;
        blobs.copy_prefix(&job_blobs(id, org, job), &keys::job(org, job))?;
    }
    Ok(())
}

/// The stored columns of the live table that the snapshot's copy also has (a table may have gained
/// columns since the snapshot: those stay null).
fn common_columns(
    tx: &mut postgres::Transaction<'_>,
    live: (&str, &str),
    copy: (&str, &str),
) -> Result<Vec<String>> {
    let copied = stored_columns(tx, copy.0, copy.1)?;
    Ok(stored_columns(tx, live.0, live.1)?
        .into_iter()
        .filter(|c| copied.contains(c))
        .collect())
}

fn column_list<'a>(columns: impl Iterator<Item = &'a str>) -> String {
    columns.map(quote).collect::<Vec<_>>().join(", ")
}
