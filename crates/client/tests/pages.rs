//! Query results by `resultPages` and by locator against the real server (in process, on an ephemeral port):
//! the listing is followed to its end, the parallel download is byte for byte the sequential one, an API
//! version or server without `resultPages` falls back to locator paging, and a page broken off mid-body is
//! fetched again. Faults come from a small proxy in front of the real server that refuses `resultPages`,
//! cuts responses short, or holds pages until several are requested at once.

use bulkforce_client::{
    Client, DownloadSummary, Error, IngestJobRequest, JobKind, JobState, Operation,
    ParallelDownload, PollOptions, QueryJobRequest, RetryPolicy,
};
use bulkforce_server::{Running, ServerConfig};
use futures::TryStreamExt;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "00D000000000001!pages.test.token";

struct Server {
    running: Running,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let running = bulkforce_server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().to_path_buf(),
            access_token: Some(TOKEN.to_owned()),
            ..ServerConfig::default()
        })
        .await
        .expect("the server starts");
        Server {
            running,
            _data: data,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    fn client(&self, version: &str) -> Client {
        fast(Client::new(self.url(), TOKEN, version).unwrap())
    }
}

fn fast(client: Client) -> Client {
    client.with_retry_policy(RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    })
}

/// Inserts `rows` accounts with quoted commas, doubled quotes and line breaks in their cells.
async fn seed(client: &Client, rows: usize) {
    let mut csv = String::from("Name,NumberOfEmployees,Description\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "\"Account {i:05}, \"\"quoted\"\"\",{i},\"line {i}\nsecond line {}\"\n",
            i * 7919 % 10007
        ));
    }
    let job = client
        .create_ingest_job(&IngestJobRequest::new("Account", Operation::Insert))
        .await
        .unwrap();
    client
        .upload_job_data(&job.id, std::io::Cursor::new(csv.into_bytes()))
        .await
        .unwrap();
    client.close_job(&job.id).await.unwrap();
    let done = client
        .wait_for_job(JobKind::Ingest, &job.id, &PollOptions::default())
        .await
        .unwrap();
    assert_eq!(done.state, JobState::JobComplete);
    assert_eq!(done.number_records_failed, Some(0));
}

/// Runs a query job to completion; returns its id.
async fn query(client: &Client, soql: &str) -> String {
    let job = client
        .create_query_job(&QueryJobRequest::new(soql))
        .await
        .unwrap();
    let done = client
        .wait_for_job(JobKind::Query, &job.id, &PollOptions::default())
        .await
        .unwrap();
    assert_eq!(done.state, JobState::JobComplete);
    job.id
}

const SOQL: &str = "SELECT Name, NumberOfEmployees, Description FROM Account ORDER BY Name";

async fn sequential(client: &Client, job: &str, max_records: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    client
        .download_query_results(job, &mut out, max_records)
        .await
        .unwrap();
    out
}

