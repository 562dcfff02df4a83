//! Snapshots kept in the database: every org's records and jobs as of one moment, with copies of the
//! blobs those jobs reference.
//!
//! ```text
//! bulkforce.snapshots                  id, name, created_ms, orgs (names map to generated ids: a schema
//!                                      name is at most 63 bytes, a snapshot name 64 characters)
//! snap_<id>.jobs, snap_<id>.job_states  the job rows and timelines of every org
//! snap_<id>_<orgid>.<Object>           each org's records, one table per sObject table
//! blobs: snapshots/<id>/orgs/<orgId>/jobs/<jobId>/…   the blobs of the jobs the snapshot holds
//! ```
//!
//! A snapshot is copied in one REPEATABLE READ transaction: every table is read as of the same moment,
//! however busy the workers are, so the records are exactly those of the chunks its checkpoints count.
//! The blobs are copied in that transaction too (server-side in a bucket), after the rows: a chunk's
//! result parts are durable before its commit, so they cover everything the copy references. The row in
//! `bulkforce.snapshots` commits with the rest: a snapshot is complete or does not exist. A deleted
//! snapshot's blobs are removed by the next snapshot or restore (deleting is given no blob store).

use super::{PgStore, lock_data_ops, tables_of};
use crate::blob::{BlobStore, keys};
use crate::postgres::ddl::{org_schema, quote};
use crate::snapshot::{SnapshotInfo, check_name};
use crate::{Result, StoreError};
use bulkforce_core::id::SfId;
use chrono::{TimeZone, Utc};
use postgres::{GenericClient, IsolationLevel};

/// The schema holding a snapshot's jobs.
pub(super) fn jobs_schema(id: i64) -> String {
    format!("snap_{id}")
}

/// The schema holding a snapshot's copy of `org`'s records.
pub(super) fn records_schema(id: i64, org: SfId) -> String {
    format!("snap_{id}_{}", org.as_str().to_ascii_lowercase())
}

/// Where a snapshot keeps the blobs of a job (the job's own folder under the snapshot's).
pub(super) fn job_blobs(id: i64, org: SfId, job: SfId) -> String {
    format!("snapshots/{id}/{}", keys::job(org, job))
}

/// A stored snapshot: its id and what is known of it.
pub(super) struct Stored {
    pub(super) id: i64,
    pub(super) info: SnapshotInfo,
}

impl PgStore {
    pub(in crate::postgres) fn pg_create_snapshot(
        &self,
        name: &str,
        blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        check_name(name)?;
        let _one_at_a_time = self.data_ops.lock();
        self.sweep_deleted_snapshots(blobs)?;
        for org in self.org_ids()? {
            self.org(org)?; // every org's tables up to date before they are copied
        }
        let mut conn = self.conn()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()?;
        lock_data_ops(&mut tx)?;
        if find(&mut tx, name)?.is_some() {
            return Err(StoreError::Duplicate(format!(
                "a snapshot named {name:?} exists"
            )));
        }
        let stored = insert(&mut tx, name)?;
        copy_rows(&mut tx, &stored)?;
        let copied = copy_blobs(&mut tx, &stored, blobs).and_then(|()| Ok(tx.commit()?));
        if let Err(e) = copied {
            // Nothing of it in the database (rolled back): its blobs go too.
            let _ = blobs.delete_prefix(&format!("snapshots/{}", stored.id));
            return Err(e);
        }
        tracing::info!(
            snapshot = name,
            orgs = stored.info.orgs.len(),
            "snapshot taken"
        );
        Ok(stored.info)
    }

    pub(in crate::postgres) fn pg_list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.conn()?
            .query(
                "SELECT id, name, created_ms, orgs FROM bulkforce.snapshots ORDER BY created_ms, name",
                &[],
            )?
            .iter()
            .map(|row| stored_of(row).map(|stored| stored.info))
            .collect()
    }

    pub(in crate::postgres) fn pg_delete_snapshot(&self, name: &str) -> Result<()> {
        let missing = || StoreError::NotFound(format!("no snapshot named {name:?}"));
        check_name(name).map_err(|_| missing())?;
        let _one_at_a_time = self.data_ops.lock();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_data_ops(&mut tx)?;
        let row = tx
            .query_opt(
                "DELETE FROM bulkforce.snapshots WHERE name = $1 RETURNING id, name, created_ms, orgs",
                &[&name],
            )?
            .ok_or_else(missing)?;
        let stored = stored_of(&row)?;
        drop_schemas(&mut tx, &stored)?;
        tx.execute(
            "INSERT INTO bulkforce.deleted_snapshots (id) VALUES ($1)",
            &[&stored.id],
        )?;
        tx.commit()?;
        tracing::info!(snapshot = name, "snapshot deleted");
        Ok(())
    }

    /// Removes the blobs of deleted snapshots (what `delete_snapshot`, given no blob store, left).
    pub(super) fn sweep_deleted_snapshots(&self, blobs: &dyn BlobStore) -> Result<()> {
        let mut conn = self.conn()?;
        let ids: Vec<i64> = conn
            .query("SELECT id FROM bulkforce.deleted_snapshots", &[])?
            .iter()
            .map(|row| row.get(0))
            .collect();
        for id in ids {
            blobs.delete_prefix(&format!("snapshots/{id}"))?;
            conn.execute(
                "DELETE FROM bulkforce.deleted_snapshots WHERE id = $1",
                &[&id],
            )?;
        }
        Ok(())
    }
}

