//! Snapshots of the SQLite store, one directory each:
//!
//! ```text
//! <data-dir>/snapshots/<name>/manifest.json          name, creation time, the orgs held (written last)
//! <data-dir>/snapshots/<name>/orgs/<orgId>.db        each org's database as of one moment
//! <data-dir>/snapshots/<name>/blobs/orgs/<orgId>/…   the blobs its jobs reference (uploads, results)
//! ```
//!
//! A snapshot is built in a hidden directory (`.building-…`) and renamed to its name once its manifest
//! is written, so a snapshot either is complete or does not exist; what a crash leaves behind is removed
//! by the next snapshot or restore. Each org database is copied with `VACUUM INTO` on a reader
//! connection: one read transaction, so the copy holds exactly the chunks committed when it started,
//! however busy the worker is (WAL lets the writer go on meanwhile). The blobs are copied after it, and a
//! chunk's result parts are durable before its commit, so they cover everything the copy references;
//! the parts of chunks committed after the copy, and the blobs of jobs created after it, are left out.

mod restore;

use super::SqliteStore;
use crate::blob::{BlobStore, keys};
use crate::snapshot::{SnapshotInfo, check_name};
use crate::{Result, StoreError, private_fs};
use bulkforce_core::id::SfId;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

const MANIFEST: &str = "manifest.json";
/// The manifest's own version, for whoever reads snapshots of older versions.
const FORMAT: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    format: u32,
    name: String,
    /// Unix milliseconds.
    created_ms: i64,
    orgs: Vec<String>,
}

impl SqliteStore {
    fn snapshots_dir(&self) -> PathBuf {
        self.dir.join("snapshots")
    }

    /// The directory of the complete snapshot `name`; `StoreError::NotFound` if there is none (a name no
    /// snapshot can have included).
    fn snapshot_dir(&self, name: &str) -> Result<(PathBuf, SnapshotInfo)> {
        let missing = || StoreError::NotFound(format!("no snapshot named {name:?}"));
        check_name(name).map_err(|_| missing())?;
        let dir = self.snapshots_dir().join(name);
        let info = read_manifest(&dir)?.ok_or_else(missing)?;
        Ok((dir, info))
    }

    /// `Store::create_snapshot`, to be called under `DataOps::one_at_a_time`.
    pub(crate) fn create_snapshot_now(
        &self,
        name: &str,
        blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        check_name(name)?;
        let root = self.snapshots_dir();
        private_fs::create_private_dir_all(&root)?;
        sweep_leftovers(&root)?;
        let target = root.join(name);
        if read_manifest(&target)?.is_some() {
            return Err(StoreError::Duplicate(format!(
                "a snapshot named {name:?} exists"
            )));
        }
        if target.exists() {
            // Not a snapshot: whatever an older version or a hand left there without a manifest.
            fs::remove_dir_all(&target)?;
        }
        let building = tempfile::Builder::new()
            .prefix(".building-")
            .tempdir_in(&root)?;
        let orgs = self.org_ids()?;
        for org in &orgs {
            self.snapshot_org(*org, building.path(), blobs)?;
        }
        let info = SnapshotInfo {
            name: name.to_owned(),
            created: whole_millis(Utc::now()),
            orgs,
        };
        write_manifest(building.path(), &info)?;
        fs::rename(building.keep(), &target)?;
        sync_dir(&root)?;
        tracing::info!(snapshot = name, orgs = info.orgs.len(), "snapshot taken");
        Ok(info)
    }

    /// Copies one org's database, then the blobs that copy references, into `dir`.
    fn snapshot_org(&self, org: SfId, dir: &Path, blobs: &dyn BlobStore) -> Result<()> {
        let file = org_file(dir, org);
        private_fs::create_private_dir_all(file.parent().unwrap_or(dir))?;
        // Owner-only: VACUUM INTO keeps the mode of an existing empty file.
        private_fs::create_private_file_if_missing(&file)?;
        let target = file
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the data dir's path is not UTF-8".into()))?
            .to_owned();
        self.org(org)?.read(|conn| {
            conn.execute("VACUUM INTO ?1", [&target])?;
            Ok(())
        })?;
        let blob_dir = dir.join("blobs");
        blobs.export_prefix(&keys::org(org), &blob_dir)?;
        let jobs = committed_chunks(&file)?;
        prune_blobs(&blob_dir.join(keys::org(org)).join("jobs"), &jobs)
    }

