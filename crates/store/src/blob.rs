//! Blobs: uploaded CSV and result parts, kept as files beside the databases.
//!
//! Writes are atomic: a blob is written to a temporary file, flushed to disk and renamed into place on
//! [`BlobWriter::commit`]; dropping an uncommitted writer removes the temporary file. A reader never sees
//! half a blob, and a crash never leaves one: the temporary files a crash leaves behind are removed when the
//! store opens ([`LocalBlobs::open`]). Directories are 0700 and files 0600 ([`crate::private_fs`]).

use crate::{Result, StoreError, private_fs};
use bulkforce_core::id::SfId;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A blob being written.
pub trait BlobWriter: Write + Send {
    /// Makes the blob visible under its key; returns its size.
    fn commit(self: Box<Self>) -> Result<u64>;
}

/// Named byte streams.
pub trait BlobStore: Send + Sync {
    /// Starts writing `key`, replacing any blob of that name when committed.
    fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>>;
    /// Reads `key` from byte `offset`; `None` if there is no such blob.
    fn open(&self, key: &str, offset: u64) -> Result<Option<Box<dyn Read + Send>>>;
    /// The size of `key`, if it exists.
    fn size(&self, key: &str) -> Result<Option<u64>>;
    /// Removes every blob whose key starts with `prefix` (a folder).
    fn delete_prefix(&self, prefix: &str) -> Result<()>;
    /// Copies every committed blob under the folder `src_prefix` to the same relative key under
    /// `dest_prefix`, within the store (hard links for files, server-side copies in a bucket: the bytes
    /// do not pass through the caller). Blobs already under `dest_prefix` and not under `src_prefix`
    /// stay. A PostgreSQL snapshot keeps its blobs this way. Blobs are never changed in place, only
    /// replaced whole, so a copy taken while blobs are written holds each one as it was or as it became.
    fn copy_prefix(&self, src_prefix: &str, dest_prefix: &str) -> Result<()>;
    /// Copies every committed blob under the folder `prefix` to `dest/<key>` (a snapshot takes an org's
    /// blobs this way). Blobs are never changed in place, only replaced whole, so a copy taken while
    /// blobs are written holds each blob either as it was or as it became.
    fn export_prefix(&self, prefix: &str, dest: &Path) -> Result<()>;
    /// Replaces every blob under the folder `prefix` with the files under `src/<prefix>`, each keyed by
    /// its path below `src` (a restore puts an org's blobs back this way). Each blob appears whole.
    fn import_prefix(&self, prefix: &str, src: &Path) -> Result<()>;
}

/// Blob keys, in one place so that every caller agrees on the layout.
pub mod keys {
    use super::SfId;

    /// Everything of one org.
    pub fn org(org: SfId) -> String {
        format!("orgs/{org}")
    }

    /// Everything of one job.
    pub fn job(org: SfId, job: SfId) -> String {
        format!("orgs/{org}/jobs/{job}")
    }

    /// The uploaded CSV, byte for byte.
    pub fn upload(org: SfId, job_id: SfId) -> String {
        format!("{}/upload.csv", job(org, job_id))
    }

    /// A query job's result rows: the quoted header line, then every row, in the job's dialect.
    pub fn query_results(org: SfId, job_id: SfId) -> String {
        format!("{}/query/results.csv", job(org, job_id))
    }

    /// Where each row of [`query_results`] starts: one little-endian u64 per row, so any page is a seek.
    pub fn query_index(org: SfId, job_id: SfId) -> String {
        format!("{}/query/rows.idx", job(org, job_id))
    }

    /// Which result file a part belongs to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ResultKind {
        Successful,
        Failed,
    }

    /// The result rows of one committed chunk (no header).
    pub fn result_part(org: SfId, job_id: SfId, kind: ResultKind, chunk: u64) -> String {
        let folder = match kind {
            ResultKind::Successful => "successful",
            ResultKind::Failed => "failed",
        };
        format!("{}/{folder}/{chunk:08}.csv", job(org, job_id))
    }
}

