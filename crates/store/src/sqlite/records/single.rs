//! Single records written or read outside ingest jobs: an org's User and Organization records, and one
//! record's stored values for checks.

use crate::sqlite::OrgDb;
use crate::sqlite::jobs::reserve_sequence;
use crate::{RecordFields, Result};
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::value::format_datetime;
use rusqlite::Connection;
use rusqlite::types::ValueRef;

/// Creates a User record; returns its id.
pub(crate) fn insert_user(
    db: &OrgDb,
    username: &str,
    last_name: &str,
    first_name: &str,
) -> Result<SfId> {
    let conn = db.writer.lock();
    let tx = conn.unchecked_transaction()?;
    let id = SfId::mint(
        KeyPrefix::USER,
        db.shard,
        reserve_sequence(&tx, KeyPrefix::USER, 1)?,
    );
    let profile_prefix = KeyPrefix::parse("00e").expect("valid prefix");
    let profile = SfId::mint(
        profile_prefix,
        db.shard,
        reserve_sequence(&tx, profile_prefix, 1)?,
    );
    let now = format_datetime(&db.clock.now());
    tx.execute(
        "INSERT INTO \"User\" (\"Id\", \"Username\", \"LastName\", \"FirstName\", \"Email\", \"Alias\",
             \"TimeZoneSidKey\", \"LocaleSidKey\", \"EmailEncodingKey\", \"LanguageLocaleKey\", \"ProfileId\",
             \"IsActive\", \"IsDeleted\", \"CreatedDate\", \"CreatedById\", \"LastModifiedDate\",
             \"LastModifiedById\", \"SystemModstamp\")
         VALUES (?1, ?2, ?5, ?6, ?2, ?7, 'GMT', 'en_US', 'UTF-8', 'en_US', ?3, 1, 0,
                 ?4, ?1, ?4, ?1, ?4)",
        rusqlite::params![
            id.as_str(),
            username,
            profile.as_str(),
            now,
            last_name,
            first_name,
            username.chars().take(8).collect::<String>()
        ],
    )?;
    tx.commit()?;
    Ok(id)
}

/// The org's own Organization record, which tools query to learn about the org.
pub(crate) fn insert_organization(db: &OrgDb, org: SfId, name: &str, admin: SfId) -> Result<()> {
    let now = format_datetime(&db.clock.now());
    db.writer.lock().execute(
        "INSERT OR IGNORE INTO \"Organization\" (\"Id\", \"Name\", \"DefaultLocaleSidKey\", \"LanguageLocaleKey\",
             \"TimeZoneSidKey\", \"FiscalYearStartMonth\", \"InstanceName\", \"IsSandbox\", \"OrganizationType\",
             \"CreatedDate\", \"CreatedById\", \"LastModifiedDate\", \"LastModifiedById\", \"SystemModstamp\")
         VALUES (?1, ?2, 'en_US', 'en_US', 'GMT', 1, 'BF1', 0, 'Developer Edition', ?3, ?4, ?3, ?4, ?3)",
        rusqlite::params![org.as_str(), name, now, admin.as_str()],
    )?;
    Ok(())
}

/// One record's columns as text, for checks and tools.
pub(crate) fn get_record(conn: &Connection, table: &str, id: SfId) -> Result<Option<RecordFields>> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} WHERE \"Id\" = ?1"))?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    let mut rows = stmt.query([id.as_str()])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.into_iter().enumerate() {
        let text = match row.get_ref(i)? {
            ValueRef::Null => None,
            ValueRef::Integer(n) => Some(n.to_string()),
            ValueRef::Real(r) => Some(r.to_string()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        };
        out.push((name, text));
    }
    Ok(Some(out))
}
