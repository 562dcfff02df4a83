//! Blobs in an S3-compatible bucket (`--blob-store s3://BUCKET[/PREFIX]`), through `object_store`: the
//! same [`BlobStore`] contract as local files, so every instance of a cluster reads and writes the same
//! uploads and result parts.
//!
//! - Configuration is the standard AWS environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP=true`) with path-style addressing, so MinIO, Ceph,
//!   Garage, R2 and AWS itself all work. Keys live under the URL's prefix.
//! - `object_store` is async and the [`BlobStore`] trait is not (its callers are blocking threads): the
//!   store owns a small runtime of its own and blocks on it. Never calling `block_on` on the caller's
//!   runtime is what makes it safe from any blocking thread.
//! - Writers stream multipart uploads with bounded memory and make the object visible only on commit
//!   ([`writer`]); readers are ranged GETs streamed through a small buffer ([`reader`]).
//! - Transient failures are retried with backoff by `object_store` ([`retry_config`]); what is left after
//!   the retries is [`StoreError::Unavailable`]: the request may be retried and a job pauses, never fails.

mod local_copy;
mod reader;
mod writer;

use crate::blob::{BlobStore, BlobWriter, check_key};
use crate::{Result, StoreError};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How many server-side copies or deletions run at once in a prefix operation.
const CONCURRENT_REQUESTS: usize = 8;

/// Blobs in one bucket, under one prefix.
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    runtime: Arc<Runtime>,
    /// `s3://BUCKET[/PREFIX]`, for messages.
    url: String,
}

/// The runtime the store's futures run on. Shut down in the background when the last user goes, so
/// dropping it never blocks (nor panics inside an async context).
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn new() -> Result<Runtime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bulkforce-s3")
            .enable_all()
            .build()?;
        Ok(Runtime(Some(runtime)))
    }

    /// Runs `future` to completion on the store's runtime, from a thread that is not running async code.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0
            .as_ref()
            .expect("the runtime is only taken out when dropped")
            .block_on(future)
    }

    /// Runs `future` in the background (a writer's abort).
    pub(crate) fn spawn(&self, future: impl std::future::Future<Output = ()> + Send + 'static) {
        if let Some(runtime) = &self.0 {
            runtime.spawn(future);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Retries of transient failures (connection errors, 5xx, throttling): exponential backoff from 100 ms
/// to 5 s, at most 8 retries within a minute, then the error is the caller's.
pub fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: 8,
        retry_timeout: Duration::from_secs(60),
    }
}

/// `s3://BUCKET[/PREFIX]` split into the bucket and the key prefix (no leading or trailing '/').
fn parse_url(url: &str) -> Result<(&str, &str)> {
    let invalid = || {
        StoreError::Invalid(format!(
            "invalid blob store {url:?}: expected s3://BUCKET or s3://BUCKET/PREFIX"
        ))
    };
    let rest = url.strip_prefix("s3://").ok_or_else(invalid)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_matches('/');
    if bucket.is_empty() || (!prefix.is_empty() && check_key(prefix).is_err()) {
        return Err(invalid());
    }
    Ok((bucket, prefix))
}

impl S3Blobs {
    /// Opens the bucket of `url` (`s3://BUCKET[/PREFIX]`), configured from the standard AWS environment
    /// variables, and checks that it can be listed: a missing bucket, refused credentials or an
    /// unreachable endpoint are one [`StoreError::Unavailable`] with the reason.
    pub fn open(url: &str) -> Result<S3Blobs> {
        S3Blobs::open_with(url, &[])
    }

    /// [`S3Blobs::open`] with settings over the environment's, as `object_store`'s AWS config keys
    /// (`aws_endpoint`, `aws_access_key_id`, `aws_secret_access_key`, `aws_region`, `aws_allow_http`…):
    /// for tests and embedders that do not configure through the environment.
    pub fn open_with(url: &str, settings: &[(&str, &str)]) -> Result<S3Blobs> {
        let (bucket, prefix) = parse_url(url)?;
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_virtual_hosted_style_request(false);
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("us-east-1");
        }
        for (key, value) in settings {
            let key: AmazonS3ConfigKey = key
                .parse()
                .map_err(|e| StoreError::Invalid(format!("S3 setting {key:?}: {e}")))?;
            builder = builder.with_config(key, *value);
        }
        let runtime = Arc::new(Runtime::new()?);
        // The check at start gives up quickly; the store itself retries as `retry_config` says.
        let probe = build(builder.clone(), prefix, quick_retries(), url)?;
        runtime
            .block_on(probe.list_with_delimiter(None))
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot use the bucket of {url}: {}", describe(&e)))
            })?;
        let store = build(builder, prefix, retry_config(), url)?;
        Ok(S3Blobs {
            store,
            runtime,
            url: url.to_owned(),
        })
    }

    fn path(&self, key: &str) -> Result<ObjectPath> {
        check_key(key)?;
        Ok(ObjectPath::from(key))
    }

    /// Every committed object under the folder `prefix`, with its key relative to the bucket prefix.
    fn keys_under(&self, prefix: &ObjectPath) -> Result<Vec<ObjectPath>> {
        self.runtime
            .block_on(
                self.store
                    .list(Some(prefix))
                    .map_ok(|meta| meta.location)
                    .try_collect::<Vec<_>>(),
            )
            .map_err(|e| unavailable(&self.url, &e))
    }
}

