//! The blob contract, one list of cases run over local files and over an S3-compatible bucket (moto,
//! `BULKFORCE_TEST_S3_ENDPOINT` from `scripts/services`, a fresh bucket per test): what a reader sees of
//! a blob being written, ranged reads, sizes, folder deletion and copies, and that a large blob streams
//! both ways with flat memory.

use bulkforce_store::StoreError;
use bulkforce_store::blob::{BlobStore, LocalBlobs};
use bulkforce_store::s3::S3Blobs;
use std::io::{Read, Write};
use std::sync::RwLock;

/// The large-blob case measures the whole process: it runs alone (write lock), the others together.
static MEASURING: RwLock<()> = RwLock::new(());

/// A `kB` line of /proc/self/status, in bytes.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    let kb: usize = line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// How far the process's resident memory rose above where it was at any moment of `work` (the peak is
/// reset first through /proc/self/clear_refs).
fn peak_growth(work: impl FnOnce()) -> usize {
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak RSS can be reset (Linux)");
    let base = status_bytes("VmRSS:");
    work();
    status_bytes("VmHWM:").saturating_sub(base)
}

// ---- the stores under test ----

fn local() -> (Option<tempfile::TempDir>, Box<dyn BlobStore>) {
    let dir = tempfile::tempdir().unwrap();
    let blobs = LocalBlobs::open(dir.path().join("blobs")).unwrap();
    (Some(dir), Box::new(blobs))
}

const ENDPOINT_VAR: &str = "BULKFORCE_TEST_S3_ENDPOINT";

fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: the S3 tests need `scripts/services start` and its variables \
             (`set -a; . <(scripts/services env)`), as scripts/test does"
        )
    })
}

/// Settings for the test server: any credentials, plain http.
fn settings(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("aws_endpoint", endpoint.to_owned()),
        ("aws_access_key_id", "test".into()),
        ("aws_secret_access_key", "test".into()),
        ("aws_region", "us-east-1".into()),
        ("aws_allow_http", "true".into()),
    ]
}

fn open_s3(url: &str, endpoint: &str) -> Result<S3Blobs, StoreError> {
    let settings = settings(endpoint);
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    S3Blobs::open_with(url, &pairs)
}

