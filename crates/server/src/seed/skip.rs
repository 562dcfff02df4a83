//! Whether a seed loads on this start. A data dir restarted with the same `--seed` must not get the rows
//! twice, and a seed must never be mixed into data that is already there: the seed loads only into a
//! default org holding no record (live or in the recycle bin) of any object it seeds. After a reset, that
//! holds again, and the next start seeds again. The org's own users (those that log in) do not count
//! against a `User.csv`: every org has its admin.

use super::error::SeedError;
use super::files::SeedFile;
use crate::state::AppState;
use bulkforce_core::id::SfId;
use std::sync::Arc;

/// Why the seed is skipped (`None`: it loads).
pub(super) async fn reason(
    state: &AppState,
    org: SfId,
    files: &[Arc<SeedFile>],
) -> Result<Option<String>, SeedError> {
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
    Ok((!found.is_empty()).then(|| {
        format!(
            "the default org already holds records of the seeded objects ({}); reset it to seed again",
            found.join(", ")
        )
    }))
}
