//! Whether a seed loads on this start: a seed is clean or it is refused, on a restart too. The store
//! keeps a marker (the digest of the seed's files, see [`marker`]) written once the seed's last file
//! loaded, and forgotten when the default org is reset. So:
//!
//! - the marker holds this seed's digest: the org holds this seed, complete; it is not loaded twice;
//! - no marker, and the default org holds no record (live or in the recycle bin) of any object the seed
//!   loads: the seed loads (a fresh data dir, or one reset since);
//! - otherwise the start is refused: a marker of other files means the seed changed since it was loaded
//!   (a file added, removed or edited), and records without a marker mean an earlier seed was
//!   interrupted (a crash or kill mid-seed) or the records came another way. Loading over either would
//!   mix a seed into data it does not describe; skipping would serve a partial or stale seed silently.
//!
//! The org's own users (those that log in) do not count against a `User.csv`: every org has its admin.
//!
//! [`marker`]: super::marker

use super::error::SeedError;
use super::files::SeedFile;
use crate::state::AppState;
use bulkforce_core::id::SfId;
use std::sync::Arc;

/// What this start does with the seed.
#[derive(Debug)]
pub(super) enum Decision {
    Load,
    /// Not loaded, and why.
    Skip(String),
}

/// Decides whether the seed of `files` (whose digest is `digest`) loads into `org`, the default org.
pub(super) async fn decide(
    state: &AppState,
    org: SfId,
    files: &[Arc<SeedFile>],
    digest: &str,
) -> Result<Decision, SeedError> {
    let stored = state.with_store(|store| store.seed_marker()).await?;
    match stored {
        Some(stored) if stored == digest => {
            return Ok(Decision::Skip(
                "the default org already holds this seed (the same files, loaded whole by an earlier \
                 start); reset it to seed again"
                    .to_owned(),
            ));
        }
        Some(_) => return Err(SeedError::Changed),
        None => {}
    }
    let found = seeded_records(state, org, files).await?;
    if found.is_empty() {
        Ok(Decision::Load)
    } else {
        Err(SeedError::NotEmpty { found })
    }
}

/// The records the default org holds of the seeded objects, as "N Object" (objects without any left out).
async fn seeded_records(
    state: &AppState,
    org: SfId,
    files: &[Arc<SeedFile>],
) -> Result<Vec<String>, SeedError> {
    let objects: Vec<String> = files.iter().map(|f| f.object.name.clone()).collect();
    let found = state
        .with_store(move |store| {
            let mut found = Vec::new();
            for object in objects {
                let mut records = store.count_records(org, &object, true)?;
                if object.eq_ignore_ascii_case("User") {
                    records = records.saturating_sub(store.list_users(org)?.len() as u64);
                }
                if records > 0 {
                    found.push(format!("{records} {object}"));
                }
            }
            Ok(found)
        })
        .await?;
    Ok(found)
}
