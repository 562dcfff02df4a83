//! Several `bulkforce serve` processes forming one service (issue 12): the same PostgreSQL database (a fresh
//! `TestDatabase` on the server `scripts/services` runs, or a given URL), one fresh bucket on the S3-compatible
//! server (moto, `BULKFORCE_TEST_S3_ENDPOINT`), the same admin `--access-token`, and a short lease so a dead
//! instance's jobs are taken over within seconds.

use bulkforce_store::conformance::pg_database::TestDatabase;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable naming the S3-compatible test server (`scripts/services env`).
pub const S3_ENDPOINT_VAR: &str = "BULKFORCE_TEST_S3_ENDPOINT";
/// Seconds a job's lease lasts: short, so failover tests wait seconds, not the default 30.
pub const LEASE_SECONDS: u32 = 3;

/// What every instance of a cluster is started with.
#[derive(Clone, Debug, Default)]
pub struct ClusterConfig {
    /// The admin `--access-token`, the same on every instance.
    pub token: String,
    /// `--schema` (describe files), when given.
    pub schema_dir: Option<PathBuf>,
    /// `--public-url`: what the instances call themselves in login answers (the load balancer's URL).
    pub public_url: Option<String>,
    /// Further `serve` flags for every instance.
    pub extra: Vec<String>,
}

/// One bucket of its own on the S3-compatible test server.
pub struct Bucket {
    pub endpoint: String,
    pub name: String,
}

impl Bucket {
    /// Creates an empty bucket with a plain path-style `PUT /BUCKET` (moto takes unsigned requests). Panics
    /// with what to run when the test server is not configured, so an S3 test can never pass without S3.
    pub fn create() -> Bucket {
        let endpoint = std::env::var(S3_ENDPOINT_VAR).unwrap_or_else(|_| {
            panic!(
                "{S3_ENDPOINT_VAR} is not set: the cluster tests need `scripts/services start` and its \
                 variables (`set -a; . <(scripts/services env)`), as scripts/test does"
            )
        });
        let name = format!("bf-test-{:016x}", rand_u64());
        let response = reqwest::blocking::Client::new()
            .put(format!("{endpoint}/{name}"))
            .send()
            .unwrap_or_else(|e| panic!("cannot reach the S3 test server at {endpoint}: {e}"));
        assert!(
            response.status().is_success(),
            "creating bucket {name}: {}",
            response.status()
        );
        Bucket { endpoint, name }
    }
}

/// A number unlikely to repeat between tests (bucket names; no `rand` dependency needed for that).
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// One running instance, killed (SIGKILL) when dropped.
pub struct Instance {
    child: Child,
    /// Its own base URL, e.g. `http://127.0.0.1:41873`.
    pub url: String,
    /// Its `--instance-id`.
    pub id: String,
    /// Its log (stderr).
    pub log: PathBuf,
}

