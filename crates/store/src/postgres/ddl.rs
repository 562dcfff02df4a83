//! The PostgreSQL layout, created and migrated at start.
//!
//! - Schema `bulkforce`: what every instance shares across orgs: orgs, users, apps, tokens, lockouts,
//!   settings (clock, seed marker), API usage buckets, id sequences, jobs (with an `org_id` column, every
//!   statement filtered by it: a job id of another org is simply not found) and their timelines. Jobs
//!   live here rather than per org so that one `SELECT … FOR UPDATE SKIP LOCKED` claims across orgs.
//!   Also the live instances' heartbeats (`instances`).
//! - Schema `org_<orgid>` (lower case) per org: one table per sObject, as the SQLite backend has one
//!   database file per org, so records of two orgs can never meet in a query.
//!
//! Migrations are versioned steps in [`VERSIONS`], applied under a transaction-scoped advisory lock, so
//! several instances starting at once apply each step exactly once.

use crate::Result;
use bulkforce_core::id::SfId;
use bulkforce_core::schema::{FieldType, SObject, Schema, Storage};
use postgres::GenericClient;
use std::collections::{HashMap, HashSet};

/// The advisory lock key every migration takes (an arbitrary constant: "bulkforc" in ASCII).
const MIGRATION_LOCK: i64 = 0x6275_6c6b_666f_7263;

/// Quotes an identifier. Object and field names are `[A-Za-z0-9_]` (checked when the schema loads).
pub(crate) fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The schema holding `org`'s records.
pub(crate) fn org_schema(org: SfId) -> String {
    format!("org_{}", org.as_str().to_ascii_lowercase())
}

/// The quoted, schema-qualified table of `object` in `org`, resolved case-insensitively.
pub(crate) fn table_name(schema: &Schema, org: SfId, object: &str) -> Result<String> {
    schema
        .object(object)
        .map(|o| format!("{}.{}", quote(&org_schema(org)), quote(&o.name)))
        .ok_or_else(|| crate::StoreError::Invalid(format!("unknown object {object}")))
}

/// The column type of a field, by how its values are stored (as the SQLite backend stores them).
pub(crate) fn sql_type(ftype: FieldType) -> &'static str {
    match ftype.storage() {
        Storage::Text => "TEXT",
        Storage::Integer => "BIGINT",
        Storage::Real => "DOUBLE PRECISION",
    }
}

/// How a record column is declared: its type, text in the "C" collation. Text then compares and sorts by
/// its bytes as in SQLite whatever the database's default collation, and the indexes (the primary key
/// above all) serve the queries' byte-ordered `ORDER BY "Id" COLLATE "C"` and equality lookups.
fn column_type(ftype: FieldType) -> &'static str {
    match ftype.storage() {
        Storage::Text => "TEXT COLLATE \"C\"",
        Storage::Integer | Storage::Real => sql_type(ftype),
    }
}