async fn parallel(
    client: &Client,
    job: &str,
    options: ParallelDownload,
) -> (Vec<u8>, DownloadSummary) {
    let spool = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let summary = client
        .download_query_results_parallel(job, &mut out, &options.spool_dir(spool.path()))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_dir(spool.path()).unwrap().count(),
        0,
        "the spool directory is removed"
    );
    (out, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_pages_are_followed_to_the_end_and_the_parallel_download_equals_the_sequential_one()
{
    let server = Server::start().await;
    let client = server.client("62.0");
    seed(&client, 2_500).await;
    let job = query(&client, SOQL).await;

    // 25 pages of 100, listed five per answer: five answers, each link followed.
    let pages: Vec<_> = client
        .result_pages(&job, Some(100))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 25);
    let distinct: HashSet<_> = pages.iter().map(|p| p.result_url.as_str()).collect();
    assert_eq!(distinct.len(), 25, "every page listed once");
    assert!(pages.iter().all(|p| {
        p.result_url
            .starts_with(&format!("/services/data/v62.0/jobs/query/{job}/results?"))
    }));

    let expected = sequential(&client, &job, Some(100)).await;
    assert_eq!(
        String::from_utf8_lossy(&expected)
            .matches("Account ")
            .count(),
        2_500
    );
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(3).max_records(100)).await;
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (2_500, 25, true)
    );
    assert!(
        bytes == expected,
        "parallel pages equal the sequential download"
    );
    // The server's own page size, and more pages at once than a listing holds: the same bytes.
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(8)).await;
    assert_eq!((summary.rows, summary.pages), (2_500, 1));
    assert!(bytes == expected);
    // Concurrency 1 is locator paging.
    let (bytes, summary) =
        parallel(&client, &job, ParallelDownload::new(1).max_records(1_000)).await;
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (2_500, 3, false)
    );
    assert!(bytes == expected);
    // Concurrency 0 cannot work.
    let err = client
        .download_query_results_parallel(&job, &mut Vec::new(), &ParallelDownload::new(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_result_is_its_header_row_and_an_unknown_job_is_not_found() {
    let server = Server::start().await;
    let client = server.client("62.0");
    seed(&client, 3).await;
    let job = query(&client, "SELECT Name FROM Account WHERE Name = 'nobody'").await;
    let expected = sequential(&client, &job, None).await;
    assert_eq!(expected, b"\"Name\"\n");
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(4)).await;
    assert_eq!(bytes, expected);
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (0, 1, true)
    );

    let err = client
        .download_query_results_parallel(
            "750000000000000AAA",
            &mut Vec::new(),
            &ParallelDownload::new(4),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api { status: 404, ref code, .. } if code == "NOT_FOUND"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_version_57_has_no_result_pages_and_falls_back_to_locator_paging() {
    let server = Server::start().await;
    let client = server.client("57.0");
    assert!(!client.supports_result_pages());
    seed(&client, 450).await;
    let job = query(&client, SOQL).await;
    let err = client
        .result_pages(&job, Some(100))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, .. }), "{err:?}");

    let expected = sequential(&client, &job, Some(100)).await;
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(4).max_records(100)).await;
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (450, 5, false)
    );
    assert!(bytes == expected);
}

/// What the proxy does to the requests it forwards.
#[derive(Clone, Copy)]
enum Fault {
    /// Answers 404 NOT_FOUND to `resultPages`, as a server without it does.
    NoResultPages,
    /// Sends only the head and the first `n` body bytes of the first response to each results URL.
    CutPagesAfter(usize),
    /// Holds the first `n` results requests until all `n` have arrived: a client that does not request `n`
    /// pages at once never gets an answer.
    HoldUntilConcurrent(usize),
}

/// A proxy to the real server, one request per connection, with a fault.
struct Proxy {
    url: String,
    state: Arc<ProxyState>,
}

struct ProxyState {
    upstream: SocketAddr,
    fault: Fault,
    /// Requests for `resultPages` that reached the proxy.
    listings: AtomicUsize,
    /// Responses cut short.
    cuts: AtomicUsize,
    /// Results URLs requested so far.
    seen: Mutex<HashSet<String>>,
    /// Results requests held so far ([`Fault::HoldUntilConcurrent`]).
    held: AtomicUsize,
    barrier: tokio::sync::Barrier,
}

async fn proxy(upstream: SocketAddr, fault: Fault) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(ProxyState {
        upstream,
        fault,
        listings: AtomicUsize::new(0),
        cuts: AtomicUsize::new(0),
        seen: Mutex::new(HashSet::new()),
        held: AtomicUsize::new(0),
        barrier: tokio::sync::Barrier::new(match fault {
            Fault::HoldUntilConcurrent(n) => n,
            _ => 1,
        }),
    });
    let shared = state.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let state = shared.clone();
            tokio::spawn(async move {
                let _ = forward(socket, &state).await;
            });
        }
    });
    Proxy { url, state }
}

