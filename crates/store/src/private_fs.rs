//! Files only the server's own user may read: every directory of the data dir is created 0700 and every
//! file 0600, so databases, uploads and results (customer data, password hashes) are not readable by other
//! local users whatever the umask. [`tighten`] brings a data dir written by an older version in line.
//!
//! SQLite creates a database's `-wal` and `-shm` files with the mode of the database file, so creating
//! the database file 0600 first ([`create_private_file_if_missing`]) covers them too.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of every directory in the data dir.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in the data dir.
pub const FILE_MODE: u32 = 0o600;

/// `mkdir -p` with mode 0700 for each directory it creates, and for `path` itself even if it existed.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(path)?;
    set_mode(path, DIR_MODE)
}

/// Creates (or truncates) `path` for writing with mode 0600.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options.open(path)
}

/// Creates `path` empty with mode 0600 unless it exists (an empty file is a valid empty SQLite database,
/// and SQLite keeps the mode of an existing file).
pub fn create_private_file_if_missing(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets 0700 on `root` and every directory below it and 0600 on every file, not following symlinks;
/// calls `visit_file` with each file first and skips the chmod of any file it removed (returns `true`).
pub fn tighten(
    root: &Path,
    visit_file: &mut dyn FnMut(&Path) -> io::Result<bool>,
) -> io::Result<()> {
    let meta = match fs::symlink_metadata(root) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        set_mode(root, DIR_MODE)?;
        for entry in fs::read_dir(root)? {
            tighten(&entry?.path(), visit_file)?;
        }
    } else if meta.is_file() && !visit_file(root)? {
        set_mode(root, FILE_MODE)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// Other platforms have no Unix modes; their ACLs are left as the directory gives them.
#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_and_tightens_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir_all(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        create_private_file(&nested.join("f")).unwrap();
        assert_eq!(mode(&nested.join("f")), 0o600);
        create_private_file_if_missing(&nested.join("g")).unwrap();
        assert_eq!(mode(&nested.join("g")), 0o600);

        let old = dir.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(old.join("keep"), "x").unwrap();
        fs::set_permissions(old.join("keep"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(old.join("drop.tmp"), "x").unwrap();
        tighten(&old, &mut |p| {
            let drop = p.extension().is_some_and(|e| e == "tmp");
            if drop {
                fs::remove_file(p)?;
            }
            Ok(drop)
        })
        .unwrap();
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old.join("keep")), 0o600);
        assert!(!old.join("drop.tmp").exists());
    }
}
