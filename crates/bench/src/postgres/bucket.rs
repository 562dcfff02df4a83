//! A run's place in the object store: a fresh bucket (created without signing, as moto allows) or a fresh
//! prefix in a given bucket; emptied when the run ends, so that moto, which holds every object in memory,
//! does not grow run after run.

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};

/// Credentials and region given to the server (and used by the bench) when the environment has none:
/// moto accepts any.
const DEFAULT_KEY: &str = "bench";
const DEFAULT_REGION: &str = "us-east-1";

pub(crate) struct RunBlobs {
    endpoint: String,
    bucket: String,
    /// Empty for a bucket of the run's own; else `name/`.
    prefix: String,
    /// Whether the run created the bucket (and so deletes it).
    created: bool,
}

impl RunBlobs {
    /// A fresh bucket named `name`, or the prefix `name/` in `bucket`.
    pub(crate) fn create(
        endpoint: &str,
        bucket: Option<&str>,
        name: &str,
    ) -> anyhow::Result<RunBlobs> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        if let Some(bucket) = bucket {
            return Ok(RunBlobs {
                endpoint,
                bucket: bucket.to_owned(),
                prefix: format!("{name}/"),
                created: false,
            });
        }
        let response = reqwest::blocking::Client::new()
            .put(format!("{endpoint}/{name}"))
            .send()
            .with_context(|| format!("creating the bucket {name} at {endpoint}"))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().unwrap_or_default();
            bail!(
                "creating the bucket {name} at {endpoint}: HTTP {status} (an unsigned request, as moto \
                 accepts; for another S3 service give an existing bucket with --bucket): {body}"
            );
        }
        Ok(RunBlobs {
            endpoint,
            bucket: name.to_owned(),
            prefix: String::new(),
            created: true,
        })
    }

    /// `serve --blob-store`'s value.
    pub(crate) fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix.trim_end_matches('/'))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The standard AWS variables for the server: the endpoint, plain HTTP when it is `http://`, and a
    /// key and region where the bench's own environment has none.
    pub(crate) fn server_env(&self) -> Vec<(String, String)> {
        let mut env = vec![("AWS_ENDPOINT_URL".to_owned(), self.endpoint.clone())];
        if self.endpoint.starts_with("http://") {
            env.push(("AWS_ALLOW_HTTP".to_owned(), "true".to_owned()));
        }
        for (name, default) in [
            ("AWS_ACCESS_KEY_ID", DEFAULT_KEY),
            ("AWS_SECRET_ACCESS_KEY", DEFAULT_KEY),
            ("AWS_REGION", DEFAULT_REGION),
        ] {
            if std::env::var_os(name).is_none() {
                env.push((name.to_owned(), default.to_owned()));
            }
        }
        env
    }

    fn client(&self) -> anyhow::Result<AmazonS3> {
        let mut builder = AmazonS3Builder::from_env()
            .with_endpoint(&self.endpoint)
            .with_bucket_name(&self.bucket)
            .with_allow_http(self.endpoint.starts_with("http://"));
        for (name, value) in self.server_env() {
            builder = match name.as_str() {
                "AWS_ACCESS_KEY_ID" => builder.with_access_key_id(value),
                "AWS_SECRET_ACCESS_KEY" => builder.with_secret_access_key(value),
                "AWS_REGION" => builder.with_region(value),
                _ => builder,
            };
        }
        builder
            .build()
            .context("an S3 client for the run's objects")
    }

    /// Deletes every object of the run, then the bucket if the run created it.
    pub(crate) fn remove(&self) -> anyhow::Result<()> {
        let store = self.client()?;
        let prefix = (!self.prefix.is_empty())
            .then(|| object_store::path::Path::from(self.prefix.trim_end_matches('/')));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let locations = store
                .list(prefix.as_ref())
                .map_ok(|meta| meta.location)
                .boxed();
            store
                .delete_stream(locations)
                .try_collect::<Vec<_>>()
                .await
                .context("deleting the run's objects")
        })?;
        if self.created {
            reqwest::blocking::Client::new()
                .delete(format!("{}/{}", self.endpoint, self.bucket))
                .send()
                .with_context(|| format!("deleting the bucket {}", self.bucket))?;
        }
        Ok(())
    }
}
