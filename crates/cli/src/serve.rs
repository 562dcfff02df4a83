//! `bulkforce serve`.

use bulkforce_server::config::{
    ConnectionLimits, DEFAULT_CHUNK_ROWS, DEFAULT_DAILY_API_REQUESTS, DEFAULT_HEADER_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_UPLOAD_BYTES,
};
use bulkforce_server::{ServerConfig, TlsConfig};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BULKFORCE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where databases, uploads and results are kept.
    #[arg(long, env = "BULKFORCE_DATA_DIR", default_value = "./bulkforce-data")]
    data_dir: PathBuf,
    /// Bearer token of the default org's admin user (default: generated once and kept in the data dir).
    #[arg(long, env = "BULKFORCE_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// Directory of sObject describe files (JSON, one object per file) adding fields or custom objects.
    #[arg(long = "schema", env = "BULKFORCE_SCHEMA_DIR")]
    schema_dir: Option<PathBuf>,
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
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        data_dir: args.data_dir,
        access_token: args.access_token,
        schema_dir: args.schema_dir,
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
    };
    let data_dir = config.data_dir.clone();
    let running = bulkforce_server::start(config).await?;
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
    println!("  data dir:     {}", data_dir.display());
    if let Some(cert) = &running.tls_cert {
        println!(
            "  certificate:  {} (trust it in clients, e.g. REQUESTS_CA_BUNDLE)",
            cert.display()
        );
    }
    println!(
        "  try: curl -s {url}/services/data/v62.0/jobs/ingest -H 'Authorization: Bearer {}'",
        running.token
    );
    tokio::select! {
        _ = running.server => {}
        _ = tokio::signal::ctrl_c() => println!("bulkforce: stopping"),
    }
    Ok(())
}
