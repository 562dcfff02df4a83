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

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The admin token of the default org; generated and kept in the data dir when not given.
    pub access_token: Option<String>,
    /// Extra describe files (one object per file).
    pub schema_dir: Option<PathBuf>,
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
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            chunk_rows: DEFAULT_CHUNK_ROWS,
            workers: 2,
            chunk_delay_ms: 0,
            daily_api_requests: DEFAULT_DAILY_API_REQUESTS,
            enforce_api_limits: true,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            tls: None,
        }
    }
}
