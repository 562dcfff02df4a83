//! bulkforce-server: Salesforce Bulk API 2.0 over HTTP. The only crate that knows HTTP.
//!
//! Every request goes through one dispatcher: the path is normalised and parsed into an [`endpoint::Endpoint`]
//! (so the URL quirks of real clients are handled in one place), the bearer token is checked, and the
//! endpoint's handler runs. Jobs are processed by background workers ([`worker`]).

mod backend;
pub mod config;
mod connections;
mod control;
mod dispatch;
pub mod endpoint;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
pub mod observe;
mod private_file;
pub mod project;
mod record_types;
pub(crate) mod routes;
pub mod seed;
mod soql;
pub mod state;
mod tls;
mod wire;
pub mod worker;

pub use config::{ServerConfig, TlsConfig};
pub use routes::oauth::new_access_token;

use anyhow::Context;
use axum::Router;
use bulkforce_core::schema::Schema;
use bulkforce_store::{Principal, Store};
use state::AppState;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The router: one dispatcher for every path.
pub fn app(state: AppState) -> Router {
    Router::new().fallback(dispatch::dispatch).with_state(state)
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
    /// The workers: they end once [`Running::shutdown`] has begun and their jobs stopped at a chunk.
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// Every accepted connection, so that a stop lets the requests in flight finish (see `connections`).
    connections: Arc<hyper_util::server::graceful::GracefulShutdown>,
    /// The data dir's `serve.lock`, held exclusively while this server runs (see [`lock_data_dir`]);
    /// SQLite only: instances sharing PostgreSQL fence each other with leases instead.
    _data_dir_lock: Option<std::fs::File>,
}

impl Running {
    /// Stops gracefully (SIGTERM): no new connections, no new claims; requests in flight finish (an upload
    /// still streaming is received and recorded) and running jobs stop at their next chunk boundary (what
    /// is committed stays, with its checkpoint), both waited for at most `grace`; then this instance's
    /// claims and upload reservations are released so that another instance (or the next start) resumes
    /// its jobs at once rather than after their lease. An upload still streaming past `grace` finds its
    /// reservation gone and is answered 503, never 201.
    pub async fn shutdown(self, grace: std::time::Duration) {
        // The accept loop ends (the listener closes with it) before the connections are told to stop.
        self.server.abort();
        let _ = self.server.await;
        self.state.shutdown.begin();
        let connections = self.connections;
        let drained = async move {
            if let Ok(connections) = Arc::try_unwrap(connections) {
                connections.shutdown().await;
            } else {
                tracing::warn!("the connections could not be drained: still shared");
            }
        };
        let workers = futures::future::join_all(self.workers);
        let stopped = futures::future::join(drained, workers);
        if tokio::time::timeout(grace, stopped).await.is_err() {
            tracing::warn!(
                ?grace,
                "requests or jobs still running at the end of the grace period"
            );
        }
        let store = self.state.store.clone();
        match tokio::task::spawn_blocking(move || store.release_claims()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "releasing this instance's claims failed"),
            Err(e) => tracing::warn!(error = %e, "releasing this instance's claims panicked"),
        }
    }
}

