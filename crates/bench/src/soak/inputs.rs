//! The kill rounds' CSVs: the bench's deterministic accounts ([`crate::data::account_row`]) in shuffled
//! order, with a row that must fail (no Name) after every [`FAIL_EVERY`]th, so that every round also proves
//! failed rows are reported once and never applied.
//!
//! Each row is told apart by its external id: accounts `EXT-<key>` for keys below [`FAILING_KEYS`], failing rows
//! at [`FAILING_KEYS`] and above. What a file must do is summed up in an [`Expected`], a few numbers rather than
//! a copy of the rows.

use crate::data::{self, COLUMNS, Rng};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// One failing row after every this many accounts.
pub const FAIL_EVERY: u64 = 50;
/// External-id keys from here on are rows that must fail.
pub const FAILING_KEYS: u64 = 100_000_000_000;

/// What a file's job must end with: which rows succeed (by key), how many fail, what the org then holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expected {
    /// Keys `0..existing` update accounts already in the org.
    pub existing: u64,
    /// Keys `fresh_from..fresh_from + fresh` create accounts.
    pub fresh_from: u64,
    pub fresh: u64,
    /// Rows that must fail: keys `FAILING_KEYS..FAILING_KEYS + failing`.
    pub failing: u64,
    /// Accounts in the org once the job is done.
    pub records_after: u64,
}

impl Expected {
    /// Rows that must succeed.
    pub fn succeeding(&self) -> u64 {
        self.existing + self.fresh
    }

    /// Every row of the file.
    pub fn rows(&self) -> u64 {
        self.succeeding() + self.failing
    }

    /// Where a successful row's key sits in `0..succeeding()`; `None` for a key that must not succeed.
    pub fn success_slot(&self, key: u64) -> Option<u64> {
        if key < self.existing {
            Some(key)
        } else if (self.fresh_from..self.fresh_from + self.fresh).contains(&key) {
            Some(self.existing + key - self.fresh_from)
        } else {
            None
        }
    }

    /// Where a failing row's key sits in `0..failing`.
    pub fn failure_slot(&self, key: u64) -> Option<u64> {
        (FAILING_KEYS..FAILING_KEYS + self.failing)
            .contains(&key)
            .then(|| key - FAILING_KEYS)
    }
}

/// The insert file: accounts `0..rows`; afterwards the org holds `rows` accounts.
pub fn write_insert(path: &Path, rows: u64, seed: u64) -> std::io::Result<Expected> {
    let mut keys: Vec<(u64, u32)> = (0..rows).map(|k| (k, 0)).collect();
    Rng::new(seed).shuffle(&mut keys);
    let failing = write(path, seed, &keys)?;
    Ok(Expected {
        existing: 0,
        fresh_from: 0,
        fresh: rows,
        failing,
        records_after: rows,
    })
}

/// The upsert file over an org loaded by [`write_insert`] with `rows`: half the rows update existing accounts
/// (keys `0..rows/2`, every value changed), the other half create keys `rows..`, in shuffled order.
pub fn write_upsert(path: &Path, rows: u64, seed: u64) -> std::io::Result<Expected> {
    let existing = rows / 2;
    let fresh = rows - existing;
    let mut keys: Vec<(u64, u32)> = (0..existing)
        .map(|k| (k, 1))
        .chain((rows..rows + fresh).map(|k| (k, 0)))
        .collect();
    Rng::new(seed ^ 0x50AC_0000_0000_0001).shuffle(&mut keys);
    let failing = write(path, seed, &keys)?;
    Ok(Expected {
        existing,
        fresh_from: rows,
        fresh,
        failing,
        records_after: rows + fresh,
    })
}

/// Writes the header and `keys` as accounts, with a failing row after every [`FAIL_EVERY`]th; answers how
/// many failing rows were written.
fn write(path: &Path, seed: u64, keys: &[(u64, u32)]) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "{}", COLUMNS.join(","))?;
    let mut line = String::with_capacity(1024);
    let mut failing = 0;
    for (i, &(key, version)) in keys.iter().enumerate() {
        line.clear();
        data::account_row(seed, key, version, &mut line);
        out.write_all(line.as_bytes())?;
        if (i as u64 + 1).is_multiple_of(FAIL_EVERY) {
            // Every column empty but the external id: no Name, so the row fails (REQUIRED_FIELD_MISSING).
            let empties = ",".repeat(COLUMNS.len() - 1);
            writeln!(
                out,
                "{empties}{}",
                data::external_id(FAILING_KEYS + failing)
            )?;
            failing += 1;
        }
    }
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(failing)
}

/// The key of an external id written by this module (`EXT-<digits>`).
pub fn key_of(external_id: &[u8]) -> Option<u64> {
    std::str::from_utf8(external_id.strip_prefix(b"EXT-")?)
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soak::records::for_each_record;

    #[test]
    fn files_hold_the_expected_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        let expected = write_upsert(&path, 101, 7).unwrap();
        assert_eq!(
            (expected.failing, expected.fresh, expected.rows()),
            (2, 51, 103)
        );
        let (mut ok, mut failing) = (0, 0);
        for_each_record(File::open(&path).unwrap(), |cells| {
            match key_of(&cells[13]) {
                Some(k) if k >= FAILING_KEYS => {
                    assert!(expected.failure_slot(k).is_some(), "{k}");
                    failing += 1;
                }
                Some(k) => {
                    assert!(expected.success_slot(k).is_some(), "{k}");
                    ok += 1;
                }
                None => assert_eq!(cells[13], b"External_Id__c"),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!((ok, failing), (101, 2));
    }
}
