//! Settings of the whole emulator, kept in the control database: so far the clock (frozen, offset or
//! real), so that a restart, and every process sharing the data dir, keeps the time a test suite set.
//!
//! A setting is one row of text, in the form its type writes and reads back (`ClockSetting`'s `Display`
//! and `FromStr`); a missing row means the default.

use crate::{Result, StoreError};
use bulkforce_core::clock::ClockSetting;
use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);";

const CLOCK: &str = "clock";

pub(crate) fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// The stored clock setting; real time when none was ever set.
pub(crate) fn clock(conn: &Connection) -> Result<ClockSetting> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE name = ?1", [CLOCK], |r| {
            r.get(0)
        })
        .optional()?;
    value.map_or(Ok(ClockSetting::Real), |text| {
        text.parse()
            .map_err(|e| StoreError::Corrupt(format!("settings: {e}")))
    })
}

pub(crate) fn set_clock(conn: &Connection, setting: ClockSetting) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![CLOCK, setting.to_string()],
    )?;
    Ok(())
}
