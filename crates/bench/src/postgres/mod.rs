//! The bench on PostgreSQL and S3-compatible object storage: each run gets a database and a bucket (or a
//! prefix in a given bucket) of its own, the server is started on them, and the reference is PostgreSQL's own
//! `COPY` of the same CSV ([`copy_reference`]).
//!
//! The object store is usually moto, a Python test server that keeps every object in memory: it is part of
//! every server figure (uploads stream into it, result files are read back from it), and it is not what a
//! production object store costs. A real endpoint and bucket can be given instead ([`PgTarget::bucket`]).

mod bucket;
pub mod copy_reference;

use anyhow::Context;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the PostgreSQL bench runs.
#[derive(Clone, Debug)]
pub struct PgTarget {
    /// A database on the PostgreSQL server to use (its maintenance database will do): the bench creates a
    /// fresh database beside it for each run and drops it when the run ends.
    pub database_url: String,
    /// The S3-compatible endpoint (`AWS_ENDPOINT_URL` of the server).
    pub s3_endpoint: String,
    /// An existing bucket: each run's objects go under a fresh prefix in it and are deleted when the run
    /// ends. `None`: a fresh bucket per run, created with an unsigned request (which moto accepts and a real
    /// S3 service does not), emptied and deleted when the run ends.
    pub bucket: Option<String>,
}

/// Numbers the runs of this process, so that two runs never share a database or bucket.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// One run's database and blob location, removed when dropped.
pub(crate) struct PgRun {
    admin_url: String,
    database: String,
    /// The run's database, for `serve --database-url` and the reference.
    pub(crate) url: String,
    blobs: bucket::RunBlobs,
}

impl PgRun {
    /// Creates the run's database and bucket (or prefix).
    pub(crate) fn create(target: &PgTarget) -> anyhow::Result<PgRun> {
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let name = format!("bulkforce_bench_{}_{run}", std::process::id());
        let mut admin = postgres::Client::connect(&target.database_url, postgres::NoTls)
            .with_context(|| format!("connecting to {}", target.database_url))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .with_context(|| format!("creating the database {name}"))?;
        let url = database_url(&target.database_url, &name)?;
        let blobs = bucket::RunBlobs::create(
            &target.s3_endpoint,
            target.bucket.as_deref(),
            &name.replace('_', "-"),
        )?;
        Ok(PgRun {
            admin_url: target.database_url.clone(),
            database: name,
            url,
            blobs,
        })
    }

    /// The `serve` arguments that put the server on this run's database and blobs.
    pub(crate) fn server_args(&self) -> Vec<String> {
        vec![
            "--database-url".to_owned(),
            self.url.clone(),
            "--blob-store".to_owned(),
            self.blobs.url(),
        ]
    }

    /// The environment the server needs to reach the object store.
    pub(crate) fn server_env(&self) -> Vec<(String, String)> {
        self.blobs.server_env()
    }
}

impl Drop for PgRun {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.database
            ));
        }
        if let Err(e) = self.blobs.remove() {
            eprintln!("bench: the run's objects could not all be removed: {e:#}");
        }
    }
}

/// `url` with its database replaced by `database` (query parameters kept).
fn database_url(url: &str, database: &str) -> anyhow::Result<String> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    if base.len() <= scheme_end {
        anyhow::bail!("{url} is not a postgres:// URL");
    }
    Ok(match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    })
}

/// One line about the server the run measured on, for the report's notes.
pub(crate) fn describe(target: &PgTarget) -> anyhow::Result<String> {
    let mut client = postgres::Client::connect(&target.database_url, postgres::NoTls)
        .with_context(|| format!("connecting to {}", target.database_url))?;
    let version: String = client.query_one("SHOW server_version", &[])?.get(0);
    let mut settings = Vec::new();
    for name in ["shared_buffers", "fsync", "synchronous_commit"] {
        let value: String = client.query_one(&format!("SHOW {name}"), &[])?.get(0);
        settings.push(format!("{name}={value}"));
    }
    let blobs = match &target.bucket {
        Some(bucket) => format!("bucket {bucket} at {}", target.s3_endpoint),
        None => format!(
            "a fresh bucket per run at {} (moto, scripts/services' S3: an in-memory Python server, \
             whose time is part of every server figure)",
            target.s3_endpoint
        ),
    };
    Ok(format!(
        "backend: PostgreSQL {version} ({}), blobs in {blobs}; a fresh database per run; reference: COPY \
         into a table LIKE the server's (same columns and indexes)",
        settings.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            database_url("postgres://u@127.0.0.1:5432/postgres", "b").unwrap(),
            "postgres://u@127.0.0.1:5432/b"
        );
        assert_eq!(
            database_url("postgres://u:p@h/postgres?sslmode=disable", "b").unwrap(),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            database_url("postgresql://h:1", "b").unwrap(),
            "postgresql://h:1/b"
        );
        assert!(database_url("postgres://", "b").is_err());
    }
}
