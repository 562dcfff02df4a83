//! Retries and error envelopes against a scripted HTTP server: idempotent calls are retried on 5xx/429
//! with backoff, job creation is not, and error bodies become typed errors.

use bulkforce_client::{Client, Error, IngestJobRequest, JobKind, Operation, RetryPolicy};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const JOB: &str = r#"{"id":"750010000000001AAA","operation":"insert","object":"Account","state":"JobComplete","numberRecordsProcessed":3,"numberRecordsFailed":1}"#;

/// Answers each connection with the next scripted (status, body); the last one repeats. Counts requests.
async fn scripted(script: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (status, body) = script[n.min(script.len() - 1)];
            let mut buf = vec![0u8; 8192];
            let _ = socket.read(&mut buf).await;
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, count)
}

fn fast(client: Client) -> Client {
    client.with_retry_policy(RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    })
}

#[tokio::test]
async fn get_is_retried_on_503_and_429_then_succeeds() {
    let (url, count) = scripted(vec![(503, "busy"), (429, "[]"), (200, JOB)]).await;
    let client = fast(Client::new(&url, "t", "62.0").unwrap());
    let info = client
        .job_info(JobKind::Ingest, "750010000000001AAA")
        .await
        .unwrap();
    assert_eq!(info.number_records_failed, Some(1));
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_stop_after_the_policy_with_the_last_error() {
    let (url, count) = scripted(vec![(
        500,
        r#"[{"errorCode":"UNKNOWN_EXCEPTION","message":"boom"}]"#,
    )])
    .await;
    let client = fast(Client::new(&url, "t", "62.0").unwrap());
    let err = client.list_jobs(JobKind::Query).await.unwrap_err();
    assert!(
        matches!(err, Error::Api { status: 500, ref code, ref message } if code == "UNKNOWN_EXCEPTION" && message == "boom")
    );
    assert!(err.is_network());
    assert_eq!(
        count.load(Ordering::SeqCst),
        4,
        "one attempt and three retries"
    );
}

#[tokio::test]
async fn job_creation_is_not_retried_and_client_errors_are_not_retried() {
    let (url, count) = scripted(vec![(503, "busy"), (200, JOB)]).await;
    let client = fast(Client::new(&url, "t", "62.0").unwrap());
    let err = client
        .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let (url, count) = scripted(vec![(
        401,
        r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
    )])
    .await;
    let client = fast(Client::new(&url, "t", "62.0").unwrap());
    let err = client.list_jobs(JobKind::Ingest).await.unwrap_err();
    assert!(err.is_auth());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn bad_arguments_are_refused() {
    assert!(matches!(
        Client::new("acme.my.salesforce.com", "t", "62.0"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Client::new("https://x", "t", "latest"),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(
        Client::new("https://x/", "t", "v61.0")
            .unwrap()
            .api_version(),
        "61.0"
    );
}

/// Serves each connection the next (headers, body, bytes actually sent) and then closes it.
async fn pages(script: Vec<(&'static str, &'static str, usize)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for (locator, body, sent) in script {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let _ = socket.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nSforce-Locator: {locator}\r\nSforce-NumberOfRecords: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body.as_bytes()[..sent]).await;
            let _ = socket.flush().await;
            drop(socket);
        }
    });
    url
}

#[tokio::test]
async fn a_page_broken_off_mid_body_is_fetched_again_without_duplicating_bytes() {
    let page1 = "\"Name\"\n\"A, a\"\n";
    let page2 = "\"Name\"\n\"B\"\n";
    let url = pages(vec![
        ("MQ", page1, 9),
        ("MQ", page1, page1.len()),
        ("null", page2, 3),
        ("null", page2, page2.len()),
    ])
    .await;
    let client = fast(Client::new(&url, "t", "62.0").unwrap());
    let mut out = Vec::new();
    let rows = client
        .download_query_results("750010000000001AAA", &mut out, Some(1))
        .await
        .unwrap();
    assert_eq!(rows, 2);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\"Name\"\n\"A, a\"\n\"B\"\n"
    );
}
