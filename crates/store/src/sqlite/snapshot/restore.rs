//! Restoring a snapshot into the live store while other threads use it.
//!
//! Each org's snapshot database is copied aside, brought up to the current schema and adjusted to what
//! must outlive a restore (below), then copied into the live database with SQLite's online backup API
//! through the org's own writer connection: the connections stay open, readers see the old data or the
//! new, never a mix, and no other write of this process interleaves (the writer lock is held). What
//! outlives a restore: the User records of the org's users (users are not part of a snapshot), the id
//! sequences (never lower than now: an id is never minted twice), and the claims of jobs workers run
//! right now (see `DataOps`). Jobs InProgress in the snapshot are left unclaimed, as after a restart.

use super::super::reset::id_list;
use super::super::{READER_CACHE_KIB, SqliteStore, data_ops, ddl, jobs, open_connection};
use super::{org_file, sweep_leftovers};
use crate::blob::{BlobStore, keys};
use crate::snapshot::SnapshotInfo;
use crate::{Result, StoreError, private_fs};
use bulkforce_core::id::SfId;
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::fs;
use std::path::Path;

impl SqliteStore {
    /// `Store::restore_snapshot`, to be called under `DataOps::one_at_a_time`.
    pub(crate) fn restore_snapshot_now(
        &self,
        name: &str,
        blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        let (dir, info) = self.snapshot_dir(name)?;
        sweep_leftovers(&self.snapshots_dir())?;
        for org in self.org_ids()? {
            if info.orgs.contains(&org) {
                self.restore_org(org, &dir, blobs)?;
            } else {
                self.reset_org_now(org, blobs)?;
            }
        }
        tracing::info!(snapshot = name, "snapshot restored");
        Ok(info)
    }

    fn restore_org(&self, org: SfId, snapshot: &Path, blobs: &dyn BlobStore) -> Result<()> {
        let users = self.org_user_ids(org)?;
        let work = tempfile::Builder::new()
            .prefix(".restoring-")
            .tempdir_in(self.snapshots_dir())?;
        let staged_path = work.path().join("org.db");
        private_fs::create_private_file_if_missing(&staged_path)?;
        fs::copy(org_file(snapshot, org), &staged_path)?;
        let mut staged = open_connection(&staged_path, READER_CACHE_KIB)?;
        ddl::migrate(&staged, &self.schema)?;

        let db = self.org(org)?;
        let mut writer = db.writer.lock();
        let running = data_ops::claimed_jobs(&writer)?;
        let still_claimed = adjust(&mut staged, &db.path, &users, &running)?;
        copy_into(&staged, &mut writer)?;
        for job in still_claimed {
            self.data_ops.mark_stale(org, job);
        }
        // Still under the writer lock: no worker of this org writes a result part meanwhile.
        blobs.import_prefix(&keys::org(org), &snapshot.join("blobs"))?;
        drop(writer);
        drop(staged);
        Ok(())
    }
}

/// Adjusts the staged copy to what outlives a restore (see the module doc), reading the live database
/// at `live`; returns the jobs that stay claimed because a worker runs them now.
fn adjust(
    staged: &mut Connection,
    live: &Path,
    users: &[String],
    running: &[String],
) -> Result<Vec<SfId>> {
    let live = live
        .to_str()
        .ok_or_else(|| StoreError::Invalid("the data dir's path is not UTF-8".into()))?;
    staged.execute("ATTACH DATABASE ?1 AS live", [live])?;
    let adjusted = adjust_attached(staged, users, running);
    staged.execute("DETACH DATABASE live", [])?;
    adjusted
}

fn adjust_attached(
    staged: &mut Connection,
    users: &[String],
    running: &[String],
) -> Result<Vec<SfId>> {
    let tx = staged.transaction()?;
    tx.execute("UPDATE main.bf_jobs SET claimed = 0 WHERE claimed != 0", [])?;
    jobs::release_interrupted_uploads(&tx)?;
    let still_claimed = {
        let mut stmt = tx.prepare(
            "UPDATE main.bf_jobs SET claimed = 1
             WHERE id IN (SELECT value FROM json_each(?1)) AND state IN ('UploadComplete', 'InProgress')
             RETURNING id",
        )?;
        stmt.query_map([id_list(running)], |r| r.get::<_, String>(0))?
            .map(|id| {
                let id = id?;
                SfId::parse(&id).map_err(|e| StoreError::Corrupt(format!("{id}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?
    };
    tx.execute(
        "INSERT INTO main.bf_sequences (prefix, next) SELECT prefix, next FROM live.bf_sequences WHERE true
         ON CONFLICT (prefix) DO UPDATE SET next = max(next, excluded.next)",
        [],
    )?;
    let user_columns = stored_columns(&tx, "User")?;
    tx.execute(
        &format!(
            "INSERT INTO main.\"User\" ({user_columns}) SELECT {user_columns} FROM live.\"User\"
             WHERE \"Id\" IN (SELECT value FROM json_each(?1))
               AND \"Id\" NOT IN (SELECT \"Id\" FROM main.\"User\")"
        ),
        [id_list(users)],
    )?;
    let org_columns = stored_columns(&tx, "Organization")?;
    tx.execute(
        &format!(
            "INSERT OR IGNORE INTO main.\"Organization\" ({org_columns})
             SELECT {org_columns} FROM live.\"Organization\""
        ),
        [],
    )?;
    tx.commit()?;
    Ok(still_claimed)
}

/// The columns of `table` a row stores (generated ones left out), quoted and comma-separated.
fn stored_columns(conn: &Connection, table: &str) -> Result<String> {
    let mut stmt =
        conn.prepare("SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden = 0")?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .map(|name| Ok(ddl::quote(&name?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(names.join(", "))
}

/// Replaces the live database behind `writer` with `staged`, in one step of the backup API: one write
/// transaction on the live database, so its readers see all of it or none.
fn copy_into(staged: &Connection, writer: &mut Connection) -> Result<()> {
    let backup = Backup::new(staged, writer)?;
    match backup.step(-1)? {
        StepResult::Done => Ok(()),
        other => Err(StoreError::Invalid(format!(
            "copying a snapshot into the live database stopped midway: {other:?}"
        ))),
    }
}
