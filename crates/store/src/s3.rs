//! Blobs in an S3-compatible bucket (`--blob-store s3://BUCKET[/PREFIX]`), through `object_store`: the
//! same [`BlobStore`](crate::blob::BlobStore) contract as local files. (Being built.)
