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