/// Blobs as files under a directory.
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// Opens the blobs under `root`, owner-only. Call it once at start, before any blob is written: it
    /// removes the temporary files of writes a crash interrupted (an upload cut off by a SIGKILL), which
    /// nothing would ever commit or delete.
    pub fn open(root: impl Into<PathBuf>) -> Result<LocalBlobs> {
        let root = root.into();
        private_fs::create_private_dir_all(&root)?;
        private_fs::tighten(&root, &mut |path| {
            let orphan = is_temp_name(path);
            if orphan {
                tracing::info!(path = %path.display(), "removing an interrupted blob write");
                fs::remove_file(path)?;
            }
            Ok(orphan)
        })?;
        Ok(LocalBlobs { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Checks a blob key: `/`-separated parts of `[A-Za-z0-9._-]`, none empty, `.` or `..`. Every store
/// takes the same keys, so a key that works on files works in a bucket and never escapes either.
pub(crate) fn check_key(key: &str) -> Result<()> {
    let valid = !key.is_empty()
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("invalid blob key {key:?}")))
    }
}

/// Whether `path` is a blob's temporary file (`.{name}.{random}.tmp`, see [`BlobStore::create`]).
pub(crate) fn is_temp_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

struct LocalWriter {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
}

impl Write for LocalWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("writer is open").write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.file.as_mut().expect("writer is open").write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("writer is open").flush()
    }
}

