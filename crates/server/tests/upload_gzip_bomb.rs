//! A gzip bomb (1 GiB of zeros, about 1 MB compressed, generated as it is sent) is refused with 413 at the
//! upload limit, counted on the decoded bytes, with memory flat. Alone in its file: the peak RSS it checks
//! is this test process's.

mod common;

use common::*;
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use std::io::Write;

/// `total` zero bytes as a gzip stream generated as it is sent: one member of a MiB of zeros (about a KiB
/// compressed), repeated (gzip allows several members, and decoders join them).
fn gzip_of_zeros(total: u64) -> reqwest::Body {
    const MEMBER: usize = 1024 * 1024;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&[0u8; MEMBER]).unwrap();
    let member = bytes::Bytes::from(encoder.finish().unwrap());
    let members = total.div_ceil(MEMBER as u64) as usize;
    let stream =
        futures::stream::repeat_with(move || Ok::<_, std::io::Error>(member.clone())).take(members);
    reqwest::Body::wrap_stream(stream)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_at_the_limit_with_memory_flat() {
    let s = start().await; // the default limit: 150 MiB
    let id = s
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let before = peak_rss_kib();
    let reply = s
        .send(
            s.request(Method::PUT, &s.api(&format!("/jobs/ingest/{id}/batches")))
                .header("Content-Type", "text/csv")
                .header("Content-Encoding", "gzip")
                .body(gzip_of_zeros(1 << 30)),
        )
        .await;
    reply.assert_error(
        413,
        "EXCEEDED_MAX_SIZE_REQUEST",
        "The upload exceeds the maximum of 157286400 bytes for one job. Split the data into several jobs.",
    );
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 64, "peak RSS grew by {grown_mib} MiB");
    // Nothing was kept, and the job takes a real upload.
    assert_eq!(s.info(&id).await["state"], "Open");
    s.upload_ok(&id, "Name\nAfter the bomb\n").await;
    s.close(&id).await;
    assert_eq!(s.wait(&id).await["numberRecordsProcessed"], 1);
}