/// Reads until the end of an HTTP head; returns the head and the bytes read past it.
async fn read_head(socket: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Ok((buffer, rest));
        }
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Forwards one GET (the client's downloads send nothing else through the proxy) with `Connection: close`.
async fn forward(mut client: TcpStream, state: &ProxyState) -> std::io::Result<()> {
    let (head, _) = read_head(&mut client).await?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
    if target.contains("/resultPages") {
        state.listings.fetch_add(1, Ordering::SeqCst);
        if let Fault::NoResultPages = state.fault {
            let body =
                r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#;
            let answer = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            return client.write_all(answer.as_bytes()).await;
        }
    }
    let results = target.contains("/results");
    let first_time = results && state.seen.lock().unwrap().insert(target.clone());
    let limit = match state.fault {
        Fault::CutPagesAfter(n) if first_time => Some(n),
        Fault::HoldUntilConcurrent(n)
            if results && state.held.fetch_add(1, Ordering::SeqCst) < n =>
        {
            state.barrier.wait().await;
            None
        }
        _ => None,
    };
    let mut request: String = head
        .split("\r\n")
        .filter(|line| !line.is_empty() && !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(state.upstream).await?;
    server.write_all(request.as_bytes()).await?;
    let (response_head, mut body) = read_head(&mut server).await?;
    server.read_to_end(&mut body).await?;
    client.write_all(&response_head).await?;
    match limit {
        Some(n) if body.len() > n => {
            client.write_all(&body[..n]).await?;
            state.cuts.fetch_add(1, Ordering::SeqCst);
        }
        _ => client.write_all(&body).await?,
    }
    client.flush().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_404_to_result_pages_gets_locator_paging() {
    let server = Server::start().await;
    let direct = server.client("62.0");
    seed(&direct, 350).await;
    let job = query(&direct, SOQL).await;
    let expected = sequential(&direct, &job, Some(100)).await;

    let proxy = proxy(server.running.addr, Fault::NoResultPages).await;
    let client = fast(Client::new(&proxy.url, TOKEN, "62.0").unwrap());
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(4).max_records(100)).await;
    assert_eq!(proxy.state.listings.load(Ordering::SeqCst), 1, "asked once");
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (350, 4, false)
    );
    assert!(bytes == expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_pages_broken_off_mid_body_are_fetched_again_without_a_byte_lost_or_repeated() {
    let server = Server::start().await;
    let direct = server.client("62.0");
    seed(&direct, 1_200).await;
    let job = query(&direct, SOQL).await;
    let expected = sequential(&direct, &job, Some(100)).await;

    let proxy = proxy(server.running.addr, Fault::CutPagesAfter(300)).await;
    let client = fast(Client::new(&proxy.url, TOKEN, "62.0").unwrap());
    let (bytes, summary) = parallel(&client, &job, ParallelDownload::new(4).max_records(100)).await;
    assert_eq!(
        (summary.rows, summary.pages, summary.parallel),
        (1_200, 12, true)
    );
    assert_eq!(
        proxy.state.cuts.load(Ordering::SeqCst),
        12,
        "the first answer of every page was cut"
    );
    assert_eq!(proxy.state.listings.load(Ordering::SeqCst), 3);
    assert!(bytes == expected, "the cut pages were resumed exactly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_pages_are_requested_at_once() {
    let server = Server::start().await;
    let direct = server.client("62.0");
    seed(&direct, 1_000).await;
    let job = query(&direct, SOQL).await;
    let expected = sequential(&direct, &job, Some(100)).await;

    // The proxy answers no page before four are open at once; a sequential client would wait for ever, so
    // the download gets a generous bound that only a broken client reaches.
    let proxy = proxy(server.running.addr, Fault::HoldUntilConcurrent(4)).await;
    let client = fast(Client::new(&proxy.url, TOKEN, "62.0").unwrap());
    let download = parallel(&client, &job, ParallelDownload::new(4).max_records(100));
    let (bytes, summary) = tokio::time::timeout(Duration::from_secs(60), download)
        .await
        .expect("four pages were requested at the same time");
    assert_eq!((summary.rows, summary.pages), (1_000, 10));
    assert!(proxy.state.held.load(Ordering::SeqCst) >= 4);
    assert!(bytes == expected);
}
