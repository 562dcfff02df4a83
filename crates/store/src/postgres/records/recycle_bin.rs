//! Purging the recycle bin on PostgreSQL: each table's deleted records older than the cutoff removed in
//! one transaction under the org's writer lock.
//!
//! A watermark per org (`bulkforce.recycle_bins`: the earliest deletion that may still be in its
//! recycle bin) keeps the background purge cheap with many orgs: one query finds the orgs with
//! something due; an org without a watermark, or whose watermark is recent, costs nothing. A soft
//! delete lowers the watermark in its own transaction ([`note_deleted`]); a purge sets it to the
//! earliest deletion left, or drops it when none is; a restore makes it due at once ([`note_unknown`]).

use crate::Result;
use crate::cascade::recycled_objects;
use crate::postgres::PgStore;
use crate::postgres::ddl::{org_schema, quote};
use crate::postgres::org_lock::lock_org_writes;
use bulkforce_core::id::SfId;
use bulkforce_core::value::format_datetime;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

/// Lowers `org`'s watermark to `deleted_at` (the stamp of a soft delete just made), if it is earlier.
pub(in crate::postgres) fn note_deleted(
    client: &mut impl GenericClient,
    org: SfId,
    deleted_at: &str,
) -> Result<()> {
    client.execute(
        "INSERT INTO bulkforce.recycle_bins (org_id, deleted_since) VALUES ($1, $2)
         ON CONFLICT (org_id) DO UPDATE SET deleted_since = EXCLUDED.deleted_since
         WHERE bulkforce.recycle_bins.deleted_since > EXCLUDED.deleted_since",
        &[&org.as_str(), &deleted_at],
    )?;
    Ok(())
}

/// Makes `org`'s recycle bin due at the next purge (its records were replaced: a snapshot restored).
pub(in crate::postgres) fn note_unknown(client: &mut impl GenericClient, org: SfId) -> Result<()> {
    note_deleted(client, org, "")
}

impl PgStore {
    pub(in crate::postgres) fn pg_purge_recycle_bin(
        &self,
        org: SfId,
        before: DateTime<Utc>,
    ) -> Result<u64> {
        let cutoff = format_datetime(&before);
        let due = self.conn()?.query_opt(
            "SELECT 1 FROM bulkforce.recycle_bins WHERE org_id = $1 AND deleted_since < $2",
            &[&org.as_str(), &cutoff],
        )?;
        if due.is_none() {
            return Ok(0);
        }
        self.purge_org(org, &cutoff)
    }

    pub(in crate::postgres) fn pg_purge_recycle_bins(&self, before: DateTime<Utc>) -> Result<u64> {
        let cutoff = format_datetime(&before);
        let due: Vec<String> = self
            .conn()?
            .query(
                "SELECT org_id FROM bulkforce.recycle_bins WHERE deleted_since < $1 ORDER BY org_id",
                &[&cutoff],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut purged = 0;
        for org in due {
            let org = SfId::parse(&org).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            purged += self.purge_org(org, &cutoff)?;
        }
        Ok(purged)
    }

    /// Removes `org`'s records deleted before `cutoff` and moves its watermark to the earliest
    /// deletion left (none: dropped), in one transaction under the org's writer lock.
    fn purge_org(&self, org: SfId, cutoff: &str) -> Result<u64> {
        self.org(org)?;
        let schema_name = org_schema(org);
        let tables: Vec<String> = recycled_objects(&self.schema)
            .map(|o| format!("{}.{}", quote(&schema_name), quote(&o.name)))
            .collect();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        lock_org_writes(&mut tx, org)?;
        let mut purged = 0;
        for table in &tables {
            let sql = format!(
                "DELETE FROM {table} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" < $1::text"
            );
            purged += tx.execute(&sql, &[&cutoff])?;
        }
        match earliest_deleted(&mut tx, &tables)? {
            Some(earliest) => {
                tx.execute(
                    "UPDATE bulkforce.recycle_bins SET deleted_since = $2 WHERE org_id = $1",
                    &[&org.as_str(), &earliest],
                )?;
            }
            None => {
                tx.execute(
                    "DELETE FROM bulkforce.recycle_bins WHERE org_id = $1",
                    &[&org.as_str()],
                )?;
            }
        }
        tx.commit()?;
        Ok(purged)
    }
}

/// The earliest deletion still in any of `tables` (one probe of each partial index).
fn earliest_deleted(client: &mut impl GenericClient, tables: &[String]) -> Result<Option<String>> {
    let mut earliest: Option<String> = None;
    for table in tables {
        let sql =
            format!("SELECT MIN(\"SystemModstamp\")::text FROM {table} WHERE \"IsDeleted\" = 1");
        let found: Option<String> = client.query_one(&sql, &[])?.get(0);
        if let Some(found) = found
            && earliest.as_ref().is_none_or(|e| found < *e)
        {
            earliest = Some(found);
        }
    }
    Ok(earliest)
}