impl BlobWriter for LocalWriter {
    fn commit(mut self: Box<Self>) -> Result<u64> {
        let file = self.file.take().expect("writer is open");
        let file = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.sync_data()?;
        let size = file.metadata()?.len();
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        Ok(size)
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

impl BlobStore for LocalBlobs {
    fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>> {
        let target = self.path(key)?;
        let parent = target.parent().unwrap_or(Path::new("."));
        private_fs::create_private_dir_all(parent)?;
        let temp = parent.join(format!(
            ".{}.{:016x}.tmp",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("blob"),
            rand::random::<u64>()
        ));
        let file = private_fs::create_private_file(&temp)?;
        Ok(Box::new(LocalWriter {
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            temp,
            target,
        }))
    }

    fn open(&self, key: &str, offset: u64) -> Result<Option<Box<dyn Read + Send>>> {
        match File::open(self.path(key)?) {
            Ok(mut file) => {
                file.seek(SeekFrom::Start(offset))?;
                Ok(Some(Box::new(file)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        match fs::metadata(self.path(key)?) {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn delete_prefix(&self, prefix: &str) -> Result<()> {
        match fs::remove_dir_all(self.path(prefix)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn copy_prefix(&self, src_prefix: &str, dest_prefix: &str) -> Result<()> {
        copy_tree(&self.path(src_prefix)?, &self.path(dest_prefix)?)
    }

    fn export_prefix(&self, prefix: &str, dest: &Path) -> Result<()> {
        let from = self.path(prefix)?;
        copy_tree(&from, &dest.join(prefix))
    }

    fn import_prefix(&self, prefix: &str, src: &Path) -> Result<()> {
        let to = self.path(prefix)?;
        self.delete_prefix(prefix)?;
        copy_tree(&src.join(prefix), &to)
    }
}

/// Copies the files under `from` to the same paths under `to` (nothing when `from` does not exist),
/// leaving out the temporary files of writes in progress. Each file is hard-linked where the file
/// system allows (blobs are only ever replaced whole, never written in place, so sharing one is safe),
/// else copied; either way under a temporary name renamed into place, so that it appears whole.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let entries = match fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    private_fs::create_private_dir_all(to)?;
    for entry in entries {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_file() && !is_temp_name(&source) {
            copy_file(&source, &target)?;
        }
    }
    Ok(())
}

fn copy_file(source: &Path, target: &Path) -> Result<()> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let temp = parent.join(format!(".copy.{:016x}.tmp", rand::random::<u64>()));
    if fs::hard_link(source, &temp).is_err() {
        // Another file system, or links refused: a private copy instead.
        let mut input = File::open(source)?;
        let mut output = private_fs::create_private_file(&temp)?;
        let copied = std::io::copy(&mut input, &mut output).and_then(|_| output.sync_data());
        if let Err(e) = copied {
            let _ = fs::remove_file(&temp);
            return Err(e.into());
        }
    }
    if let Err(e) = fs::rename(&temp, target) {
        let _ = fs::remove_file(&temp);
        return Err(e.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(dir.path()).unwrap();
        let mut w = blobs.create("a/b.csv").unwrap();
        w.write_all(b"hello").unwrap();
        assert_eq!(blobs.size("a/b.csv").unwrap(), None);
        assert_eq!(w.commit().unwrap(), 5);
        let mut text = String::new();
        blobs
            .open("a/b.csv", 1)
            .unwrap()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "ello");
        let mut w = blobs.create("a/c.csv").unwrap();
        w.write_all(b"partial").unwrap();
        drop(w);
        assert_eq!(
            fs::read_dir(dir.path().join("a")).unwrap().count(),
            1,
            "no temp file left behind"
        );
        blobs.delete_prefix("a").unwrap();
        assert!(blobs.open("a/b.csv", 0).unwrap().is_none());
        assert!(blobs.create("../x").is_err());
    }

    #[test]
    fn a_prefix_exports_and_imports_whole_blobs_only() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(dir.path().join("blobs")).unwrap();
        let put = |key: &str, text: &str| {
            let mut w = blobs.create(key).unwrap();
            w.write_all(text.as_bytes()).unwrap();
            w.commit().unwrap();
        };
        let read = |key: &str| {
            let mut text = String::new();
            blobs
                .open(key, 0)
                .unwrap()?
                .read_to_string(&mut text)
                .unwrap();
            Some(text)
        };
        put("orgs/a/jobs/1/upload.csv", "kept");
        put("orgs/b/jobs/2/upload.csv", "other org");
        let writing = blobs.create("orgs/a/jobs/1/part.csv").unwrap();
        let copy = dir.path().join("copy");
        blobs.export_prefix("orgs/a", &copy).unwrap();
        drop(writing);
        assert_eq!(
            fs::read_to_string(copy.join("orgs/a/jobs/1/upload.csv")).unwrap(),
            "kept"
        );
        assert_eq!(fs::read_dir(copy.join("orgs/a/jobs/1")).unwrap().count(), 1);
        assert!(!copy.join("orgs/b").exists(), "only the prefix is copied");

        put("orgs/a/jobs/1/upload.csv", "changed");
        put("orgs/a/jobs/3/upload.csv", "added later");
        blobs.import_prefix("orgs/a", &copy).unwrap();
        assert_eq!(read("orgs/a/jobs/1/upload.csv").as_deref(), Some("kept"));
        assert_eq!(read("orgs/a/jobs/3/upload.csv"), None);
        assert_eq!(
            read("orgs/b/jobs/2/upload.csv").as_deref(),
            Some("other org")
        );
        assert_eq!(
            fs::read_to_string(copy.join("orgs/a/jobs/1/upload.csv")).unwrap(),
            "kept",
            "replacing a restored blob leaves the copy alone"
        );
        put("orgs/a/jobs/1/upload.csv", "after the restore");
        assert_eq!(
            fs::read_to_string(copy.join("orgs/a/jobs/1/upload.csv")).unwrap(),
            "kept"
        );
        blobs.import_prefix("orgs/c", &copy).unwrap();
        assert_eq!(read("orgs/c/jobs/1/upload.csv"), None, "nothing to import");
    }

    #[test]
    fn opening_removes_the_temp_files_of_interrupted_writes() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(dir.path()).unwrap();
        let mut kept = blobs.create("j/upload.csv").unwrap();
        kept.write_all(b"done").unwrap();
        kept.commit().unwrap();
        let mut interrupted = blobs.create("j/upload.csv").unwrap();
        interrupted.write_all(b"half").unwrap();
        std::mem::forget(interrupted); // as a SIGKILL would leave it
        assert_eq!(fs::read_dir(dir.path().join("j")).unwrap().count(), 2);
        let blobs = LocalBlobs::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("j")).unwrap().count(), 1);
        assert_eq!(blobs.size("j/upload.csv").unwrap(), Some(4));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.path()), 0o700);
            assert_eq!(mode(&dir.path().join("j")), 0o700);
            assert_eq!(mode(&dir.path().join("j/upload.csv")), 0o600);
        }
    }
}
