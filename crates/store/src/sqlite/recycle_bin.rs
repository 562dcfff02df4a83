//! Purging the recycle bin on SQLite: each table's deleted records older than the cutoff removed, in
//! one writer transaction, taken only when a read connection found something due.

use super::OrgDb;
use super::ddl::quote;
use crate::Result;
use crate::cascade::recycled_objects;
use bulkforce_core::schema::Schema;
use bulkforce_core::value::format_datetime;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// Removes `db`'s records deleted before `before`; how many.
pub(crate) fn purge(db: &OrgDb, schema: &Schema, before: DateTime<Utc>) -> Result<u64> {
    let cutoff = format_datetime(&before);
    if !db.read(|conn| anything_due(conn, schema, &cutoff))? {
        return Ok(0);
    }
    let mut conn = db.writer.lock();
    let tx = conn.transaction()?;
    let mut purged = 0;
    for object in recycled_objects(schema) {
        let sql = format!(
            "DELETE FROM {} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" < ?1",
            quote(&object.name)
        );
        purged += tx.execute(&sql, [&cutoff])? as u64;
    }
    tx.commit()?;
    Ok(purged)
}

/// Whether any table holds a record deleted before `cutoff` (one probe of each partial index).
fn anything_due(conn: &Connection, schema: &Schema, cutoff: &str) -> Result<bool> {
    for object in recycled_objects(schema) {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" < ?1)",
            quote(&object.name)
        );
        if conn
            .prepare_cached(&sql)?
            .query_row([cutoff], |r| r.get(0))?
        {
            return Ok(true);
        }
    }
    Ok(false)
}
