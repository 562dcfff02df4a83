//! The backend a test server runs on. With `BULKFORCE_TEST_BACKEND=postgres`, every server gets a database
//! of its own on the test PostgreSQL (`BULKFORCE_TEST_DATABASE_URL`) and a bucket of its own on the
//! S3-compatible test server (`BULKFORCE_TEST_S3_ENDPOINT`), both started by `scripts/services`. A server
//! started again on the same data dir (a restart) gets the same database, bucket and admin token, so
//! restart tests mean the same on both backends.

use bulkforce_server::ServerConfig;
use bulkforce_server::config::{Backend, PostgresConfig};
use bulkforce_store::conformance::pg_database::TestDatabase;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

/// The variable that picks the backend.
pub const BACKEND_VAR: &str = "BULKFORCE_TEST_BACKEND";
/// The variable naming the S3-compatible test server.
pub const S3_ENDPOINT_VAR: &str = "BULKFORCE_TEST_S3_ENDPOINT";

/// Whether this run is on PostgreSQL + S3.
pub fn on_postgres() -> bool {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("{BACKEND_VAR}={other}: expected sqlite or postgres"),
    }
}

/// For a test about what only the SQLite backend has (data dir files and their permissions, `serve.lock`,
/// snapshot files): true (the test returns) on PostgreSQL, saying so on stderr.
pub fn sqlite_only(reason: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on postgres: {reason}");
        return true;
    }
    false
}

/// A database and a bucket, and the admin token every server on them is given.
pub struct Shared {
    /// Always `Some` until dropped.
    database: Option<TestDatabase>,
    pub bucket: String,
    pub endpoint: String,
    pub token: String,
}

impl Shared {
    /// The database's URL.
    pub fn database_url(&self) -> &str {
        &self.database.as_ref().expect("kept until dropped").url
    }
}

impl Drop for Shared {
    /// The database is dropped by the synchronous PostgreSQL client, which may not run on an async
    /// runtime's thread (the tests drop their servers there): it runs on a thread of its own.
    fn drop(&mut self) {
        if let Some(database) = self.database.take() {
            let _ = std::thread::spawn(move || drop(database)).join();
        }
    }
}

/// The shared backends by data dir, so that a restart on the same data dir finds its data again. An entry
/// is dropped (its database with it) once its data dir is gone.
static BY_DATA_DIR: LazyLock<Mutex<HashMap<PathBuf, Arc<Shared>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Points `config` at this run's backend: nothing to do on SQLite; on PostgreSQL the data dir's database
/// and bucket (new ones for a new data dir), and its admin token unless the test gave one.
pub async fn configure(config: &mut ServerConfig) -> Option<Arc<Shared>> {
    if !on_postgres() {
        return None;
    }
    let shared = shared_for(config.data_dir.clone()).await;
    config.backend = Backend::Postgres(PostgresConfig::new(shared.database_url()));
    config.blob_store = Some(format!("s3://{}", shared.bucket));
    config.blob_settings = [
        ("aws_endpoint", shared.endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", "bulkforce-test"),
        ("aws_secret_access_key", "bulkforce-test"),
        ("aws_region", "us-east-1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if config.access_token.is_none() {
        config.access_token = Some(shared.token.clone());
    }
    Some(shared)
}

async fn shared_for(data_dir: PathBuf) -> Arc<Shared> {
    let existing = {
        let mut map = BY_DATA_DIR.lock();
        map.retain(|dir, _| dir.exists());
        map.get(&data_dir).cloned()
    };
    if let Some(shared) = existing {
        return shared;
    }
    let database = tokio::task::spawn_blocking(TestDatabase::create)
        .await
        .expect("a test database is created");
    let endpoint = std::env::var(S3_ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{S3_ENDPOINT_VAR} is not set: the postgres backend needs `scripts/services start` and its \
             variables (`set -a; . <(scripts/services env)`), as scripts/test does"
        )
    });
    let bucket = format!("bf-test-{:016x}", rand::random::<u64>());
    create_bucket(&endpoint, &bucket).await;
    let shared = Arc::new(Shared {
        database: Some(database),
        bucket,
        endpoint,
        token: admin_token(),
    });
    BY_DATA_DIR.lock().insert(data_dir, shared.clone());
    shared
}

/// A plain path-style `PUT /BUCKET`: the test server takes unsigned requests.
async fn create_bucket(endpoint: &str, bucket: &str) {
    let url = format!("{}/{bucket}", endpoint.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .put(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the S3 test server at {endpoint}: {e}"));
    assert!(
        response.status().is_success(),
        "creating bucket {bucket}: {}",
        response.status()
    );
}

/// An admin token in Salesforce's `00D…!…` shape.
fn admin_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let secret: String = (0..64)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("00D000000000001!{secret}")
}
