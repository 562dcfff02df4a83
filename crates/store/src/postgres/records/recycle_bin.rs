//! Purging the recycle bin on PostgreSQL: each table's deleted records older than the cutoff removed in
//! one transaction under the org's writer lock, taken only when a plain read found something due.

use crate::Result;
use crate::cascade::recycled_objects;
use crate::postgres::PgStore;
use crate::postgres::ddl::{org_schema, quote};
use crate::postgres::org_lock::lock_org_writes;
use bulkforce_core::id::SfId;
use bulkforce_core::value::format_datetime;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

impl PgStore {
    pub(in crate::postgres) fn pg_purge_recycle_bin(
        &self,
        org: SfId,
        before: DateTime<Utc>,
    ) -> Result<u64> {
        self.org(org)?;
        let cutoff = format_datetime(&before);
        let schema_name = org_schema(org);
        let tables: Vec<String> = recycled_objects(&self.schema)
            .map(|o| format!("{}.{}", quote(&schema_name), quote(&o.name)))
            .collect();
        let mut conn = self.conn()?;
        if !anything_due(&mut *conn, &tables, &cutoff)? {
            return Ok(0);
        }
        let mut tx = conn.transaction()?;
        lock_org_writes(&mut tx, org)?;
        let mut purged = 0;
        for table in &tables {
            let sql = format!(
                "DELETE FROM {table} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" < $1::text"
            );
            purged += tx.execute(&sql, &[&cutoff])?;
        }
        tx.commit()?;
        Ok(purged)
    }
}

/// Whether any of `tables` holds a record deleted before `cutoff` (one probe of each partial index).
fn anything_due(client: &mut impl GenericClient, tables: &[String], cutoff: &str) -> Result<bool> {
    for table in tables {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" < $1::text)"
        );
        if client.query_one(&sql, &[&cutoff])?.get::<_, bool>(0) {
            return Ok(true);
        }
    }
    Ok(false)
}