impl Instance {
    /// SIGKILL, as a machine that dies: no shutdown, leases left to expire.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines of its log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `host:port` of its listener.
    pub fn address(&self) -> std::net::SocketAddr {
        self.url
            .strip_prefix("http://")
            .expect("cluster instances serve plain http")
            .parse()
            .expect("the instance URL is an address")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The database of a cluster: a fresh one dropped with the cluster, or one the test owns.
enum Database {
    Fresh(TestDatabase),
    Given(String),
}

/// Instances over one database and one bucket. Dropped: instances killed, then the database dropped.
pub struct Cluster {
    // Field order is drop order: the instances stop before their database goes.
    pub instances: Vec<Instance>,
    database: Database,
    pub bucket: Bucket,
    config: ClusterConfig,
    /// Data dirs and logs of the instances.
    pub dir: tempfile::TempDir,
    next: AtomicUsize,
}

impl Cluster {
    /// `instances` instances on a fresh database and bucket.
    pub fn start(instances: usize, config: ClusterConfig) -> Cluster {
        Cluster::start_with(Database::Fresh(TestDatabase::create()), instances, config)
    }

    /// `instances` instances on the database at `database_url` (e.g. a private PostgreSQL a test restarts).
    pub fn start_on(database_url: &str, instances: usize, config: ClusterConfig) -> Cluster {
        Cluster::start_with(Database::Given(database_url.to_owned()), instances, config)
    }

    fn start_with(database: Database, instances: usize, config: ClusterConfig) -> Cluster {
        let mut cluster = Cluster {
            instances: Vec::new(),
            database,
            bucket: Bucket::create(),
            config,
            dir: tempfile::Builder::new()
                .prefix("bulkforce-cluster-")
                .tempdir()
                .unwrap(),
            next: AtomicUsize::new(0),
        };
        for _ in 0..instances {
            cluster.add_instance(&[]);
        }
        cluster
    }

    /// The PostgreSQL URL every instance uses.
    pub fn database_url(&self) -> &str {
        match &self.database {
            Database::Fresh(database) => &database.url,
            Database::Given(url) => url,
        }
    }

    /// `s3://BUCKET/PREFIX` as `--blob-store` takes it.
    pub fn blob_store(&self) -> String {
        format!("s3://{}/blobs", self.bucket.name)
    }

    /// Starts one more instance with the cluster's flags and `extra`; returns once it printed its URL.
    pub fn add_instance(&mut self, extra: &[&str]) -> &Instance {
        let n = self.instances.len();
        let id = format!("test-instance-{n}");
        let data_dir = self.dir.path().join(&id);
        let log = self.dir.path().join(format!("{id}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--access-token"])
            .arg(&self.config.token)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--database-url", self.database_url()])
            .args(["--blob-store", &self.blob_store()])
            .args(["--instance-id", &id])
            .args(["--lease-seconds", &LEASE_SECONDS.to_string()]);
        if let Some(schema) = &self.config.schema_dir {
            command.arg("--schema").arg(schema);
        }
        if let Some(public_url) = &self.config.public_url {
            command.args(["--public-url", public_url]);
        }
        command.args(&self.config.extra).args(extra);
        s3_environment(&mut command, &self.bucket.endpoint);
        let mut child = command
            // The tests' own environment must not reach the server.
            .env_remove("BULKFORCE_ACCESS_TOKEN")
            .env_remove("BULKFORCE_DATA_DIR")
            .env("BULKFORCE_LOG", "warn,bulkforce=info,bulkforce_server=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("bulkforce starts");
        let Some(url) = super::instance_url(&mut child) else {
            let _ = child.wait();
            panic!(
                "instance {id} exited before printing its URL:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            );
        };
        self.instances.push(Instance {
            child,
            url,
            id,
            log,
        });
        self.instances.last().expect("just pushed")
    }

    /// Every instance's URL, in start order.
    pub fn urls(&self) -> Vec<String> {
        self.instances.iter().map(|i| i.url.clone()).collect()
    }

    /// The next instance's URL, round-robin: consecutive calls name different instances.
    pub fn next_url(&self) -> &str {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        &self.instances[n % self.instances.len()].url
    }

    /// Every instance's last log lines, for failure messages.
    pub fn log_tails(&self) -> String {
        self.instances
            .iter()
            .map(|i| format!("--- {} ({}) ---\n{}", i.id, i.url, i.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The standard AWS variables pointing `--blob-store` at the plain-http test server.
fn s3_environment(command: &mut Command, endpoint: &str) {
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "bulkforce-test")
        .env("AWS_SECRET_ACCESS_KEY", "bulkforce-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ALLOW_HTTP", "true");
}

/// `dir/schema/Account.json` with `describe` (a describe file), for [`ClusterConfig::schema_dir`].
pub fn schema_dir(dir: &Path, describe: &str) -> PathBuf {
    let schema = dir.join("schema");
    fs::create_dir_all(&schema).unwrap();
    fs::write(schema.join("Account.json"), describe).unwrap();
    schema
}
