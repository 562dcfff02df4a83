//! Server settings, with the defaults of a zero-configuration start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Salesforce's default session timeout: two hours.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

/// Salesforce's upload limit: 150 MB per job.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 150 * 1024 * 1024;
/// Salesforce processes uploads in internal batches of 10,000 records.
pub const DEFAULT_CHUNK_ROWS: usize = 10_000;
/// The CSV of a multipart create may hold at most 100,000 characters.
pub const MULTIPART_MAX_CHARS: usize = 100_000;
/// Jobs per page of a job list.
pub const JOB_LIST_PAGE: usize = 1_000;
/// The daily API request allocation per org (an Enterprise-edition-like figure), shown in `Sforce-Limit-Info`.
pub const DEFAULT_DAILY_API_REQUESTS: u64 = 100_000;

/// Connections served at once by default: well under a 1,024-descriptor limit, with room for what each
/// connection may hold besides its socket (an upload or result file) and for the databases.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Time allowed for a connection's first byte and for each request head (hyper's own default).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a connection may sit with no byte moving either way.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Requests the request log keeps by default (`GET /_bulkforce/requests`).
pub const DEFAULT_REQUEST_LOG_SIZE: usize = 1_000;

/// How long a job claim lasts without renewal on PostgreSQL: another instance takes a job over this long
/// after its owner stopped renewing (died, or lost the database).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// How long a graceful stop waits for running chunks (a transaction ends within about a second), well
/// inside the 10 seconds a container runtime allows before it kills.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Where the records and jobs live, and who this instance is among those sharing them.
#[derive(Debug, Clone, Default)]
pub enum Backend {
    /// SQLite databases in the data dir: one `serve` per data dir (`serve.lock`).
    #[default]
    Sqlite,
    /// A PostgreSQL database shared by any number of instances.
    Postgres(PostgresConfig),
}

/// `--database-url`, `--instance-id`, `--lease-seconds`.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// `postgres://USER[:PASS]@HOST:PORT/DB`.
    pub url: String,
    /// Who owns the jobs this instance claims; unique among the instances sharing the database.
    pub instance_id: String,
    /// How long a claim lasts without renewal.
    pub lease: Duration,
}

impl PostgresConfig {
    /// A database URL with this instance's default id and lease.
    pub fn new(url: impl Into<String>) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            instance_id: default_instance_id(),
            lease: DEFAULT_LEASE,
        }
    }
}

/// The host name and the process id: unique among instances on different machines and on one machine, and
/// new at every start (a restarted instance's old leases lapse rather than being mistaken for its own).
pub fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}-{}", std::process::id())
}

/// What keeps idle and half-sent connections from exhausting the server (see `connections`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; the next ones wait in the listen backlog until one ends.
    pub max_connections: usize,
    /// A connection must send its first byte, and each request head in full (also the next one on a
    /// keep-alive connection), within this time.
    pub header_timeout: Duration,
    /// A connection with no byte moving either way for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The admin token of the default org; generated and kept in the data dir when not given.
    pub access_token: Option<String>,
    /// Extra describe files (one object per file).
    pub schema_dir: Option<PathBuf>,
    /// Salesforce DX projects whose objects, fields, record types and rules the schema gains (`--project`).
    pub project_dirs: Vec<PathBuf>,
    /// Largest upload of one job, counted on the bytes as stored (after any gzip or deflate decoding).
    pub max_upload_bytes: u64,
    /// Rows per processing chunk (one transaction, one result part).
    pub chunk_rows: usize,
    /// Jobs processed at the same time.
    pub workers: usize,
    /// A pause after each chunk, so tests and demos can watch (and abort) a job in progress.
    pub chunk_delay_ms: u64,
    pub daily_api_requests: u64,
    /// Refuse requests past the daily allocation with REQUEST_LIMIT_EXCEEDED, as Salesforce does (off: count
    /// and report only).
    pub enforce_api_limits: bool,
    /// Lifetime of access tokens issued by the OAuth and SOAP logins.
    pub session_timeout: Duration,
    /// Serve HTTPS: with this certificate and key, or (both None) a self-signed pair kept in the data dir.
    pub tls: Option<TlsConfig>,
    /// What the server calls itself in `instance_url`, identity URLs and SOAP `serverUrl`
    /// (`scheme://host[:port]`, see [`parse_public_url`]). Without it, the request's Host header is used
    /// when it is a plain `host[:port]`, else the listening address: a Host header is never trusted as is.
    pub public_url: Option<String>,
    /// When wrong passwords lock a user out (Salesforce's defaults: 10 in a row, for 15 minutes).
    pub lockout: bulkforce_store::LockoutPolicy,
    pub connections: ConnectionLimits,
    /// A bearer token for the control endpoints (`/_bulkforce/…`) besides the default org admin's tokens.
    pub control_token: Option<String>,
    /// Requests the request log keeps (the oldest are forgotten first; 0 keeps none).
    pub request_log_size: usize,
    /// Hold every job when it is closed (UploadComplete), until released through the control API.
    pub hold_jobs: bool,
    /// Fault rules (a JSON array of rules, as `POST /_bulkforce/faults` takes) loaded at start.
    pub faults_file: Option<PathBuf>,
    /// `<Object>.csv` files loaded into the default org at start, before the server reports ready.
    pub seed_dir: Option<PathBuf>,
    /// SQLite in the data dir, or a shared PostgreSQL database.
    pub backend: Backend,
    /// `--blob-store s3://BUCKET[/PREFIX]`: uploads and results in an S3-compatible bucket (configured by
    /// the standard AWS variables) instead of the data dir.
    pub blob_store: Option<String>,
    /// Settings of the bucket over the AWS environment's, as `object_store`'s AWS config keys
    /// (`aws_endpoint`, `aws_access_key_id`, …): for tests and embedders; `serve` uses the environment.
    pub blob_settings: Vec<(String, String)>,
    /// On SIGTERM, how long running chunks may take to finish before the process exits anyway.
    pub shutdown_grace: Duration,
}

