//! Uploads that must never be silently altered (issue 14): cells that are not UTF-8 fail their row rather
//! than being stored as U+FFFD and reported successful; gzip and deflate bodies are decoded as they stream,
//! with the limit counted on the decoded bytes; and every file the server keeps is owner-only.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::Write;

fn insert_account() -> serde_json::Value {
    json!({"object": "Account", "operation": "insert"})
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `PUT …/batches` with a `Content-Encoding`.
async fn upload_encoded(s: &Server, id: &str, encoding: &str, body: Vec<u8>) -> Reply {
    let url = s.api(&format!("/jobs/ingest/{id}/batches"));
    s.send(
        s.request(Method::PUT, &url)
            .header("Content-Type", "text/csv")
            .header("Content-Encoding", encoding)
            .body(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_with_cells_that_are_not_utf8_fail_and_are_never_stored() {
    let s = start().await;
    let mut csv = b"Name,Description\nPlain,ascii\n".to_vec();
    csv.extend_from_slice(b"Caf\xe9 Latin-1,ok\n"); // Latin-1 'é'
    csv.extend_from_slice(b"Good,broken \xff\xfe bytes\n");
    csv.extend_from_slice("Z\u{fc}rich,valid UTF-8\n".as_bytes());
    let id = s.create_id(&insert_account()).await;
    s.upload_ok(&id, csv).await;
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 2);
    let successful = s.result(&id, "successfulResults").await;
    let successful = parse_csv(&successful, b',');
    let names: Vec<&str> = successful[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(names, ["Plain", "Z\u{fc}rich"]);
    // The failed rows are echoed byte for byte, as uploaded.
    let failed = s
        .get(&s.api(&format!("/jobs/ingest/{id}/failedResults")))
        .await
        .body;
    let contains = |needle: &[u8]| failed.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"\"Caf\xe9 Latin-1\""));
    assert!(contains(b"\"broken \xff\xfe bytes\""));
    let failed = parse_csv(&String::from_utf8_lossy(&failed), b',');
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert_eq!(
        failed[1][1],
        "INVALID_FIELD:Failed to deserialize field at col 0. Due to, the value is not valid UTF-8 \
         (Bulk API 2.0 data must be UTF-8 encoded):Name --"
    );
    assert_eq!(
        failed[2][1],
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, the value is not valid UTF-8 \
         (Bulk API 2.0 data must be UTF-8 encoded):Description --"
    );
    // Nothing with a replacement character reached the database.
    assert_eq!(s.count("Account", false).await, 2);
    for id in successful[1..].iter().map(|r| &r[0]) {
        let name = s.field("Account", id, "Name").await.unwrap();
        assert!(!name.contains('\u{fffd}'), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_and_deflate_uploads_are_decoded() {
    let s = start().await;
    let csv = b"Name,Description\nZipped,one\nPacked,two\n".to_vec();

    let id = s.create_id(&insert_account()).await;
    let reply = upload_encoded(&s, &id, "gzip", gzip(&csv)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(
        s.result(&id, "unprocessedrecords").await,
        "Name,Description\n",
        "the stored upload is the decoded CSV"
    );

    let id = s.create_id(&insert_account()).await;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    zlib.write_all(&csv).unwrap();
    let reply = upload_encoded(&s, &id, "deflate", zlib.finish().unwrap()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    s.close(&id).await;
    assert_eq!(s.wait(&id).await["numberRecordsProcessed"], 2);
    assert_eq!(s.count("Account", false).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_or_unknown_encodings_are_refused_and_the_job_stays_uploadable() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    let compressed = gzip(b"Name\nCut\n");
    let cut = compressed[..compressed.len() - 6].to_vec();
    let reply = upload_encoded(&s, &id, "gzip", cut).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "INVALIDBATCH");
    let reply = upload_encoded(&s, &id, "gzip", b"not gzip at all".to_vec()).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text());
    let reply = upload_encoded(&s, &id, "br", b"Name\nX\n".to_vec()).await;
    assert_eq!(reply.status.as_u16(), 415, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "UNSUPPORTED_MEDIA_TYPE");

    s.upload_ok(&id, "Name\nAfter\n").await;
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_counts_decoded_bytes() {
    let s = start_with(|c| c.max_upload_bytes = 10_000).await;
    let id = s.create_id(&insert_account()).await;
    let mut csv = b"Name\n".to_vec();
    csv.extend(std::iter::repeat_n(b"Same name\n".as_slice(), 2_000).flatten());
    let compressed = gzip(&csv);
    assert!(compressed.len() < 10_000 && csv.len() > 10_000);
    upload_encoded(&s, &id, "gzip", compressed).await.assert_error(
        413,
        "EXCEEDED_MAX_SIZE_REQUEST",
        "The upload exceeds the maximum of 10000 bytes for one job. Split the data into several jobs.",
    );
    // Exactly at the limit is fine.
    let mut csv = b"Name\n".to_vec();
    csv.resize(9_999, b'x');
    csv.push(b'\n');
    let reply = upload_encoded(&s, &id, "gzip", gzip(&csv)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_the_server_keeps_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    if common::sqlite_only("the files checked are the SQLite data dir's databases and blobs") {
        return;
    }
    let s = start().await;
    // A job with successful and failed results.
    let (_, results) = s
        .run_complete(&insert_account(), "Name,NumberOfEmployees\nA,1\nB,x\n")
        .await;
    assert!(results.failed.lines().count() == 2 && results.successful.lines().count() == 2);
    let dir = s.running.state.config.data_dir.clone();
    let mut seen = (0, 0);
    let mut stack = vec![dir];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            seen.0 += 1;
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen.1 += 1;
        }
    }
    let names = |suffix: &str| {
        walk_names(&s.running.state.config.data_dir)
            .into_iter()
            .filter(|n| n.ends_with(suffix))
            .count()
    };
    assert!(names(".db-wal") >= 1, "the WAL files were checked too");
    assert!(names("admin-token") == 1 && names("upload.csv") == 1);
    assert!(seen.0 >= 5 && seen.1 >= 8, "{seen:?}");
}

fn walk_names(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names.extend(walk_names(&path));
        } else {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names
}
