//! The `Store` conformance suite against PostgreSQL: every test gets a database of its own on the test
//! server (`scripts/services`), and a restart is a second `PgStore::connect` to it.

use bulkforce_core::clock::Clock;
use bulkforce_core::schema::Schema;
use bulkforce_store::conformance::Backend;
use bulkforce_store::conformance::pg_database::TestDatabase;
use bulkforce_store::postgres::{PgOptions, PgStore};
use bulkforce_store::{Result, Store};
use std::sync::Arc;

/// A fresh database, dropped when the test ends.
struct PgBackend {
    database: TestDatabase,
}

impl PgBackend {
    fn new() -> PgBackend {
        PgBackend {
            database: TestDatabase::create(),
        }
    }
}

impl Backend for PgBackend {
    fn open(&self, schema: Arc<Schema>) -> Result<Box<dyn Store>> {
        let options = PgOptions::new(self.database.url.clone(), "conformance");
        Ok(Box::new(PgStore::connect(options, schema, Clock::real())?))
    }
}

bulkforce_store::store_conformance_tests!(PgBackend::new());