fn quick_retries() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: 2,
        retry_timeout: Duration::from_secs(10),
    }
}

fn build(
    builder: AmazonS3Builder,
    prefix: &str,
    retry: RetryConfig,
    url: &str,
) -> Result<Arc<dyn ObjectStore>> {
    let s3 = builder
        .with_retry(retry)
        .build()
        .map_err(|e| StoreError::Invalid(format!("blob store {url}: {}", describe(&e))))?;
    Ok(if prefix.is_empty() {
        Arc::new(s3)
    } else {
        Arc::new(PrefixStore::new(s3, prefix))
    })
}

/// An `object_store` error with its causes, on one line (its own message often leaves out the cause:
/// "connection refused", "NoSuchBucket").
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// What a failure left after the retries means to the caller: try again later.
pub(crate) fn unavailable(url: &str, e: &object_store::Error) -> StoreError {
    StoreError::Unavailable(format!("object store {url}: {}", describe(e)))
}

impl BlobStore for S3Blobs {
    fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>> {
        let path = self.path(key)?;
        Ok(Box::new(writer::S3Writer::new(
            Arc::clone(&self.store),
            Arc::clone(&self.runtime),
            path,
            self.url.clone(),
        )))
    }

    fn open(&self, key: &str, offset: u64) -> Result<Option<Box<dyn Read + Send>>> {
        let path = self.path(key)?;
        let opened = reader::S3Reader::open(
            Arc::clone(&self.store),
            Arc::clone(&self.runtime),
            path,
            offset,
        );
        match opened {
            Ok(reader) => Ok(reader.map(|r| Box::new(r) as Box<dyn Read + Send>)),
            Err(e) => Err(unavailable(&self.url, &e)),
        }
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        let path = self.path(key)?;
        match self.runtime.block_on(self.store.head(&path)) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(&self.url, &e)),
        }
    }

    fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let prefix = self.path(prefix)?;
        let keys = self.keys_under(&prefix)?;
        let store = &self.store;
        self.runtime
            .block_on(
                futures::stream::iter(keys)
                    .map(|key| async move {
                        match store.delete(&key).await {
                            Err(object_store::Error::NotFound { .. }) => Ok(()),
                            other => other,
                        }
                    })
                    .buffer_unordered(CONCURRENT_REQUESTS)
                    .try_collect::<Vec<()>>(),
            )
            .map_err(|e| unavailable(&self.url, &e))?;
        Ok(())
    }

    fn copy_prefix(&self, src_prefix: &str, dest_prefix: &str) -> Result<()> {
        let (src, dest) = (self.path(src_prefix)?, self.path(dest_prefix)?);
        let copies: Vec<(ObjectPath, ObjectPath)> = self
            .keys_under(&src)?
            .into_iter()
            .filter_map(|key| {
                let target: ObjectPath = dest.parts().chain(key.prefix_match(&src)?).collect();
                Some((key, target))
            })
            .collect();
        let store = &self.store;
        self.runtime
            .block_on(
                futures::stream::iter(copies)
                    .map(|(from, to)| async move {
                        // Server-side: the bytes never pass through this process. An object deleted
                        // since the listing is simply not copied.
                        match store.copy(&from, &to).await {
                            Err(object_store::Error::NotFound { .. }) => Ok(()),
                            other => other,
                        }
                    })
                    .buffer_unordered(CONCURRENT_REQUESTS)
                    .try_collect::<Vec<()>>(),
            )
            .map_err(|e| unavailable(&self.url, &e))?;
        Ok(())
    }

    fn export_prefix(&self, prefix: &str, dest: &Path) -> Result<()> {
        let keys = self.keys_under(&self.path(prefix)?)?;
        local_copy::export(self, &keys, dest)
    }

    fn import_prefix(&self, prefix: &str, src: &Path) -> Result<()> {
        self.delete_prefix(prefix)?;
        local_copy::import(self, prefix, src)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(parse_url("s3://bucket").unwrap(), ("bucket", ""));
        assert_eq!(parse_url("s3://bucket/").unwrap(), ("bucket", ""));
        assert_eq!(
            parse_url("s3://bucket/team/a/").unwrap(),
            ("bucket", "team/a")
        );
        for bad in ["bucket", "s3://", "s3:///x", "http://bucket", "s3://b/../x"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