/// The shared tables, in order: a database whose `bulkforce.migrations` holds N rows has had the first
/// N applied. Append only; never edit a released step.
const VERSIONS: &[&str] = &[
    // 1: the first shape.
    "CREATE TABLE bulkforce.orgs (
         id TEXT PRIMARY KEY, name TEXT NOT NULL, shard INTEGER NOT NULL UNIQUE,
         is_default BOOLEAN NOT NULL DEFAULT false, created_ms BIGINT NOT NULL);
     CREATE TABLE bulkforce.users (
         id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES bulkforce.orgs(id),
         username TEXT NOT NULL, password_hash TEXT, created_ms BIGINT NOT NULL,
         failed_logins INTEGER NOT NULL DEFAULT 0, locked_until_ms BIGINT);
     CREATE UNIQUE INDEX users_username ON bulkforce.users (lower(username));
     CREATE TABLE bulkforce.apps (
         id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES bulkforce.orgs(id), name TEXT NOT NULL,
         client_id TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL, certificate TEXT,
         created_ms BIGINT NOT NULL);
     CREATE TABLE bulkforce.tokens (
         hash TEXT PRIMARY KEY, org_id TEXT NOT NULL, user_id TEXT NOT NULL, app_id TEXT,
         kind TEXT NOT NULL DEFAULT 'access', created_ms BIGINT NOT NULL, expires_ms BIGINT,
         revoked_ms BIGINT);
     CREATE INDEX tokens_user ON bulkforce.tokens (user_id);
     CREATE TABLE bulkforce.settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE bulkforce.sequences (
         org_id TEXT NOT NULL, prefix TEXT NOT NULL, next BIGINT NOT NULL, PRIMARY KEY (org_id, prefix));
     CREATE TABLE bulkforce.api_usage (
         org_id TEXT NOT NULL, counter TEXT NOT NULL, minute BIGINT NOT NULL, n BIGINT NOT NULL,
         PRIMARY KEY (org_id, counter, minute));
     CREATE TABLE bulkforce.jobs (
         org_id TEXT NOT NULL,
         id TEXT PRIMARY KEY,
         operation TEXT NOT NULL,
         object TEXT NOT NULL,
         created_by TEXT NOT NULL,
         created_ms BIGINT NOT NULL,
         modstamp_ms BIGINT NOT NULL,
         state TEXT NOT NULL,
         external_id_field TEXT,
         assignment_rule_id TEXT,
         api_version INTEGER NOT NULL,
         column_delimiter TEXT NOT NULL,
         line_ending TEXT NOT NULL,
         processed BIGINT NOT NULL DEFAULT 0,
         failed BIGINT NOT NULL DEFAULT 0,
         retries INTEGER NOT NULL DEFAULT 0,
         started_ms BIGINT,
         total_ms BIGINT NOT NULL DEFAULT 0,
         active_ms BIGINT NOT NULL DEFAULT 0,
         error_message TEXT,
         upload_state TEXT NOT NULL DEFAULT 'none',
         upload_owner TEXT,
         upload_bytes BIGINT,
         query TEXT,
         held BOOLEAN NOT NULL DEFAULT false,
         chunks_done BIGINT NOT NULL DEFAULT 0,
         next_offset BIGINT NOT NULL DEFAULT 0,
         next_line BIGINT NOT NULL DEFAULT 0,
         lease_owner TEXT,
         lease_epoch BIGINT NOT NULL DEFAULT 0,
         lease_until TIMESTAMPTZ);
     CREATE INDEX jobs_org ON bulkforce.jobs (org_id, id);
     CREATE INDEX jobs_claim ON bulkforce.jobs (state, created_ms) WHERE state IN ('UploadComplete', 'InProgress');
     CREATE TABLE bulkforce.job_states (
         seq BIGSERIAL PRIMARY KEY,
         job_id TEXT NOT NULL REFERENCES bulkforce.jobs(id) ON DELETE CASCADE,
         state TEXT NOT NULL,
         at_ms BIGINT NOT NULL);
     CREATE INDEX job_states_job ON bulkforce.job_states (job_id, seq);
     CREATE TABLE bulkforce.snapshots (
         id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_ms BIGINT NOT NULL,
         orgs TEXT[] NOT NULL);
     CREATE TABLE bulkforce.deleted_snapshots (id BIGINT PRIMARY KEY);",
    // 2: instance heartbeats (see `instances`): an upload reserved by a dead instance is free again.
    "CREATE TABLE bulkforce.instances (id TEXT PRIMARY KEY, heartbeat TIMESTAMPTZ NOT NULL);",
    // 3: per org, the earliest deletion (`SystemModstamp` text) that may still be in its recycle bin
    // (see `records::recycle_bin`): the background purge visits only orgs with one due. Orgs that
    // existed before get one that is due at once, so the first purge finds what they hold.
    "CREATE TABLE bulkforce.recycle_bins (
         org_id TEXT PRIMARY KEY REFERENCES bulkforce.orgs(id),
         deleted_since TEXT COLLATE \"C\" NOT NULL);
     INSERT INTO bulkforce.recycle_bins (org_id, deleted_since) SELECT id, '' FROM bulkforce.orgs;",
];

