//! What identifies a seed: a digest of its files (each file's name, size and content, in name order).
//! Stored in the store once the seed's last job completed ([`Store::set_seed_marker`]), it tells a later
//! start that the default org holds exactly this seed, complete.
//!
//! [`Store::set_seed_marker`]: bulkforce_store::Store::set_seed_marker

use super::error::SeedError;
use super::files::SeedFile;
use sha2::{Digest, Sha256};
use std::fs::File;

/// The digest of `files` (in name order, as `files::discover` lists them), `sha256:<hex>`.
pub(super) fn digest(files: &[SeedFile]) -> Result<String, SeedError> {
    let mut hasher = Sha256::new();
    for file in files {
        let io = |source| SeedError::Io {
            file: file.name.clone(),
            source,
        };
        let mut content = File::open(&file.path).map_err(io)?;
        let mut of_file = Sha256::new();
        let size = std::io::copy(&mut content, &mut of_file).map_err(io)?;
        // Lengths first, so that no two lists of names and contents hash the same bytes.
        hasher.update((file.name.len() as u64).to_le_bytes());
        hasher.update(file.name.as_bytes());
        hasher.update(size.to_le_bytes());
        hasher.update(of_file.finalize());
    }
    Ok(format!("sha256:{:x}", hasher.finalize()))
}
