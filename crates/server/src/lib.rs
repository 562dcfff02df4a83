//! bulkforce-server: Salesforce Bulk API 2.0 over HTTP. The only crate that knows HTTP.
//!
//! Every request goes through one dispatcher: the path is normalised and parsed into an [`endpoint::Endpoint`]
//! (so the URL quirks of real clients are handled in one place), the bearer token is checked, and the
//! endpoint's handler runs. Jobs are processed by background workers ([`worker`]).

pub mod config;
pub mod endpoint;
mod http;
pub(crate) mod routes;
mod soql;
pub mod state;
mod tls;
pub mod worker;

pub use config::{ServerConfig, TlsConfig};
pub use routes::oauth::new_access_token;

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::schema::Schema;
use bulkforce_store::blob::LocalBlobs;
use bulkforce_store::sqlite::SqliteStore;
use bulkforce_store::{Principal, Store};
use endpoint::Endpoint;
use state::{ApiUsage, AppState};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The router: one dispatcher for every path.
pub fn app(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let base = base_url(&state, &request);
    let (mut response, org) = match Endpoint::parse(&path) {
        Err(e) => (http::error(&e), None),
        Ok(endpoint) if endpoint.is_public() => (
            routes::handle_public(&state, &base, endpoint, request).await,
            None,
        ),
        Ok(endpoint) => match authenticate(&state, bearer_token(&request)).await {
            Err(e) => (http::error(&e), None),
            Ok(principal) => {
                let org = principal.org_id;
                let used = state.usage.record(org);
                let response =
                    if state.config.enforce_api_limits && used > state.config.daily_api_requests {
                        http::error(&ApiError::new(
                            403,
                            "REQUEST_LIMIT_EXCEEDED",
                            "TotalRequests Limit exceeded.",
                        ))
                    } else {
                        routes::handle(&state, &base, principal, endpoint, request)
                            .await
                            .unwrap_or_else(|e| http::error(&e))
                    };
                (response, Some(org))
            }
        },
    };
    let used = org.map(|o| state.usage.used(o)).unwrap_or(0);
    let limit = format!("api-usage={used}/{}", state.config.daily_api_requests);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&limit) {
        headers.insert("Sforce-Limit-Info", value);
    }
    headers.insert(
        "Cache-Control",
        HeaderValue::from_static("no-cache,must-revalidate,max-age=0,no-store,private"),
    );
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}

/// The URL clients reached this server at (`instance_url`, `serverUrl`, identity URLs): the request's host,
/// with https when serving TLS.
fn base_url(state: &AppState, request: &Request<Body>) -> String {
    let scheme = if state.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| state.config.listen.to_string());
    format!("{scheme}://{host}")
}

/// The token of `Authorization: Bearer <token>` (or the older `OAuth <token>`, or an `oauth_token` query
/// parameter as identity URLs accept).
fn bearer_token(request: &Request<Body>) -> Option<String> {
    let header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let token = match header {
        Some(header) => header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("OAuth "))?
            .trim()
            .to_owned(),
        None => routes::query_param(request.uri().query().unwrap_or_default(), "oauth_token")?,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

/// The principal of a token; 401 `INVALID_SESSION_ID` for none or an unknown one.
async fn authenticate(state: &AppState, token: Option<String>) -> Result<Principal, ApiError> {
    let token = token.ok_or_else(ApiError::invalid_session)?;
    let store = state.store.clone();
    http::blocking(move || store.authenticate(&token))
        .await?
        .ok_or_else(ApiError::invalid_session)
}

/// A running server: its address and the default org's admin token.
pub struct Running {
    pub addr: SocketAddr,
    pub token: String,
    pub principal: Principal,
    pub state: AppState,
    pub server: tokio::task::JoinHandle<()>,
    /// The certificate served over HTTPS, for clients to trust.
    pub tls_cert: Option<std::path::PathBuf>,
}

/// Loads the schema: the built-in objects plus every `*.json` describe file in `dir`, in name order.
pub fn load_schema(dir: Option<&Path>) -> anyhow::Result<Schema> {
    let mut schema = Schema::builtin();
    let Some(dir) = dir else { return Ok(schema) };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading schema directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        schema
            .merge_describe(&text)
            .with_context(|| format!("loading {}", file.display()))?;
    }
    Ok(schema)
}

/// Opens the store, makes sure the default org and its token exist, binds and starts serving.
pub async fn start(config: ServerConfig) -> anyhow::Result<Running> {
    let schema = Arc::new(load_schema(config.schema_dir.as_deref())?);
    let mut tls_path = None;
    let data_dir = config.data_dir.clone();
    let store: Arc<dyn Store> = {
        let dir = data_dir.clone();
        Arc::new(
            tokio::task::spawn_blocking(move || SqliteStore::open(dir, schema))
                .await?
                .context("opening the store")?,
        )
    };
    let blobs = Arc::new(LocalBlobs::open(data_dir.join("blobs")).context("opening blob storage")?);
    let (principal, token) = {
        let store = store.clone();
        let requested = config.access_token.clone();
        let token_file = data_dir.join("admin-token");
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Principal, String)> {
            let principal = store.ensure_default_org()?;
            let token = match requested {
                Some(t) => t,
                None => admin_token(&token_file, &principal)?,
            };
            store.register_token(&principal, &token)?;
            store.release_claims()?;
            Ok((principal, token))
        })
        .await??
    };
    let state = AppState {
        store,
        blobs,
        config: Arc::new(config.clone()),
        wake: Arc::new(Notify::new()),
        usage: Arc::new(ApiUsage::default()),
        cursors: Arc::new(state::Cursors::default()),
    };
    worker::spawn(&state);
    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("binding {}", config.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let router = app(state.clone());
    let tls_cert = match &config.tls {
        None => {
            let listener = TcpListener::from_std(listener)?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "server stopped");
                }
            })
        }
        Some(tls) => {
            let (cert, key) = tls::certificate(&data_dir, tls)?;
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| format!("loading the TLS certificate {}", cert.display()))?;
            let server = axum_server::from_tcp_rustls(listener, rustls);
            tls_path = Some(cert);
            tokio::spawn(async move {
                if let Err(e) = server.serve(router.into_make_service()).await {
                    tracing::error!(error = %e, "server stopped");
                }
            })
        }
    };
    let server = tls_cert;
    Ok(Running {
        tls_cert: tls_path,
        addr,
        token,
        principal,
        state,
        server,
    })
}

/// The default org's admin token: read from the data dir, or created in Salesforce's `00D…!…` shape
/// (the `sf` CLI accepts no other) and kept there with owner-only permissions.
fn admin_token(path: &Path, principal: &Principal) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let token = existing.trim().to_owned();
        if !token.is_empty() {
            return Ok(token);
        }
    }
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::rng();
    let secret: String = (0..96)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let token = format!("{}!{secret}", &principal.org_id.as_str()[..15]);
    write_private(path, &token)?;
    Ok(token)
}

/// Writes a file only its owner can read (tokens, keys).
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Methods a handler allows, for 405 answers.
pub(crate) fn not_allowed(method: &Method, allowed: &[&str]) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), allowed)
}