/// Where the TLS certificate and key come from.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("bulkforce-data"),
            access_token: None,
            schema_dir: None,
            project_dirs: Vec::new(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            chunk_rows: DEFAULT_CHUNK_ROWS,
            workers: 2,
            chunk_delay_ms: 0,
            daily_api_requests: DEFAULT_DAILY_API_REQUESTS,
            enforce_api_limits: true,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            tls: None,
            public_url: None,
            lockout: bulkforce_store::LockoutPolicy::default(),
            connections: ConnectionLimits::default(),
            control_token: None,
            request_log_size: DEFAULT_REQUEST_LOG_SIZE,
            hold_jobs: false,
            faults_file: None,
            seed_dir: None,
            backend: Backend::Sqlite,
            blob_store: None,
            blob_settings: Vec::new(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Checks a `--public-url`: `http://` or `https://`, then a `host[:port]` (see [`is_host_and_port`]), and
/// nothing else (a trailing `/` is dropped). Returns it as the server will print it.
pub fn parse_public_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let authority = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("{url}: the public URL must start with http:// or https://"))?;
    if !is_host_and_port(authority) {
        return Err(format!(
            "{url}: the public URL must be scheme://host[:port], without path, query or user"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Whether `text` is a plain `host[:port]`: a DNS name (letters, digits, `-`, dots), an IPv4 address or
/// a bracketed IPv6 address, and an optional decimal port. Anything else in a Host header (markup,
/// spaces, `@`, `/`) must never reach a URL the server hands out.
pub fn is_host_and_port(text: &str) -> bool {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, after)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => {
                match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None if after.is_empty() => (None, None),
                    None => return false,
                }
            }
            _ => return false,
        },
        None => match text.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(text), None),
        },
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    let host_ok = host.is_none_or(|h| {
        !h.is_empty()
            && h.len() <= 253
            && h.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    });
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::{is_host_and_port, parse_public_url};

    #[test]
    fn host_headers_are_plain_names_and_ports_only() {
        for good in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:443",
            "[::1]",
            "my-org.my.salesforce.com",
        ] {
            assert!(is_host_and_port(good), "{good}");
        }
        for bad in [
            "",
            ":80",
            "a:",
            "a:99999",
            "a:8o",
            "evil.test/x",
            "u@evil.test",
            "a b",
            "x</serverUrl><sessionId>forged</sessionId>",
            "-a.test",
            "a..test",
            "[::1",
            "[zz]:1",
            "[::1]x",
            "a:1:2",
        ] {
            assert!(!is_host_and_port(bad), "{bad}");
        }
    }

    #[test]
    fn public_urls_are_a_scheme_and_an_authority() {
        assert_eq!(
            parse_public_url("https://bulk.example.com/").as_deref(),
            Ok("https://bulk.example.com")
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:8080").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert!(parse_public_url("bulk.example.com").is_err());
        assert!(parse_public_url("https://bulk.example.com/path").is_err());
        assert!(parse_public_url("ftp://bulk.example.com").is_err());
    }
}