/// Takes the data dir's `serve.lock` exclusively, or says which other server holds it. Start-up recovers
/// from a crash (releases claims and interrupted uploads, removes temp files): done by a second `serve` on
/// a data dir already served, that recovery would take jobs and uploads away from the live server, and its
/// worker would then apply rows twice. The lock is the operating system's, so it goes with the process,
/// whatever way it ends. `bulkforce admin` takes no lock: it runs beside a live server.
fn lock_data_dir(data_dir: &Path) -> anyhow::Result<std::fs::File> {
    bulkforce_store::private_fs::create_private_dir_all(data_dir)
        .with_context(|| format!("creating the data dir {}", data_dir.display()))?;
    let path = data_dir.join("serve.lock");
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "the data dir {} is already served by another bulkforce serve (it holds {}); \
             stop it or choose another --data-dir",
            data_dir.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
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
    let schema = Arc::new(project::load_schema(
        config.schema_dir.as_deref(),
        &config.project_dirs,
    )?);
    let fault_rules = read_fault_rules(config.faults_file.as_deref())?;
    let mut tls_cert = None;
    let data_dir = config.data_dir.clone();
    let data_dir_lock = match &config.backend {
        config::Backend::Sqlite => Some(lock_data_dir(&data_dir)?),
        config::Backend::Postgres(_) => {
            refuse_generated_admin_token(&config)?;
            bulkforce_store::private_fs::create_private_dir_all(&data_dir)
                .with_context(|| format!("creating the data dir {}", data_dir.display()))?;
            None
        }
    };
    let store = backend::open_store(&config, schema).await?;
    let blobs = backend::open_blobs(&config).await?;
    let (principal, token) = {
        let store = store.clone();
        let requested = config.access_token.clone();
        let token_file = data_dir.join("admin-token");
        let tls_dir = data_dir.join("tls");
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Principal, String)> {
            // Owner-only, as the store and blobs make theirs, even if an older version wrote them.
            for path in [&token_file, &tls_dir] {
                bulkforce_store::private_fs::tighten(path, &mut |_| Ok(false))?;
            }
            let principal = store.ensure_default_org()?;
            record_types::create_project_rows(&*store)?;
            let token = match requested {
                Some(flag) => {
                    forget_stored_flag_token(&*store, &token_file, &flag)?;
                    flag
                }
                None => admin_token(&token_file, &principal, &*store)?,
            };
            store.release_claims()?;
            Ok((principal, token))
        })
        .await??
    };
    let state = AppState {
        clock: store.clock().clone(),
        store,
        blobs,
        config: Arc::new(config.clone()),
        wake: Arc::new(Notify::new()),
        cursors: Arc::new(state::Cursors::default()),
        observers: Arc::new(observe::Observers::new(config.request_log_size)),
        faults: Arc::new(faults::Faults::default()),
        shutdown: Arc::new(worker::Shutdown::default()),
    };
    let workers = worker::spawn(&state);
    // Before the listener binds: nothing can see a half-seeded org, and readiness waits for the seed.
    if let Some(dir) = &config.seed_dir {
        seed::load(&state, &principal, dir)
            .await
            .with_context(|| format!("seeding the default org from {}", dir.display()))?;
    }
    // After the seed: the rules are for the tests that run against the server, not for its seed.
    state.faults.add_all(fault_rules)?;
    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("binding {}", config.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let router = app(state.clone());
    let acceptor = match &config.tls {
        None => None,
        Some(tls) => {
            let (cert, key) = tls::certificate(&data_dir, tls)?;
            let acceptor = tls::acceptor(&cert, &key)?;
            tls_cert = Some(cert);
            Some(acceptor)
        }
    };
    let listener = TcpListener::from_std(listener)?;
    let connections = Arc::new(hyper_util::server::graceful::GracefulShutdown::new());
    let server = tokio::spawn(connections::serve(
        listener,
        router,
        acceptor,
        config.connections,
        connections.clone(),
    ));
    Ok(Running {
        tls_cert,
        addr,
        token,
        principal,
        state,
        server,
        workers,
        connections,
        _data_dir_lock: data_dir_lock,
    })
}

/// Instances sharing a database must accept the same admin token, and a token generated by one instance
/// would be kept in its own data dir only: with PostgreSQL the admin token is `--access-token`, given
/// alike to every instance (logins still issue tokens that work on all of them).
fn refuse_generated_admin_token(config: &ServerConfig) -> anyhow::Result<()> {
    if config.access_token.is_none() {
        anyhow::bail!(
            "--database-url needs --access-token (or BULKFORCE_ACCESS_TOKEN): every instance sharing \
             the database must accept the same admin token"
        );
    }
    Ok(())
}

/// The fault rules of `--faults FILE` (a JSON array of rules), all checked: a bad file refuses the start
/// with an error naming the file and the rule at fault, so that a server never runs with half its rules.
fn read_fault_rules(file: Option<&Path>) -> anyhow::Result<Vec<serde_json::Value>> {
    let Some(file) = file else {
        return Ok(Vec::new());
    };
    let rules = faults::Faults::read_file(file)
        .with_context(|| format!("loading fault rules from {}", file.display()))?;
    tracing::info!(rules = rules.len(), file = %file.display(), "fault rules loaded");
    Ok(rules)
}

/// The `--access-token` is never stored: `dispatch::authenticate` accepts it while the server runs with
/// it, so it stops working once the server runs without it or with another. Versions before stored it
/// for good: that copy is revoked (unless it is also the generated admin token of the data dir).
fn forget_stored_flag_token(
    store: &dyn Store,
    token_file: &Path,
    flag: &str,
) -> anyhow::Result<()> {
    let generated = std::fs::read_to_string(token_file).is_ok_and(|t| t.trim() == flag);
    if !generated {
        store.revoke_token(flag)?;
    }
    Ok(())
}

/// The default org's admin token: the one kept in the data dir while it is live; else (first start, or
/// revoked) a new one in Salesforce's `00D…!…` shape (the `sf` CLI accepts no other), registered and kept
/// there with owner-only permissions, so that the start prints a token that works.
fn admin_token(path: &Path, principal: &Principal, store: &dyn Store) -> anyhow::Result<String> {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    if let Ok(existing) = std::fs::read_to_string(path) {
        let token = existing.trim().to_owned();
        if !token.is_empty() && store.authenticate(&token)?.as_ref() == Some(principal) {
            return Ok(token);
        }
    }
    let mut rng = rand::rng();
    let secret: String = (0..96)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let token = format!("{}!{secret}", &principal.org_id.as_str()[..15]);
    store.register_token(principal, &token)?;
    private_file::write_private_file_atomically(path, &token)?;
    Ok(token)
}
