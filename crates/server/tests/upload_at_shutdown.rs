//! Uploads streaming when the server stops (SIGTERM, `Running::shutdown`): the stop lets requests in
//! flight finish within its grace period, so an upload that ends in time is received (201) and kept; one
//! still streaming past the grace finds its reservation released with the instance's claims and is
//! answered 503 `SERVER_UNAVAILABLE`, never 201, and the job takes the upload again after a restart.
//!
//! The upload is sent by hand with `Expect: 100-continue`: the server asks for the body only once its
//! handler runs, after the upload's reservation, so the test knows the reservation exists before it stops
//! the server.

mod common;

use common::{Server, V, accounts_csv, start_with};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A PUT of an upload whose body is sent in two halves, by hand.
struct SlowUpload {
    tcp: TcpStream,
    body: Vec<u8>,
}

impl SlowUpload {
    /// Sends the request head and waits for `100 Continue`: the upload is reserved.
    async fn start(s: &Server, id: &str, body: Vec<u8>) -> SlowUpload {
        let mut tcp = TcpStream::connect(s.running.addr).await.unwrap();
        let head = format!(
            "PUT /services/data/{V}/jobs/ingest/{id}/batches HTTP/1.1\r\nHost: localhost\r\n\
             Authorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\n\r\n",
            s.token(),
            body.len()
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let interim = read_head(&mut tcp).await;
        assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
        let mut upload = SlowUpload { tcp, body };
        let half = upload.body.len() / 2;
        let first: Vec<u8> = upload.body.drain(..half).collect();
        upload.tcp.write_all(&first).await.unwrap();
        upload
    }

    /// Sends the rest of the body; the answer's status line and body.
    async fn finish(mut self) -> (String, String) {
        self.tcp.write_all(&self.body).await.unwrap();
        let head = read_head(&mut self.tcp).await;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.tcp.read_exact(&mut body).await.unwrap();
        let status = head.lines().next().unwrap_or_default().to_owned();
        (status, String::from_utf8(body).unwrap())
    }
}

/// Reads a response head, up to its blank line.
async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut byte))
            .await
            .expect("the server answers")
            .unwrap();
        assert_eq!(n, 1, "the connection closed before a response: {head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

async fn server(dir: &Path) -> Server {
    let dir = dir.to_path_buf();
    start_with(move |c| c.data_dir = dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_streaming_past_the_grace_period_is_refused_and_can_be_sent_again() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let first = server(&dir).await;
    let id = first
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let upload = SlowUpload::start(&first, &id, accounts_csv("late", 50).into_bytes()).await;
    // The stop's grace passes with the upload still streaming: the claims and reservations go.
    first.shutdown(Duration::from_millis(100)).await;
    let (status, body) = upload.finish().await;
    assert!(status.starts_with("HTTP/1.1 503"), "{status}: {body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error[0]["errorCode"], "SERVER_UNAVAILABLE", "{body}");

    // Not the job's upload: after a restart the job is Open, takes the upload, and loads only it.
    let second = server(&dir).await;
    assert_eq!(second.info(&id).await["state"], "Open");
    second.upload_ok(&id, accounts_csv("again", 3)).await;
    second.close(&id).await;
    let info = second.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 3, "{info}");
    assert_eq!(second.count("Account", false).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_ends_within_the_grace_period_is_received() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let first = server(&dir).await;
    let id = first
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let upload = SlowUpload::start(&first, &id, accounts_csv("drained", 40).into_bytes()).await;
    // The stop waits for the request in flight (well within its grace) before releasing anything.
    let stopping = tokio::spawn(first.shutdown(Duration::from_secs(60)));
    let (status, body) = upload.finish().await;
    assert!(status.starts_with("HTTP/1.1 201"), "{status}: {body}");
    stopping.await.unwrap();

    let second = server(&dir).await;
    second.close(&id).await;
    let info = second.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 40, "{info}");
}