/// The snapshot named `name`, if there is one.
pub(super) fn find(client: &mut impl GenericClient, name: &str) -> Result<Option<Stored>> {
    client
        .query_opt(
            "SELECT id, name, created_ms, orgs FROM bulkforce.snapshots WHERE name = $1",
            &[&name],
        )?
        .map(|row| stored_of(&row))
        .transpose()
}

fn stored_of(row: &postgres::Row) -> Result<Stored> {
    let corrupt = |what: String| StoreError::Corrupt(format!("snapshot: {what}"));
    let created_ms: i64 = row.get(2);
    let orgs: Vec<String> = row.get(3);
    Ok(Stored {
        id: row.get(0),
        info: SnapshotInfo {
            name: row.get(1),
            created: Utc
                .timestamp_millis_opt(created_ms)
                .single()
                .ok_or_else(|| corrupt(format!("bad creation time {created_ms}")))?,
            orgs: orgs
                .iter()
                .map(|org| SfId::parse(org).map_err(|e| corrupt(format!("{org}: {e}"))))
                .collect::<Result<_>>()?,
        },
    })
}

/// Records the snapshot (every org of this moment), named and timed in real time to the millisecond.
fn insert(tx: &mut postgres::Transaction<'_>, name: &str) -> Result<Stored> {
    let orgs: Vec<String> = tx
        .query("SELECT id FROM bulkforce.orgs ORDER BY id", &[])?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let created_ms = Utc::now().timestamp_millis();
    let inserted = tx.query_one(
        "INSERT INTO bulkforce.snapshots (name, created_ms, orgs) VALUES ($1, $2, $3)
         RETURNING id, name, created_ms, orgs",
        &[&name, &created_ms, &orgs],
    );
    match inserted {
        Ok(row) => stored_of(&row),
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => Err(
            StoreError::Duplicate(format!("a snapshot named {name:?} exists")),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Copies the job rows and every org's tables into the snapshot's schemas.
fn copy_rows(tx: &mut postgres::Transaction<'_>, stored: &Stored) -> Result<()> {
    let jobs = quote(&jobs_schema(stored.id));
    tx.batch_execute(&format!(
        "CREATE SCHEMA {jobs};
         CREATE TABLE {jobs}.jobs AS SELECT * FROM bulkforce.jobs;
         CREATE TABLE {jobs}.job_states AS SELECT * FROM bulkforce.job_states;"
    ))?;
    for org in &stored.info.orgs {
        let (live, copy) = (org_schema(*org), records_schema(stored.id, *org));
        tx.batch_execute(&format!("CREATE SCHEMA {}", quote(&copy)))?;
        for table in tables_of(tx, &live)? {
            tx.batch_execute(&format!(
                "CREATE TABLE {copy}.{table} AS SELECT * FROM {live}.{table}",
                copy = quote(&copy),
                live = quote(&live),
                table = quote(&table),
            ))?;
        }
    }
    Ok(())
}

/// Copies the blobs of every job the snapshot holds.
fn copy_blobs(
    tx: &mut postgres::Transaction<'_>,
    stored: &Stored,
    blobs: &dyn BlobStore,
) -> Result<()> {
    for (org, job) in snapshot_jobs(tx, stored.id, None)? {
        blobs.copy_prefix(&keys::job(org, job), &job_blobs(stored.id, org, job))?;
    }
    Ok(())
}

/// The (org, job) pairs a snapshot holds, of one org or all.
pub(super) fn snapshot_jobs(
    client: &mut impl GenericClient,
    id: i64,
    org: Option<SfId>,
) -> Result<Vec<(SfId, SfId)>> {
    let org = org.map(|o| o.as_str().to_owned());
    client
        .query(
            &format!(
                "SELECT org_id, id FROM {}.jobs WHERE $1::text IS NULL OR org_id = $1",
                quote(&jobs_schema(id))
            ),
            &[&org],
        )?
        .iter()
        .map(|row| Ok((super::parse_id(row.get(0))?, super::parse_id(row.get(1))?)))
        .collect()
}

fn drop_schemas(tx: &mut postgres::Transaction<'_>, stored: &Stored) -> Result<()> {
    tx.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {} CASCADE",
        quote(&jobs_schema(stored.id))
    ))?;
    for org in &stored.info.orgs {
        tx.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote(&records_schema(stored.id, *org))
        ))?;
    }
    Ok(())
}