    /// `Store::list_snapshots`: the complete snapshots, oldest first.
    pub(crate) fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let entries = match fs::read_dir(self.snapshots_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            let named = entry
                .file_name()
                .to_str()
                .is_some_and(|name| check_name(name).is_ok());
            if named && entry.file_type()?.is_dir() {
                // A manifest that cannot be read is an incomplete snapshot: left out.
                if let Ok(Some(info)) = read_manifest(&entry.path()) {
                    found.push(info);
                }
            }
        }
        found.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
        Ok(found)
    }

    /// `Store::delete_snapshot`, to be called under `DataOps::one_at_a_time`. The snapshot is renamed
    /// hidden first, so that a crash midway leaves no half snapshot under its name.
    pub(crate) fn delete_snapshot_now(&self, name: &str) -> Result<()> {
        let (dir, _) = self.snapshot_dir(name)?;
        let doomed = self
            .snapshots_dir()
            .join(format!(".deleting-{name}-{:016x}", rand::random::<u64>()));
        fs::rename(&dir, &doomed)?;
        fs::remove_dir_all(&doomed)?;
        tracing::info!(snapshot = name, "snapshot deleted");
        Ok(())
    }
}

fn org_file(snapshot: &Path, org: SfId) -> PathBuf {
    snapshot.join("orgs").join(format!("{org}.db"))
}

fn whole_millis(time: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(time.timestamp_millis())
        .single()
        .unwrap_or(time)
}

/// Removes what an interrupted snapshot, restore or deletion left (hidden entries): every such
/// operation runs alone, so none of them is in use.
fn sweep_leftovers(root: &Path) -> Result<()> {
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            tracing::info!(path = %entry.path().display(), "removing an interrupted snapshot operation's files");
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

fn write_manifest(dir: &Path, info: &SnapshotInfo) -> Result<()> {
    let manifest = Manifest {
        format: FORMAT,
        name: info.name.clone(),
        created_ms: info.created.timestamp_millis(),
        orgs: info.orgs.iter().map(|o| o.as_str().to_owned()).collect(),
    };
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| StoreError::Invalid(format!("snapshot manifest: {e}")))?;
    let mut file = private_fs::create_private_file(&dir.join(MANIFEST))?;
    std::io::Write::write_all(&mut file, &text)?;
    file.sync_all()?;
    Ok(())
}

/// The manifest of the snapshot in `dir`; `None` when there is none (no such snapshot, or an incomplete
/// one).
fn read_manifest(dir: &Path) -> Result<Option<SnapshotInfo>> {
    let text = match fs::read(dir.join(MANIFEST)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let corrupt = |what: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("snapshot manifest in {}: {what}", dir.display()))
    };
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| corrupt(&e))?;
    let orgs = manifest
        .orgs
        .iter()
        .map(|org| SfId::parse(org).map_err(|e| corrupt(&e)))
        .collect::<Result<Vec<_>>>()?;
    let created = Utc
        .timestamp_millis_opt(manifest.created_ms)
        .single()
        .ok_or_else(|| corrupt(&"bad creation time"))?;
    Ok(Some(SnapshotInfo {
        name: manifest.name,
        created,
        orgs,
    }))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Each job of the copied org database with its number of committed chunks.
fn committed_chunks(db: &Path) -> Result<HashMap<String, u64>> {
    let conn = Connection::open(db)?;
    let mut stmt = conn.prepare("SELECT id, chunks_done FROM bf_jobs")?;
    let jobs = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(jobs)
}

/// Removes from a snapshot's copy of an org's job blobs what its database does not reference: the
/// blobs of jobs it does not hold, and the result parts of chunks it did not commit (a resumed job
/// writes those again).
fn prune_blobs(jobs_dir: &Path, jobs: &HashMap<String, u64>) -> Result<()> {
    let entries = match fs::read_dir(jobs_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let job = entry.file_name().to_string_lossy().into_owned();
        let Some(&chunks_done) = jobs.get(&job) else {
            fs::remove_dir_all(entry.path())?;
            continue;
        };
        for kind in ["successful", "failed"] {
            prune_parts(&entry.path().join(kind), chunks_done)?;
        }
    }
    Ok(())
}

/// Removes the result parts (`NNNNNNNN.csv`) of chunks from `chunks_done` on.
fn prune_parts(dir: &Path, chunks_done: u64) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let chunk = name
            .strip_suffix(".csv")
            .and_then(|n| n.parse::<u64>().ok());
        if chunk.is_none_or(|chunk| chunk >= chunks_done) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
