//! Snapshots, whatever the backend: what one is called and what is known of it. A snapshot holds every
//! org's records and jobs (with the blobs they reference) as of the moment it was taken; users, apps,
//! tokens and API counters are not part of it (see `Store::restore_snapshot`).

use crate::{Result, StoreError};
use bulkforce_core::id::SfId;
use chrono::{DateTime, Utc};

/// The longest snapshot name.
pub const MAX_NAME_LEN: usize = 64;

/// A complete snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub name: String,
    /// When it was taken, in real time (not the emulator's clock: a frozen clock would give every
    /// snapshot the same time, and their order is what a list shows).
    pub created: DateTime<Utc>,
    /// The orgs it holds.
    pub orgs: Vec<SfId>,
}

/// Checks a snapshot name: `[A-Za-z0-9._-]{1,64}`, not starting with '.'. Names become directory names,
/// so nothing else is let through (no separators, no `..`, no hidden names).
pub fn check_name(name: &str) -> Result<()> {
    let valid = (1..=MAX_NAME_LEN).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "a snapshot name is 1 to {MAX_NAME_LEN} of A-Z, a-z, 0-9, '.', '_' and '-', not starting \
             with '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_plain_directory_names() {
        for good in ["a", "before-upsert_2.1", &"x".repeat(64), "A.B"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "a b",
            "é",
            &"x".repeat(65),
            "a\\b",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
