//! Resetting orgs: records, jobs (with their timelines and blobs) and API counters gone; the org, its
//! users (their User records too), apps, tokens and id sequences kept.

use super::SqliteStore;
use crate::Result;
use crate::blob::{BlobStore, keys};
use bulkforce_core::id::SfId;
use rusqlite::{Connection, OptionalExtension};

/// Tables a reset leaves alone: ids are minted from `bf_sequences` and must never be minted twice, and
/// the Organization record describes the org, which stays.
const KEPT_TABLES: [&str; 2] = ["bf_sequences", "Organization"];

impl SqliteStore {
    /// `Store::reset_org`, to be called under `DataOps::one_at_a_time`.
    pub(crate) fn reset_org_now(&self, org: SfId, blobs: &dyn BlobStore) -> Result<bool> {
        if !self.org_exists(org)? {
            return Ok(false);
        }
        let users = self.org_user_ids(org)?;
        // The default org's seed is gone with its records: the next `serve --seed` loads it again. The
        // marker goes first, so a crash in between leaves records without a marker (a start refuses to
        // seed over them), never a marker over an emptied org.
        if self.is_default_org(org)? {
            super::settings::clear_seed_marker(&self.control.lock())?;
        }
        let db = self.org(org)?;
        // The writer lock is held until the blobs are gone too: a worker applying chunks of a job of
        // this org waits, then finds the job gone and writes nothing more.
        let writer = db.writer.lock();
        clear_org(&writer, &users)?;
        self.data_ops.forget_org(org);
        blobs.delete_prefix(&keys::org(org))?;
        drop(writer);
        self.usage.forget_org(org);
        tracing::info!(%org, "org reset");
        Ok(true)
    }

    pub(crate) fn org_exists(&self, org: SfId) -> Result<bool> {
        Ok(self
            .control
            .lock()
            .query_row("SELECT 1 FROM orgs WHERE id = ?1", [org.as_str()], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    fn is_default_org(&self, org: SfId) -> Result<bool> {
        Ok(self
            .control
            .lock()
            .query_row(
                "SELECT 1 FROM orgs WHERE id = ?1 AND is_default = 1",
                [org.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The ids of the org's users (their User records outlive resets and restores).
    pub(crate) fn org_user_ids(&self, org: SfId) -> Result<Vec<String>> {
        Ok(self
            .org_users(org)?
            .into_iter()
            .map(|user| user.user_id.as_str().to_owned())
            .collect())
    }
}

/// Empties every table of an org database in one transaction, but the [`KEPT_TABLES`] and the User
/// records of `users`. Tables are found in the database itself, so that whatever a later version keeps
/// per org (timelines, holds) is reset too.
pub(crate) fn clear_org(conn: &Connection, users: &[String]) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    let tables: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let users = id_list(users);
    for table in tables.iter().filter(|t| !KEPT_TABLES.contains(&t.as_str())) {
        let quoted = super::ddl::quote(table);
        if table == "User" {
            tx.execute(
                &format!(
                    "DELETE FROM {quoted} WHERE \"Id\" NOT IN (SELECT value FROM json_each(?1))"
                ),
                [&users],
            )?;
        } else {
            tx.execute(&format!("DELETE FROM {quoted}"), [])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Ids as a JSON array, for `json_each` (ids are alphanumeric: nothing to escape).
pub(crate) fn id_list(ids: &[String]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}
