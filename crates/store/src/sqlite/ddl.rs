//! Tables for jobs and for each sObject, created and extended to match the schema at open.

use crate::{Result, StoreError};
use bulkforce_core::schema::{FieldType, SObject, Schema, Storage};
use rusqlite::Connection;
use std::collections::HashSet;

/// Quotes an identifier for SQL. Object and field names are `[A-Za-z0-9_]` (checked when the schema loads).
pub(crate) fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The quoted table of `object`, resolved case-insensitively.
pub(crate) fn table_name(schema: &Schema, object: &str) -> Result<String> {
    schema
        .object(object)
        .map(|o| quote(&o.name))
        .ok_or_else(|| StoreError::Invalid(format!("unknown object {object}")))
}

fn sql_type(ftype: FieldType) -> &'static str {
    match ftype.storage() {
        Storage::Text => "TEXT",
        Storage::Integer => "INTEGER",
        Storage::Real => "REAL",
    }
}

/// Brings an org database up to date with `schema`.
pub(crate) fn migrate(conn: &Connection, schema: &Schema) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bf_jobs (
             id TEXT PRIMARY KEY NOT NULL,
             operation TEXT NOT NULL,
             object TEXT NOT NULL,
             created_by TEXT NOT NULL,
             created_ms INTEGER NOT NULL,
             modstamp_ms INTEGER NOT NULL,
             state TEXT NOT NULL,
             external_id_field TEXT,
             assignment_rule_id TEXT,
             api_version INTEGER NOT NULL,
             column_delimiter TEXT NOT NULL,
             line_ending TEXT NOT NULL,
             processed INTEGER NOT NULL DEFAULT 0,
             failed INTEGER NOT NULL DEFAULT 0,
             retries INTEGER NOT NULL DEFAULT 0,
             started_ms INTEGER,
             total_ms INTEGER NOT NULL DEFAULT 0,
             active_ms INTEGER NOT NULL DEFAULT 0,
             error_message TEXT,
             upload_state TEXT NOT NULL DEFAULT 'none',
             upload_bytes INTEGER,
             query TEXT,
             claimed INTEGER NOT NULL DEFAULT 0,
             chunks_done INTEGER NOT NULL DEFAULT 0,
             next_offset INTEGER NOT NULL DEFAULT 0,
             next_line INTEGER NOT NULL DEFAULT 0);
         CREATE INDEX IF NOT EXISTS bf_jobs_claim ON bf_jobs (state, claimed);
         CREATE TABLE IF NOT EXISTS bf_sequences (prefix TEXT PRIMARY KEY NOT NULL, next INTEGER NOT NULL);",
    )?;
    migrate_versions(conn)?;
    for object in schema.objects() {
        migrate_object(conn, object)?;
    }
    for (object, field) in bulkforce_core::org::cascade::acted_on_lookups(schema) {
        // What a delete of a parent reads: its children through this lookup (see `crate::cascade`).
        let field_name = quote(&field);
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({field_name}) WHERE {field_name} IS NOT NULL",
            quote(&crate::cascade::lookup_index(&object, &field)),
            quote(&object)
        ))?;
    }
    Ok(())
}

/// Changes to the job tables after their first shape, in order: an org database whose `user_version` is N
/// has had the first N applied. Append only; never edit a released step.
const VERSIONS: &[&str] = &[
    // 1: held jobs (issue 13), and the timeline of the states each job entered. The trigger keeps the
    // timeline from outliving its job, whoever deletes it.
    "ALTER TABLE bf_jobs ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE bf_job_states (
         seq INTEGER PRIMARY KEY,
         job_id TEXT NOT NULL,
         state TEXT NOT NULL,
         at_ms INTEGER NOT NULL);
     CREATE INDEX bf_job_states_job ON bf_job_states (job_id, seq);
     CREATE TRIGGER bf_jobs_forget_states AFTER DELETE ON bf_jobs
         BEGIN DELETE FROM bf_job_states WHERE job_id = old.id; END;",
];

/// Applies the steps of [`VERSIONS`] the database has not had yet, each with its version number in one
/// transaction, so that an interrupted start leaves a database at one version or the next.
fn migrate_versions(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (version, step) in VERSIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
    }
    Ok(())
}

fn migrate_object(conn: &Connection, object: &SObject) -> Result<()> {
    let table = quote(&object.name);
    let mut columns = vec![format!("{} TEXT PRIMARY KEY NOT NULL", quote("Id"))];
    for field in object.stored_fields().filter(|f| f.name != "Id") {
        columns.push(format!("{} {}", quote(&field.name), sql_type(field.ftype)));
    }
    for field in object.fields() {
        if let Some((first, last)) = object.derived_name_parts(field) {
            // Person names are computed from their parts, as Salesforce does.
            let (first, last) = (quote(&first.name), quote(&last.name));
            columns.push(format!(
                "{} TEXT GENERATED ALWAYS AS (CASE WHEN {first} IS NULL OR {first} = '' THEN {last} \
                 ELSE {first} || ' ' || coalesce({last}, '') END) VIRTUAL",
                quote(&field.name)
            ));
        }
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {table} ({})",
        columns.join(", ")
    ))?;

    let existing: HashSet<String> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT name FROM pragma_table_xinfo('{}')",
            object.name
        ))?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect()
    };
    for field in object.stored_fields() {
        if !existing.contains(&field.name.to_ascii_lowercase()) {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {} {}",
                quote(&field.name),
                sql_type(field.ftype)
            ))?;
        }
    }
    for field in object.stored_fields().filter(|f| f.ftype != FieldType::Id) {
        let index = quote(&format!("{}__{}", object.name, field.name));
        let column = quote(&field.name);
        if field.unique {
            conn.execute_batch(&format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({column})"
            ))?;
        } else if field.external_id || field.id_lookup {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS {index} ON {table} ({column})"
            ))?;
        }
    }
    if crate::cascade::recycled_objects_include(object) {
        // The recycle bin's records by deletion time: a purge with nothing due reads one index entry.
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {table} (\"SystemModstamp\") WHERE \"IsDeleted\" = 1",
            quote(&crate::cascade::recycle_bin_index(object))
        ))?;
    }
    Ok(())
}