/// Creates an empty bucket with a plain path-style `PUT /BUCKET` (moto takes unsigned requests).
fn create_bucket(endpoint: &str) -> String {
    let name = format!("bf-blobs-{:016x}", rand_u64());
    let host = endpoint
        .strip_prefix("http://")
        .expect("the test endpoint is plain http");
    let mut stream = std::net::TcpStream::connect(host)
        .unwrap_or_else(|e| panic!("cannot reach the S3 test server at {endpoint}: {e}"));
    write!(
        stream,
        "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "creating bucket {name}: {answer}"
    );
    name
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A bucket of its own, with the blobs under a prefix (as `s3://BUCKET/PREFIX` puts them).
fn s3() -> (Option<tempfile::TempDir>, Box<dyn BlobStore>) {
    let endpoint = endpoint();
    let bucket = create_bucket(&endpoint);
    let blobs = open_s3(&format!("s3://{bucket}/team/blobs"), &endpoint).unwrap();
    (None, Box::new(blobs))
}

macro_rules! blob_contract {
    ($($case:ident),* $(,)?) => {
        mod local_files {
            $(#[test]
            fn $case() {
                let _shared = super::MEASURING.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (_dir, blobs) = super::local();
                super::$case(&*blobs);
            })*
        }
        mod s3_bucket {
            $(#[test]
            fn $case() {
                let _shared = super::MEASURING.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (_dir, blobs) = super::s3();
                super::$case(&*blobs);
            })*
        }
    };
}

blob_contract!(
    a_committed_blob_reads_back_from_any_offset,
    a_blob_appears_only_when_committed,
    an_abandoned_writer_leaves_nothing_behind,
    deleting_a_folder_leaves_its_neighbours,
    a_folder_copies_with_relative_keys,
    keys_that_could_escape_are_refused,
);

// ---- helpers ----

fn put(blobs: &dyn BlobStore, key: &str, text: &str) {
    let mut writer = blobs.create(key).unwrap();
    writer.write_all(text.as_bytes()).unwrap();
    assert_eq!(writer.commit().unwrap(), text.len() as u64);
}

fn read_at(blobs: &dyn BlobStore, key: &str, offset: u64) -> Option<String> {
    let mut text = String::new();
    blobs
        .open(key, offset)
        .unwrap()?
        .read_to_string(&mut text)
        .unwrap();
    Some(text)
}

fn read(blobs: &dyn BlobStore, key: &str) -> Option<String> {
    read_at(blobs, key, 0)
}

// ---- the cases ----

fn a_committed_blob_reads_back_from_any_offset(blobs: &dyn BlobStore) {
    put(blobs, "orgs/a/jobs/1/upload.csv", "hello world");
    assert_eq!(blobs.size("orgs/a/jobs/1/upload.csv").unwrap(), Some(11));
    assert_eq!(
        read(blobs, "orgs/a/jobs/1/upload.csv").as_deref(),
        Some("hello world")
    );
    assert_eq!(
        read_at(blobs, "orgs/a/jobs/1/upload.csv", 6).as_deref(),
        Some("world")
    );
    assert_eq!(
        read_at(blobs, "orgs/a/jobs/1/upload.csv", 11).as_deref(),
        Some("")
    );
    assert_eq!(
        read_at(blobs, "orgs/a/jobs/1/upload.csv", 50).as_deref(),
        Some("")
    );
    put(blobs, "orgs/a/empty.csv", "");
    assert_eq!(blobs.size("orgs/a/empty.csv").unwrap(), Some(0));
    assert_eq!(read(blobs, "orgs/a/empty.csv").as_deref(), Some(""));
    assert_eq!(read(blobs, "orgs/a/missing.csv"), None);
    assert_eq!(read_at(blobs, "orgs/a/missing.csv", 3), None);
    assert_eq!(blobs.size("orgs/a/missing.csv").unwrap(), None);
}

fn a_blob_appears_only_when_committed(blobs: &dyn BlobStore) {
    put(blobs, "j/part.csv", "old");
    let mut writer = blobs.create("j/part.csv").unwrap();
    writer.write_all(b"new and longer").unwrap();
    writer.flush().unwrap();
    assert_eq!(read(blobs, "j/part.csv").as_deref(), Some("old"));
    let mut fresh = blobs.create("j/fresh.csv").unwrap();
    fresh.write_all(b"x").unwrap();
    fresh.flush().unwrap();
    assert_eq!(blobs.size("j/fresh.csv").unwrap(), None);
    assert_eq!(writer.commit().unwrap(), 14);
    assert_eq!(fresh.commit().unwrap(), 1);
    assert_eq!(read(blobs, "j/part.csv").as_deref(), Some("new and longer"));
    assert_eq!(read(blobs, "j/fresh.csv").as_deref(), Some("x"));
}

fn an_abandoned_writer_leaves_nothing_behind(blobs: &dyn BlobStore) {
    put(blobs, "j/kept.csv", "kept");
    // Past one part: in a bucket this is a multipart upload already under way when abandoned.
    let chunk = vec![b'x'; 1024 * 1024];
    let mut writer = blobs.create("j/kept.csv").unwrap();
    let mut other = blobs.create("j/never.csv").unwrap();
    for _ in 0..7 {
        writer.write_all(&chunk).unwrap();
        other.write_all(&chunk).unwrap();
    }
    drop(writer);
    drop(other);
    assert_eq!(read(blobs, "j/kept.csv").as_deref(), Some("kept"));
    assert_eq!(blobs.size("j/never.csv").unwrap(), None);
    assert_eq!(read(blobs, "j/never.csv"), None);
}

fn deleting_a_folder_leaves_its_neighbours(blobs: &dyn BlobStore) {
    put(blobs, "orgs/a/jobs/1/upload.csv", "1");
    put(blobs, "orgs/a/jobs/1/successful/00000000.csv", "2");
    put(blobs, "orgs/ab/jobs/3/upload.csv", "3");
    blobs.delete_prefix("orgs/a").unwrap();
    assert_eq!(read(blobs, "orgs/a/jobs/1/upload.csv"), None);
    assert_eq!(read(blobs, "orgs/a/jobs/1/successful/00000000.csv"), None);
    assert_eq!(
        read(blobs, "orgs/ab/jobs/3/upload.csv").as_deref(),
        Some("3")
    );
    blobs.delete_prefix("orgs/a").unwrap();
    blobs.delete_prefix("orgs/none").unwrap();
}

fn a_folder_copies_with_relative_keys(blobs: &dyn BlobStore) {
    put(blobs, "orgs/a/jobs/1/upload.csv", "upload");
    put(blobs, "orgs/a/jobs/1/failed/00000000.csv", "part");
    put(blobs, "orgs/ab/jobs/2/upload.csv", "neighbour");
    put(blobs, "snapshots/7/orgs/a/other.csv", "already there");
    let mut writing = blobs
        .create("orgs/a/jobs/1/successful/00000000.csv")
        .unwrap();
    writing.write_all(b"half").unwrap();
    writing.flush().unwrap();

    blobs.copy_prefix("orgs/a", "snapshots/7/orgs/a").unwrap();
    drop(writing);
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/jobs/1/upload.csv").as_deref(),
        Some("upload")
    );
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/jobs/1/failed/00000000.csv").as_deref(),
        Some("part")
    );
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/jobs/1/successful/00000000.csv"),
        None
    );
    assert_eq!(
        read(blobs, "snapshots/7/orgs/ab/jobs/2/upload.csv"),
        None,
        "only the folder"
    );
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/other.csv").as_deref(),
        Some("already there")
    );

    // The copy is a blob of its own: replacing or deleting the source leaves it alone, and back.
    put(blobs, "orgs/a/jobs/1/upload.csv", "replaced");
    blobs.delete_prefix("orgs/a/jobs/1/failed").unwrap();
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/jobs/1/upload.csv").as_deref(),
        Some("upload")
    );
    blobs.delete_prefix("orgs/a").unwrap();
    blobs.copy_prefix("snapshots/7/orgs/a", "orgs/a").unwrap();
    assert_eq!(
        read(blobs, "orgs/a/jobs/1/upload.csv").as_deref(),
        Some("upload")
    );
    assert_eq!(
        read(blobs, "orgs/a/jobs/1/failed/00000000.csv").as_deref(),
        Some("part")
    );
    put(blobs, "orgs/a/jobs/1/upload.csv", "after the restore");
    assert_eq!(
        read(blobs, "snapshots/7/orgs/a/jobs/1/upload.csv").as_deref(),
        Some("upload")
    );
    blobs.copy_prefix("orgs/none", "snapshots/8").unwrap();
    assert_eq!(read(blobs, "snapshots/8/x"), None);
}

