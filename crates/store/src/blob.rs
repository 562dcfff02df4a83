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
}

/// Blob keys, in one place so that every caller agrees on the layout.
pub mod keys {
    use super::SfId;

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
        let valid = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'));
        if !valid {
            return Err(StoreError::Invalid(format!("invalid blob key {key:?}")));
        }
        Ok(self.root.join(key))
    }
}

/// Whether `path` is a blob's temporary file (`.{name}.{random}.tmp`, see [`BlobStore::create`]).
fn is_temp_name(path: &Path) -> bool {
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
