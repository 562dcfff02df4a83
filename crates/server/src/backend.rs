//! Where a server keeps its data: the store (SQLite in the data dir, or a shared PostgreSQL database) and
//! the blobs (files in the data dir, or an S3-compatible bucket), opened at start.
//!
//! A database or bucket that cannot be used at start refuses the start with one line that says which and
//! why (never a panic, never a password): `serve` prints it and exits non-zero.

use crate::config::{Backend, ServerConfig};
use bulkforce_core::clock::Clock;
use bulkforce_core::schema::Schema;
use bulkforce_store::Store;
use bulkforce_store::blob::{BlobStore, LocalBlobs};
use bulkforce_store::postgres::{PgOptions, PgStore};
use bulkforce_store::sqlite::SqliteStore;
use std::sync::Arc;

/// Opens the store the configuration names, on a blocking thread (both connect or open files).
pub(crate) async fn open_store(
    config: &ServerConfig,
    schema: Arc<Schema>,
) -> anyhow::Result<Arc<dyn Store>> {
    match &config.backend {
        Backend::Sqlite => {
            let dir = config.data_dir.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(dir, schema))
                .await?
                .map_err(|e| anyhow::anyhow!("opening the store: {e}"))?;
            Ok(Arc::new(store))
        }
        Backend::Postgres(pg) => {
            let options = PgOptions {
                lease: pg.lease,
                ..PgOptions::new(pg.url.clone(), pg.instance_id.clone())
            };
            let shown = redacted_url(&pg.url);
            let store = tokio::task::spawn_blocking(move || {
                PgStore::connect(options, schema, Clock::real())
            })
            .await?
            .map_err(|e| anyhow::anyhow!("cannot use the database {shown}: {e}"))?;
            Ok(Arc::new(store))
        }
    }
}

/// Opens the blob store: the bucket of `--blob-store`, else `blobs/` in the data dir.
pub(crate) async fn open_blobs(config: &ServerConfig) -> anyhow::Result<Arc<dyn BlobStore>> {
    match &config.blob_store {
        None => {
            let blobs = LocalBlobs::open(config.data_dir.join("blobs"))
                .map_err(|e| anyhow::anyhow!("opening blob storage: {e}"))?;
            Ok(Arc::new(blobs))
        }
        Some(url) => {
            let url = url.clone();
            let settings = config.blob_settings.clone();
            // Opening lists the bucket once: a wrong name, endpoint or key refuses the start.
            let blobs = tokio::task::spawn_blocking(move || {
                let settings: Vec<(&str, &str)> = settings
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                bulkforce_store::s3::S3Blobs::open_with(&url, &settings)
                    .map_err(|e| anyhow::anyhow!("cannot use the blob store {url}: {e}"))
            })
            .await??;
            Ok(Arc::new(blobs))
        }
    }
}

/// The database URL as it may be printed: without its password.
pub(crate) fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(the database URL)".to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    format!("{scheme}://{host}/{path}")
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn printed_database_urls_have_no_password() {
        assert_eq!(
            redacted_url("postgres://bf:secret@db.example:5432/bulk?sslmode=disable&password=x"),
            "postgres://bf@db.example:5432/bulk"
        );
        assert_eq!(
            redacted_url("postgres://127.0.0.1:1/postgres"),
            "postgres://127.0.0.1:1/postgres"
        );
        assert_eq!(redacted_url("host=x password=y"), "(the database URL)");
    }
}