/// Brings the shared schema up to date, each step with its version in one transaction under the
/// migration lock (a second instance starting at the same moment waits, then finds the step applied).
pub(crate) fn migrate(client: &mut postgres::Client) -> Result<()> {
    for (version, step) in VERSIONS.iter().enumerate() {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS bulkforce;
             CREATE TABLE IF NOT EXISTS bulkforce.migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL);",
        )?;
        let version = version as i32 + 1;
        let done = tx
            .query_opt(
                "SELECT 1 FROM bulkforce.migrations WHERE version = $1",
                &[&version],
            )?
            .is_some();
        if !done {
            tx.batch_execute(step)?;
            tx.execute(
                "INSERT INTO bulkforce.migrations (version, applied_ms)
                 VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
                &[&version],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// Creates `org`'s schema and brings its tables up to `schema` (new objects become tables, new fields
/// columns, unique and external-id fields indexes), issuing only the DDL the catalog shows missing.
///
/// Why not simply `… IF NOT EXISTS` every time: `ALTER TABLE … ADD COLUMN IF NOT EXISTS` and `CREATE
/// INDEX IF NOT EXISTS` take their table's lock even when there is nothing to do, and every instance
/// runs this on its first use of each org. Queued behind a long export's cursor (ACCESS SHARE), such a
/// lock would stall every other statement on the table behind it. An up-to-date org is therefore read
/// from the catalog without any lock and left alone; only missing DDL runs, under the migration lock,
/// after the catalog is read again (another instance may have done it meanwhile).
pub(crate) fn migrate_org(
    client: &mut impl GenericClient,
    schema: &Schema,
    org: SfId,
) -> Result<()> {
    let org_schema = org_schema(org);
    if missing_org_ddl(client, schema, &org_schema)?.is_empty() {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    for statement in missing_org_ddl(&mut tx, schema, &org_schema)? {
        tx.batch_execute(&statement)?;
    }
    tx.commit()?;
    Ok(())
}

/// What an org schema holds now, as the catalog says (names as PostgreSQL stores them).
struct OrgCatalog {
    exists: bool,
    /// Table -> its columns.
    columns: HashMap<String, HashSet<String>>,
    indexes: HashSet<String>,
}

impl OrgCatalog {
    /// Reads `org_schema`'s tables, columns and indexes: three catalog reads, no lock on any table.
    fn read(client: &mut impl GenericClient, org_schema: &str) -> Result<OrgCatalog> {
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                &[&org_schema],
            )?
            .is_some();
        let mut columns: HashMap<String, HashSet<String>> = HashMap::new();
        for row in client.query(
            "SELECT c.relname::text, a.attname::text
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
            &[&org_schema],
        )? {
            columns.entry(row.get(0)).or_default().insert(row.get(1));
        }
        let indexes = client
            .query(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1",
                &[&org_schema],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect();
        Ok(OrgCatalog {
            exists,
            columns,
            indexes,
        })
    }
}

/// The name PostgreSQL keeps for an identifier: at most 63 bytes (longer ones are cut, which is what the
/// catalog then shows). Object and field names are ASCII, so the cut falls between characters.
fn stored_name(name: &str) -> &str {
    &name[..name.len().min(63)]
}

/// The DDL `org_schema` lacks to match `schema`, in the order it must run; empty when up to date.
fn missing_org_ddl(
    client: &mut impl GenericClient,
    schema: &Schema,
    org_schema: &str,
) -> Result<Vec<String>> {
    let catalog = OrgCatalog::read(client, org_schema)?;
    let mut ddl = Vec::new();
    if !catalog.exists {
        ddl.push(format!("CREATE SCHEMA IF NOT EXISTS {}", quote(org_schema)));
    }
    for object in schema.objects() {
        missing_object_ddl(&catalog, org_schema, object, &mut ddl);
    }
    for (object, field) in bulkforce_core::org::cascade::acted_on_lookups(schema) {
        // What a delete of a parent reads: its children through this lookup (see `crate::cascade`).
        let name = crate::cascade::lookup_index(&object, &field);
        if !catalog.indexes.contains(stored_name(&name)) {
            let field = quote(&field);
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {}.{} ({field}) WHERE {field} IS NOT NULL",
                quote(&name),
                quote(org_schema),
                quote(&object)
            ));
        }
    }
    Ok(ddl)
}

/// Appends to `ddl` what `object`'s table lacks: the table itself, columns, indexes.
fn missing_object_ddl(
    catalog: &OrgCatalog,
    org_schema: &str,
    object: &SObject,
    ddl: &mut Vec<String>,
) {
    let table = format!("{}.{}", quote(org_schema), quote(&object.name));
    match catalog.columns.get(stored_name(&object.name)) {
        None => ddl.push(create_table(&table, object)),
        Some(columns) => {
            for field in object.stored_fields() {
                if !columns.contains(stored_name(&field.name)) {
                    ddl.push(format!(
                        "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {}",
                        quote(&field.name),
                        column_type(field.ftype)
                    ));
                }
            }
        }
    }
    for field in object.stored_fields().filter(|f| f.ftype != FieldType::Id) {
        let name = format!("{}__{}", object.name, field.name);
        let kind = if field.unique {
            "UNIQUE INDEX"
        } else if field.external_id || field.id_lookup {
            "INDEX"
        } else {
            continue;
        };
        if !catalog.indexes.contains(stored_name(&name)) {
            ddl.push(format!(
                "CREATE {kind} IF NOT EXISTS {} ON {table} ({})",
                quote(&name),
                quote(&field.name)
            ));
        }
    }
    let recycle_bin = crate::cascade::recycle_bin_index(object);
    if crate::cascade::recycled_objects_include(object)
        && !catalog.indexes.contains(stored_name(&recycle_bin))
    {
        // The recycle bin's records by deletion time: a purge with nothing due reads one index entry.
        ddl.push(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {table} (\"SystemModstamp\") WHERE \"IsDeleted\" = 1",
            quote(&recycle_bin)
        ));
    }
}

/// The `CREATE TABLE` of `object`'s table (named `table`, quoted and qualified).
fn create_table(table: &str, object: &SObject) -> String {
    let mut columns = vec![format!("{} TEXT COLLATE \"C\" PRIMARY KEY", quote("Id"))];
    for field in object.stored_fields().filter(|f| f.name != "Id") {
        columns.push(format!(
            "{} {}",
            quote(&field.name),
            column_type(field.ftype)
        ));
    }
    for field in object.fields() {
        if let Some((first, last)) = object.derived_name_parts(field) {
            // Person names are computed from their parts, as Salesforce does.
            let (first, last) = (quote(&first.name), quote(&last.name));
            columns.push(format!(
                "{} TEXT COLLATE \"C\" GENERATED ALWAYS AS (CASE WHEN {first} IS NULL OR {first} = '' \
                 THEN {last} ELSE {first} || ' ' || coalesce({last}, '') END) STORED",
                quote(&field.name)
            ));
        }
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {table} ({})",
        columns.join(", ")
    )
}
