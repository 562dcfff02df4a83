//! Copies between a bucket and local folders, for the SQLite store's snapshots when its blobs live in a
//! bucket (`BlobStore::export_prefix` / `import_prefix`): streamed object by object, never whole in
//! memory.

use super::S3Blobs;
use crate::Result;
use crate::blob::{BlobStore, is_temp_name};
use crate::private_fs;
use object_store::path::Path as ObjectPath;
use std::fs;
use std::path::Path;

/// Writes each object of `keys` to `dest/<key>` (owner-only files).
pub(super) fn export(blobs: &S3Blobs, keys: &[ObjectPath], dest: &Path) -> Result<()> {
    for key in keys {
        let Some(mut reader) = blobs.open(key.as_ref(), 0)? else {
            continue; // deleted since the listing
        };
        let file = dest.join(key.as_ref());
        private_fs::create_private_dir_all(file.parent().unwrap_or(dest))?;
        let mut output = private_fs::create_private_file(&file)?;
        std::io::copy(&mut reader, &mut output)?;
        output.sync_data()?;
    }
    Ok(())
}

/// Uploads every file under `src/<prefix>` as the blob keyed by its path below `src`.
pub(super) fn import(blobs: &S3Blobs, prefix: &str, src: &Path) -> Result<()> {
    upload_tree(blobs, &src.join(prefix), prefix)
}

fn upload_tree(blobs: &S3Blobs, dir: &Path, key: &str) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let child = format!("{key}/{}", name.to_string_lossy());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            upload_tree(blobs, &entry.path(), &child)?;
        } else if kind.is_file() && !is_temp_name(&entry.path()) {
            let mut writer = blobs.create(&child)?;
            std::io::copy(&mut fs::File::open(entry.path())?, &mut writer)?;
            writer.commit()?;
        }
    }
    Ok(())
}