fn keys_that_could_escape_are_refused(blobs: &dyn BlobStore) {
    for bad in ["", "../x", "a//b", "a/./b", "a/b/", "/a", "a b", "a\\b"] {
        assert!(
            matches!(blobs.create(bad), Err(StoreError::Invalid(_))),
            "{bad:?} is refused"
        );
        assert!(
            matches!(blobs.open(bad, 0), Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
    }
    assert!(matches!(
        blobs.copy_prefix("a", "../b"),
        Err(StoreError::Invalid(_))
    ));
}

/// The bytes of the large blob: a pattern that shows a misplaced or repeated slice.
fn pattern_at(position: u64) -> u8 {
    let p = position.wrapping_mul(2_654_435_761);
    (p >> 13) as u8 ^ (position as u8)
}

const LARGE: u64 = 20 * 1024 * 1024;
const WRITE_SLICE: usize = 64 * 1024;

fn write_large(blobs: &dyn BlobStore, key: &str) {
    let mut writer = blobs.create(key).unwrap();
    let mut slice = vec![0u8; WRITE_SLICE];
    let mut position = 0u64;
    while position < LARGE {
        for (i, byte) in slice.iter_mut().enumerate() {
            *byte = pattern_at(position + i as u64);
        }
        writer.write_all(&slice).unwrap();
        position += WRITE_SLICE as u64;
    }
    assert_eq!(writer.commit().unwrap(), LARGE);
}

/// Reads `key` from `offset` to its end in small slices, checking every byte; the bytes read.
fn check_large(blobs: &dyn BlobStore, key: &str, offset: u64) -> u64 {
    let mut reader = blobs.open(key, offset).unwrap().unwrap();
    let mut slice = vec![0u8; 8 * 1024];
    let mut position = offset;
    loop {
        let n = reader.read(&mut slice).unwrap();
        if n == 0 {
            return position - offset;
        }
        for (i, byte) in slice[..n].iter().enumerate() {
            assert_eq!(
                *byte,
                pattern_at(position + i as u64),
                "byte {}",
                position + i as u64
            );
        }
        position += n as u64;
    }
}

/// A 20 MB blob written in 64 KiB slices and read back in 8 KiB slices (whole, and from an offset near
/// its end): resident memory never grows by more than a few parts of it.
fn a_large_blob_streams_with_flat_memory(blobs: &dyn BlobStore) {
    let written = peak_growth(|| write_large(blobs, "orgs/a/jobs/1/upload.csv"));
    assert!(
        written < 16 << 20,
        "writing 20 MB raised the resident memory by {written} bytes"
    );
    assert_eq!(blobs.size("orgs/a/jobs/1/upload.csv").unwrap(), Some(LARGE));
    let mut read = 0;
    let reading = peak_growth(|| read = check_large(blobs, "orgs/a/jobs/1/upload.csv", 0));
    assert_eq!(read, LARGE);
    assert!(
        reading < 4 << 20,
        "reading 20 MB raised the resident memory by {reading} bytes"
    );
    let tail = LARGE - 1_234_567;
    assert_eq!(
        check_large(blobs, "orgs/a/jobs/1/upload.csv", tail),
        LARGE - tail
    );
}

#[test]
fn a_large_blob_streams_with_flat_memory_in_files() {
    let _alone = MEASURING
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, blobs) = local();
    a_large_blob_streams_with_flat_memory(&*blobs);
}

#[test]
fn a_large_blob_streams_with_flat_memory_in_a_bucket() {
    let (_dir, blobs) = s3();
    let _alone = MEASURING
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    a_large_blob_streams_with_flat_memory(&*blobs);
}

// ---- S3 only: the layout under a prefix, and what opening checks ----

#[test]
fn blobs_live_under_the_url_prefix() {
    let _shared = MEASURING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let endpoint = endpoint();
    let bucket = create_bucket(&endpoint);
    let team = open_s3(&format!("s3://{bucket}/team/a"), &endpoint).unwrap();
    let whole = open_s3(&format!("s3://{bucket}"), &endpoint).unwrap();
    put(&team, "orgs/x/upload.csv", "under the prefix");
    assert_eq!(
        read(&whole, "team/a/orgs/x/upload.csv").as_deref(),
        Some("under the prefix")
    );
    assert_eq!(read(&whole, "orgs/x/upload.csv"), None);
    put(&whole, "team/ab/orgs/x/upload.csv", "a neighbour prefix");
    team.delete_prefix("orgs").unwrap();
    assert_eq!(read(&whole, "team/a/orgs/x/upload.csv"), None);
    assert!(read(&whole, "team/ab/orgs/x/upload.csv").is_some());
}

#[test]
fn a_missing_bucket_or_endpoint_is_one_clear_error() {
    let _shared = MEASURING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let endpoint = endpoint();
    let missing = open_s3("s3://bf-no-such-bucket-here", &endpoint).err();
    assert!(
        matches!(&missing, Some(StoreError::Unavailable(m)) if m.contains("bf-no-such-bucket-here")),
        "{missing:?}"
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = open_s3("s3://bucket", &format!("http://127.0.0.1:{port}")).err();
    assert!(
        matches!(&unreachable, Some(StoreError::Unavailable(_))),
        "{unreachable:?}"
    );
    for bad in ["bucket", "s3://", "file:///tmp"] {
        assert!(
            matches!(open_s3(bad, &endpoint), Err(StoreError::Invalid(_))),
            "{bad}"
        );
    }
}

// ---- a PostgreSQL snapshot keeps its blobs in the bucket ----

struct PgBackend {
    database: bulkforce_store::conformance::pg_database::TestDatabase,
}

impl bulkforce_store::conformance::Backend for PgBackend {
    fn open(
        &self,
        schema: std::sync::Arc<bulkforce_core::schema::Schema>,
    ) -> bulkforce_store::Result<Box<dyn bulkforce_store::Store>> {
        use bulkforce_store::postgres::{PgOptions, PgStore};
        let options = PgOptions::new(self.database.url.clone(), "s3-snapshots");
        let clock = bulkforce_core::clock::Clock::real();
        Ok(Box::new(PgStore::connect(options, schema, clock)?))
    }
}

/// Snapshot blobs are server-side copies under `snapshots/<id>/` in the bucket; a restore copies them
/// back over the live ones, and a deleted snapshot's copies go with the next snapshot.
#[test]
fn a_postgres_snapshot_keeps_its_blobs_in_the_bucket() {
    use bulkforce_store::blob::keys;
    use bulkforce_store::conformance::Fixture;
    use bulkforce_store::conformance::reset::loaded;
    let _shared = MEASURING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let endpoint = endpoint();
    let bucket = create_bucket(&endpoint);
    let blobs = open_s3(&format!("s3://{bucket}/team"), &endpoint).unwrap();
    let whole = open_s3(&format!("s3://{bucket}"), &endpoint).unwrap();
    let backend = PgBackend {
        database: bulkforce_store::conformance::pg_database::TestDatabase::create(),
    };
    let f = Fixture::open(&backend).unwrap();
    let job = loaded(&f, &f.admin, &["Acme"]).unwrap();
    let upload = keys::upload(f.org(), job.id);
    put(&blobs, &upload, "as snapshotted");

    f.store.create_snapshot("first", &blobs).unwrap();
    let copy = format!("team/snapshots/1/{upload}");
    assert_eq!(read(&whole, &copy).as_deref(), Some("as snapshotted"));
    put(&blobs, &upload, "changed");
    f.store.restore_snapshot("first", &blobs).unwrap();
    assert_eq!(read(&blobs, &upload).as_deref(), Some("as snapshotted"));

    f.store.delete_snapshot("first").unwrap();
    assert!(
        read(&whole, &copy).is_some(),
        "deleting is given no blob store"
    );
    f.store.create_snapshot("second", &blobs).unwrap();
    assert_eq!(read(&whole, &copy), None, "swept by the next snapshot");
    assert!(read(&whole, &format!("team/snapshots/2/{upload}")).is_some());
}
