//! The `Store` conformance suite against SQLite: every test opens real database files in a directory of
//! its own, and a restart is a second `SqliteStore::open` of the same directory.

use bulkforce_core::schema::Schema;
use bulkforce_store::conformance::Backend;
use bulkforce_store::sqlite::SqliteStore;
use bulkforce_store::{Result, Store};
use std::sync::Arc;
use tempfile::TempDir;

/// A fresh data directory, deleted when the test ends.
struct SqliteBackend {
    dir: TempDir,
}

impl SqliteBackend {
    fn new() -> SqliteBackend {
        SqliteBackend {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }
}

impl Backend for SqliteBackend {
    fn open(&self, schema: Arc<Schema>) -> Result<Box<dyn Store>> {
        Ok(Box::new(SqliteStore::open(self.dir.path(), schema)?))
    }
}

bulkforce_store::store_conformance_tests!(SqliteBackend::new());

/// SQLite's own promise beyond the shared contract: no password, client secret or token is written in
/// clear to any of its files (the WAL included).
#[test]
fn no_secret_is_stored_in_clear() -> Result<()> {
    use bulkforce_store::TokenKind;
    let backend = SqliteBackend::new();
    let store = backend.open(bulkforce_store::conformance::schema())?;
    let admin = store.create_org("Secretive", "keeper@secret.test", Some("Pa55word-in-clear"))?;
    let (_, client_secret) = store.create_app(admin.org_id, "App", None)?;
    store.save_token(
        &admin,
        "Token-in-clear-0123456789",
        TokenKind::Access,
        None,
        None,
    )?;
    assert!(
        store
            .login_password("keeper@secret.test", "Pa55word-in-clear")?
            .is_some()
    );
    let secrets = [
        "Pa55word-in-clear".as_bytes(),
        client_secret.as_bytes(),
        "Token-in-clear-0123456789".as_bytes(),
    ];
    let mut files = 0;
    let mut dirs = vec![backend.dir.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path)?;
            for secret in secrets {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "{} holds a secret in clear",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 2, "the control and org databases were read");
    Ok(())
}

/// The background purge never opens an org's database: an org unused since the store opened costs
/// nothing (its database is purged when it opens). Its file is removed here, so a purge that opened
/// it would create it again.
#[test]
fn a_purge_opens_no_org_database() -> Result<()> {
    let backend = SqliteBackend::new();
    let store = backend.open(bulkforce_store::conformance::schema())?;
    let quiet = store.create_org("Quiet", "quiet@purge.test", None)?;
    drop(store);
    let file = backend
        .dir
        .path()
        .join("orgs")
        .join(format!("{}.db", quiet.org_id));
    std::fs::remove_file(&file)?;
    let store = backend.open(bulkforce_store::conformance::schema())?;
    let cutoff = chrono::Utc::now() + chrono::Duration::days(30);
    assert_eq!(store.purge_recycle_bin(quiet.org_id, cutoff)?, 0);
    assert_eq!(store.purge_recycle_bins(cutoff)?, 0);
    assert!(!file.exists(), "the purge opened the org's database");
    Ok(())
}
