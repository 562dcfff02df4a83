//! Throwaway PostgreSQL databases for tests: one fresh database per test on the server `scripts/services`
//! starts (its URL in `BULKFORCE_TEST_DATABASE_URL`), dropped when the test ends.

/// The variable naming the test server's maintenance database.
pub const DATABASE_URL_VAR: &str = "BULKFORCE_TEST_DATABASE_URL";

/// A database of its own for one test.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    /// The URL to give `PgStore::connect` or `serve --database-url`.
    pub url: String,
}

impl TestDatabase {
    /// Creates an empty database. Panics with what to run when the test server is not configured, so a
    /// PostgreSQL test can never pass without PostgreSQL.
    pub fn create() -> TestDatabase {
        let admin_url = std::env::var(DATABASE_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{DATABASE_URL_VAR} is not set: the PostgreSQL tests need `scripts/services start` and \
                 its variables (`set -a; . <(scripts/services env)`), as scripts/test does"
            )
        });
        let name = format!("bf_test_{:016x}", rand::random::<u64>());
        let mut client = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin_url}: {e}"));
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database is created");
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("the URL names a database");
        TestDatabase {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
