//! Settings of the whole emulator, kept in the control database, so that a restart, and every process
//! sharing the data dir, sees them: the clock (frozen, offset or real) a test suite set, and the marker of
//! the seed loaded into the default org (the digest of its files, written once its last job completed;
//! removed when the default org is reset).
//!
//! A setting is one row of text, in the form its type writes and reads back (`ClockSetting`'s `Display`
//! and `FromStr`); a missing row means the default.

use crate::{Result, StoreError};
use bulkforce_core::clock::ClockSetting;
use bulkforce_core::id::SfId;
use bulkforce_core::org::audit_fields::OrgSettings;
use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);";

const CLOCK: &str = "clock";
const SEED: &str = "seed";
/// An org's settings are the row `org-settings:<org id>`, a JSON document.
const ORG_SETTINGS: &str = "org-settings:";

pub(crate) fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// The stored clock setting; real time when none was ever set.
pub(crate) fn clock(conn: &Connection) -> Result<ClockSetting> {
    get(conn, CLOCK)?.map_or(Ok(ClockSetting::Real), |text| {
        text.parse()
            .map_err(|e| StoreError::Corrupt(format!("settings: {e}")))
    })
}

pub(crate) fn set_clock(conn: &Connection, setting: ClockSetting) -> Result<()> {
    set(conn, CLOCK, &setting.to_string())
}

/// The marker of the seed loaded into the default org, if one completed since its last reset.
pub(crate) fn seed_marker(conn: &Connection) -> Result<Option<String>> {
    get(conn, SEED)
}

pub(crate) fn set_seed_marker(conn: &Connection, marker: &str) -> Result<()> {
    set(conn, SEED, marker)
}

/// Forgets the seed marker: the default org no longer holds that seed (a reset).
pub(crate) fn clear_seed_marker(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM settings WHERE name = ?1", [SEED])?;
    Ok(())
}

/// `org`'s settings; all off when none were ever stored.
pub(crate) fn org_settings(conn: &Connection, org: SfId) -> Result<OrgSettings> {
    get(conn, &format!("{ORG_SETTINGS}{org}"))?.map_or(Ok(OrgSettings::default()), |text| {
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("org settings: {e}")))
    })
}

pub(crate) fn set_org_settings(conn: &Connection, org: SfId, settings: OrgSettings) -> Result<()> {
    let text = serde_json::to_string(&settings)
        .map_err(|e| StoreError::Corrupt(format!("org settings: {e}")))?;
    set(conn, &format!("{ORG_SETTINGS}{org}"), &text)
}

fn get(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

fn set(conn: &Connection, name: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}
