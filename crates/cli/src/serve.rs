//! `bulkforce serve`.

use anyhow::Context;
use bulkforce_server::config::{
    Backend, ConnectionLimits, DEFAULT_CHUNK_ROWS, DEFAULT_DAILY_API_REQUESTS,
    DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_REQUEST_LOG_SIZE, DEFAULT_SHUTDOWN_GRACE, PostgresConfig,
};
use bulkforce_server::{Running, ServerConfig, TlsConfig};
use clap::Args;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BULKFORCE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where databases, uploads and results are kept.
    #[arg(long, env = "BULKFORCE_DATA_DIR", default_value = "./bulkforce-data")]
    data_dir: PathBuf,
    /// Keep the data in a fresh temporary directory, removed when the server stops (Ctrl-C, SIGTERM).
    #[arg(long, env = "BULKFORCE_EPHEMERAL", conflicts_with = "data_dir")]
    ephemeral: bool,
    /// Bearer token of the default org's admin user (default: generated once and kept in the data dir).
    #[arg(long, env = "BULKFORCE_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// Directory of sObject describe files (JSON, one object per file) adding fields or custom objects.
    #[arg(long = "schema", env = "BULKFORCE_SCHEMA_DIR")]
    schema_dir: Option<PathBuf>,
    /// A Salesforce DX project (its sfdx-project.json's package directories, or the directory itself)
    /// whose objects, fields, record types, validation rules and value sets the schema gains; repeatable.
    #[arg(long = "project", env = "BULKFORCE_PROJECT_DIR", value_name = "DIR")]
    project_dirs: Vec<PathBuf>,
    /// Largest upload accepted for one job, in bytes (of a gzip or deflate upload: once decompressed).
    #[arg(long, env = "BULKFORCE_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    max_upload_bytes: u64,
    /// Rows per processing chunk (one transaction each).
    #[arg(long, env = "BULKFORCE_CHUNK_ROWS", default_value_t = DEFAULT_CHUNK_ROWS)]
    chunk_rows: usize,
    /// Jobs processed concurrently.
    #[arg(long, env = "BULKFORCE_WORKERS", default_value_t = 2)]
    workers: usize,
    /// Pause after each processed chunk, in milliseconds (to watch or abort jobs in progress).
    #[arg(long, env = "BULKFORCE_CHUNK_DELAY_MS", default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Serve HTTPS with a self-signed certificate created at first start and kept in the data dir.
    #[arg(long, env = "BULKFORCE_TLS")]
    tls: bool,
    /// Serve HTTPS with this certificate (PEM), with --tls-key.
    #[arg(long, env = "BULKFORCE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "BULKFORCE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Lifetime of tokens issued by logins, in seconds (Salesforce's default: 2 hours).
    #[arg(long, env = "BULKFORCE_SESSION_TIMEOUT", default_value_t = 7200)]
    session_timeout: u64,
    /// Daily API request allocation per org over a rolling 24 hours (Sforce-Limit-Info, /limits); past it,
    /// requests get REQUEST_LIMIT_EXCEEDED, as Salesforce answers.
    #[arg(long, env = "BULKFORCE_DAILY_API_REQUESTS", default_value_t = DEFAULT_DAILY_API_REQUESTS)]
    daily_api_requests: u64,
    /// Count and report API usage but never refuse a request for it.
    #[arg(long, env = "BULKFORCE_IGNORE_API_LIMITS")]
    ignore_api_limits: bool,
    /// The URL the server calls itself in login answers (instance_url, identity URLs, SOAP serverUrl),
    /// e.g. behind a proxy: scheme://host[:port]. Without it, a plain host[:port] Host header is used,
    /// else the listening address.
    #[arg(long, env = "BULKFORCE_PUBLIC_URL", value_parser = bulkforce_server::config::parse_public_url)]
    public_url: Option<String>,
    /// Wrong passwords in a row that lock a user out of logins (Salesforce's default: 10); 0: never.
    #[arg(long, env = "BULKFORCE_LOCKOUT_ATTEMPTS", default_value_t = 10)]
    lockout_attempts: u32,
    /// How long a lockout lasts, in minutes (Salesforce's default: 15); 0: until `bulkforce admin
    /// unlock`.
    #[arg(long, env = "BULKFORCE_LOCKOUT_MINUTES", default_value_t = 15)]
    lockout_minutes: u64,
    /// Connections served at once; further ones wait in the listen backlog until one ends.
    #[arg(long, env = "BULKFORCE_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Seconds a connection may take to send its first byte, a request's headers, or (keep-alive) its
    /// next request; then it is closed.
    #[arg(long, env = "BULKFORCE_HEADER_TIMEOUT_SECONDS", default_value_t = DEFAULT_HEADER_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_seconds: u64,
    /// Seconds a connection may sit with no byte moving either way (a stalled upload, an unread
    /// response); then it is closed.
    #[arg(long, env = "BULKFORCE_IDLE_TIMEOUT_SECONDS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_seconds: u64,
    /// A bearer token for the control API (/_bulkforce/…) besides the default org admin's tokens.
    #[arg(long, env = "BULKFORCE_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
    /// Requests kept by the request log (GET /_bulkforce/requests); 0 keeps none.
    #[arg(long, env = "BULKFORCE_REQUEST_LOG_SIZE", default_value_t = DEFAULT_REQUEST_LOG_SIZE)]
    request_log_size: usize,
    /// Hold every job when it is closed (UploadComplete) until `POST /_bulkforce/jobs/{id}/release`.
    #[arg(long, env = "BULKFORCE_HOLD_JOBS")]
    hold_jobs: bool,
    /// Fault rules to load at start: a JSON array of rules as `POST /_bulkforce/faults` takes them.
    #[arg(long = "faults", env = "BULKFORCE_FAULTS_FILE")]
    faults_file: Option<PathBuf>,
    /// Load DIR/<Object>.csv into the default org at start (parents before children); a failed row
    /// stops the start.
    #[arg(long = "seed", env = "BULKFORCE_SEED_DIR")]
    seed_dir: Option<PathBuf>,
    /// Keep records, jobs, orgs, users and tokens in this PostgreSQL database
    /// (postgres://USER[:PASS]@HOST:PORT/DB), shared by any number of instances; needs --access-token.
    /// Without it: SQLite in the data dir.
    #[arg(long, env = "BULKFORCE_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Keep uploads and results in an S3-compatible bucket (s3://BUCKET[/PREFIX]), configured by the
    /// standard AWS variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    /// AWS_ALLOW_HTTP). Without it: files in the data dir.
    #[arg(long, env = "BULKFORCE_BLOB_STORE", value_parser = parse_blob_store)]
    blob_store: Option<String>,
    /// Who this instance is among those sharing the database: the owner of the jobs it claims
    /// (default: host name and process id).
    #[arg(long, env = "BULKFORCE_INSTANCE_ID")]
    instance_id: Option<String>,
    /// How long a job claim lasts without renewal: another instance takes a job over this long after its
    /// owner died (PostgreSQL only).
    #[arg(long, env = "BULKFORCE_LEASE_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    lease_seconds: u64,
    /// How logs are printed on stderr: text lines, or one JSON object per event.
    #[arg(long, env = "BULKFORCE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// How `serve` prints its logs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl ServeArgs {
    /// How the logs of this run are printed (read before the logger is set up).
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Dropped when `run` returns, on every way out: the ephemeral data goes with it.
    let ephemeral = if args.ephemeral {
        Some(
            tempfile::Builder::new()
                .prefix("bulkforce-ephemeral-")
                .tempdir()
                .context("creating the ephemeral data directory")?,
        )
    } else {
        None
    };
    let mut config = config(args);
    if let Some(dir) = &ephemeral {
        config.data_dir = dir.path().to_path_buf();
    }
    let data_dir = config.data_dir.clone();
    let grace = config.shutdown_grace;
    let mut running = bulkforce_server::start(config).await?;
    print_banner(&running, &data_dir, ephemeral.is_some());
    let stopped = tokio::select! {
        _ = &mut running.server => false,
        () = stop_signal() => true,
    };
    if stopped {
        println!("bulkforce: stopping");
        // Bounded: jobs stop at their next chunk within the grace period, then the claims go.
        running.shutdown(grace).await;
    }
    if let Some(dir) = ephemeral {
        let path = dir.path().to_path_buf();
        if let Err(e) = dir.close() {
            // A worker may still be writing into it: one more try once it had time to notice.
            tokio::time::sleep(Duration::from_millis(200)).await;
            if path.exists() {
                std::fs::remove_dir_all(&path).with_context(|| {
                    format!(
                        "removing the ephemeral data directory {} ({e})",
                        path.display()
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Ctrl-C, or (on Unix) SIGTERM, as a container runtime or `kill` sends: both stop the server the same
/// way, so that what `run` holds is dropped.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Checks `--blob-store`: `s3://BUCKET` with an optional `/PREFIX`.
fn parse_blob_store(url: &str) -> Result<String, String> {
    let bucket = url
        .strip_prefix("s3://")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .ok_or_else(|| format!("{url}: the blob store must be s3://BUCKET[/PREFIX]"))?;
    if bucket.is_empty() {
        return Err(format!("{url}: the blob store URL names no bucket"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// SQLite in the data dir, or the shared database of `--database-url`.
fn backend(database_url: Option<String>, instance_id: Option<String>, lease: u64) -> Backend {
    let Some(url) = database_url else {
        return Backend::Sqlite;
    };
    let mut postgres = PostgresConfig::new(url);
    if let Some(id) = instance_id {
        postgres.instance_id = id;
    }
    postgres.lease = Duration::from_secs(lease);
    Backend::Postgres(postgres)
}

/// The server settings the flags give.
fn config(args: ServeArgs) -> ServerConfig {
    ServerConfig {
        backend: backend(args.database_url, args.instance_id, args.lease_seconds),
        blob_store: args.blob_store,
        blob_settings: Vec::new(),
        shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        listen: args.listen,
        data_dir: args.data_dir,
        access_token: args.access_token,
        schema_dir: args.schema_dir,
        project_dirs: args.project_dirs,
        max_upload_bytes: args.max_upload_bytes,
        chunk_rows: args.chunk_rows,
        workers: args.workers,
        chunk_delay_ms: args.chunk_delay_ms,
        session_timeout: std::time::Duration::from_secs(args.session_timeout),
        daily_api_requests: args.daily_api_requests,
        enforce_api_limits: !args.ignore_api_limits,
        public_url: args.public_url,
        lockout: bulkforce_store::LockoutPolicy {
            attempts: args.lockout_attempts,
            duration: (args.lockout_minutes > 0)
                .then(|| std::time::Duration::from_secs(args.lockout_minutes.saturating_mul(60))),
        },
        tls: (args.tls || args.tls_cert.is_some()).then_some(TlsConfig {
            cert: args.tls_cert,
            key: args.tls_key,
        }),
        connections: ConnectionLimits {
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(args.header_timeout_seconds),
            idle_timeout: Duration::from_secs(args.idle_timeout_seconds),
        },
        control_token: args.control_token,
        request_log_size: args.request_log_size,
        hold_jobs: args.hold_jobs,
        faults_file: args.faults_file,
        seed_dir: args.seed_dir,
    }
}

/// What a user needs to reach the server, printed once it listens.
fn print_banner(running: &Running, data_dir: &Path, ephemeral: bool) {
    let scheme = if running.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{}", running.addr);
    println!("bulkforce serving Bulk API 2.0 at {url}");
    println!("  instance URL: {url}");
    if let Some(public) = &running.state.config.public_url {
        println!("  public URL:   {public}");
    }
    println!("  org id:       {}", running.principal.org_id);
    println!(
        "  user:         {} ({})",
        running.principal.username, running.principal.user_id
    );
    println!("  access token: {}", running.token);
    let note = if ephemeral {
        " (ephemeral: removed when the server stops)"
    } else {
        ""
    };
    println!("  data dir:     {}{note}", data_dir.display());
    if let bulkforce_server::config::Backend::Postgres(pg) = &running.state.config.backend {
        println!("  instance id:  {} (lease {:?})", pg.instance_id, pg.lease);
    }
    if let Some(bucket) = &running.state.config.blob_store {
        println!("  blob store:   {bucket}");
    }
    if let Some(cert) = &running.tls_cert {
        println!(
            "  certificate:  {} (trust it in clients, e.g. REQUESTS_CA_BUNDLE)",
            cert.display()
        );
    }
    println!("  control API:  {url}/_bulkforce/health, {url}/metrics");
    println!(
        "  try: curl -s {url}/services/data/v62.0/jobs/ingest -H 'Authorization: Bearer {}'",
        running.token
    );
}
