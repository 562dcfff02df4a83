//! Resets and snapshots on PostgreSQL, with the SQLite backend's semantics (see `Store::reset_org` and
//! `Store::restore_snapshot`), for any number of instances sharing the database.
//!
//! - One at a time: in this instance behind `PgStore::data_ops`, across instances behind a
//!   transaction-scoped advisory lock ([`DATA_OPS_LOCK`]) each operation takes first.
//! - A reset deletes the org's job rows (their timelines cascade), its records but its users' User rows
//!   and the Organization record, and its API counters, in one transaction; id sequences stay, so no id
//!   is minted twice. A worker running one of its jobs finds the row gone at its next fenced commit and
//!   stops; the jobs' blobs go once the transaction committed.
//! - Snapshots ([`snapshot`]) are kept in the database itself, restores ([`restore`]) put them back.

mod restore;
mod snapshot;

use super::PgStore;
use super::ddl::{org_schema, quote};
use super::org_lock::lock_org_writes;
use crate::Result;
use crate::blob::{BlobStore, keys};
use bulkforce_core::id::SfId;
use postgres::GenericClient;

/// The advisory lock every reset, snapshot, restore and snapshot deletion holds for its transaction (an
/// arbitrary constant, other than the migrations' one: "bfdataop" in ASCII).
const DATA_OPS_LOCK: i64 = 0x6266_6461_7461_6f70;

/// Records a reset leaves alone: the Organization record describes the org, which stays.
const KEPT_TABLE: &str = "Organization";

impl PgStore {
    pub(in crate::postgres) fn pg_reset_org(
        &self,
        org: SfId,
        blobs: &dyn BlobStore,
    ) -> Result<bool> {
        let _one_at_a_time = self.data_ops.lock();
        self.reset_org_now(org, blobs)
    }

    pub(in crate::postgres) fn pg_reset_all(&self, blobs: &dyn BlobStore) -> Result<()> {
        let _one_at_a_time = self.data_ops.lock();
        for org in self.org_ids()? {
            self.reset_org_now(org, blobs)?;
        }
        Ok(())
    }

    /// `reset_org` under `data_ops`: the rows in one transaction, then the blobs of the jobs it deleted
    /// (by job, so that a job created right after the reset keeps its upload).
    fn reset_org_now(&self, org: SfId, blobs: &dyn BlobStore) -> Result<bool> {
        if !self.org_exists(org)? {
            return Ok(false);
        }
        self.org(org)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_data_ops(&mut tx)?;
        let jobs = clear_org(&mut tx, org)?;
        tx.commit()?;
        for job in &jobs {
            blobs.delete_prefix(&keys::job(org, *job))?;
        }
        tracing::info!(%org, jobs = jobs.len(), "org reset");
        Ok(true)
    }

    fn org_exists(&self, org: SfId) -> Result<bool> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT 1 FROM bulkforce.orgs WHERE id = $1",
                &[&org.as_str()],
            )?
            .is_some())
    }

    /// After a fenced commit or finish of `job` failed (its transaction rolled back): if the job's lease
    /// still names this instance under an epoch this instance does not hold, a restore took the job from
    /// this instance's worker (see `restore`). The lease is dropped, so that any instance claims the job
    /// at once and resumes it from the restored checkpoint; true if it was. No worker of this instance
    /// can commit under such a lease anyway (the fence wants this instance's epoch), so dropping it only
    /// hands the job on sooner.
    pub(in crate::postgres) fn release_revoked_claim(&self, org: SfId, job: SfId) -> Result<bool> {
        let mine = self.leases.epoch(org, job);
        let released = self.conn()?.execute(
            "UPDATE bulkforce.jobs SET lease_owner = NULL, lease_until = NULL
             WHERE org_id = $1 AND id = $2 AND lease_owner = $3 AND lease_epoch IS DISTINCT FROM $4",
            &[&org.as_str(), &job.as_str(), &self.leases.instance_id, &mine],
        )? > 0;
        if released {
            self.leases.forget(org, job);
            tracing::info!(%org, %job, "a job's worker stopped after a restore; the job resumes from the snapshot");
        }
        Ok(released)
    }
}

/// Waits for any other instance's reset, snapshot or restore to end; held until `tx` ends.
fn lock_data_ops(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&DATA_OPS_LOCK])?;
    Ok(())
}

/// Empties `org` in `tx` as a reset does (see the module doc); the ids of the jobs deleted.
fn clear_org(tx: &mut postgres::Transaction<'_>, org: SfId) -> Result<Vec<SfId>> {
    lock_org_writes(tx, org)?;
    let jobs = delete_jobs(tx, org)?;
    let users = user_ids(tx, org)?;
    let schema = org_schema(org);
    for table in tables_of(tx, &schema)? {
        let target = format!("{}.{}", quote(&schema), quote(&table));
        if table == "User" {
            tx.execute(
                &format!("DELETE FROM {target} WHERE \"Id\" <> ALL($1)"),
                &[&users],
            )?;
        } else if table != KEPT_TABLE {
            tx.batch_execute(&format!("DELETE FROM {target}"))?;
        }
    }
    super::control::forget_usage(tx, org)?;
    let is_default: bool = tx
        .query_one(
            "SELECT is_default FROM bulkforce.orgs WHERE id = $1",
            &[&org.as_str()],
        )?
        .get(0);
    if is_default {
        // The default org's seed went with its records: the next `serve --seed` loads it again.
        super::control::clear_seed_marker(tx)?;
    }
    Ok(jobs)
}

/// Deletes every job row of `org` (timelines cascade); their ids.
fn delete_jobs(tx: &mut postgres::Transaction<'_>, org: SfId) -> Result<Vec<SfId>> {
    tx.query(
        "DELETE FROM bulkforce.jobs WHERE org_id = $1 RETURNING id",
        &[&org.as_str()],
    )?
    .iter()
    .map(|row| parse_id(row.get(0)))
    .collect()
}

/// The ids of `org`'s users: their User records outlive resets and restores.
fn user_ids(client: &mut impl GenericClient, org: SfId) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT id FROM bulkforce.users WHERE org_id = $1",
            &[&org.as_str()],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The tables of `schema`, found in the catalog, so that whatever a later version keeps per org is
/// reset and snapshotted too.
fn tables_of(client: &mut impl GenericClient, schema: &str) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name",
            &[&schema],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The columns of `schema.table` a row stores (generated ones left out).
fn stored_columns(
    client: &mut impl GenericClient,
    schema: &str,
    table: &str,
) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER'
             ORDER BY ordinal_position",
            &[&schema, &table],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

fn parse_id(id: String) -> Result<SfId> {
    SfId::parse(&id).map_err(|e| crate::StoreError::Corrupt(format!("{id}: {e}")))
}
