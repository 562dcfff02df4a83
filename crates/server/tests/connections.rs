//! Idle and half-sent connections (issue 14): they are closed after the header timeout, at most
//! `max_connections` are served at once (the rest wait in the listen backlog), and real clients keep being
//! served during a slowloris attack.

mod common;

use bulkforce_server::config::ConnectionLimits;
use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits(max_connections: usize, header_timeout_secs: u64) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_secs(header_timeout_secs),
        idle_timeout: Duration::from_secs(30),
    }
}

/// Whether the server closes `stream` within `within` (any answer it sends first is read and dropped).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// Connections that sent part of a request line and headers, as a slowloris client leaves them.
async fn half_sent(s: &Server, n: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for i in 0..n {
        let mut stream = TcpStream::connect(s.running.addr).await.unwrap();
        let partial = if i % 2 == 0 {
            "GET /services/data/v62.0/jobs/ingest HTTP/1.1\r\nHost: x\r\nX-Slow: "
        } else {
            "PUT /services/da"
        };
        stream.write_all(partial.as_bytes()).await.unwrap();
        streams.push(stream);
    }
    streams
}

async fn idle(s: &Server, n: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        streams.push(TcpStream::connect(s.running.addr).await.unwrap());
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clients_are_served_during_a_slowloris_and_stalled_connections_are_closed() {
    let s = start_with(|c| c.connections = limits(400, 2)).await;
    let opened = Instant::now();
    let mut stalled = half_sent(&s, 300).await;
    stalled.extend(idle(&s, 50).await);
    // Keep-alive connections that made one request and then sit idle.
    for _ in 0..10 {
        let mut stream = TcpStream::connect(s.running.addr).await.unwrap();
        stream
            .write_all(b"GET /services/data HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        stalled.push(stream);
    }

    let asked = Instant::now();
    let reply = s.get(&s.api("/jobs/ingest")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "a real request waited {:?}",
        asked.elapsed()
    );

    for (i, stream) in stalled.iter_mut().enumerate() {
        assert!(
            closed_within(stream, Duration::from_secs(6)).await,
            "stalled connection {i} is still open after {:?}",
            opened.elapsed()
        );
    }
    assert!(
        opened.elapsed() >= Duration::from_secs(2),
        "closed before the timeout"
    );
    // And the server still serves, on a new connection: the client's pooled keep-alive connection from the
    // first request was closed by the header timeout meanwhile, and reusing it races with that close.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let reply = fresh
        .get(s.api("/jobs/ingest"))
        .bearer_auth(s.token())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_connections_wait_in_the_backlog_until_a_slot_frees() {
    let s = start_with(|c| c.connections = limits(20, 2)).await;
    let opened = Instant::now();
    let mut waiting = idle(&s, 60).await;
    // A real request queued behind them is served once the stalled ones are timed out, 20 at a time.
    let request = tokio::spawn({
        let client = s.client.clone();
        let url = s.api("/jobs/ingest");
        let token = s.token().to_owned();
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status())
        }
    });
    tokio::time::sleep_until((opened + Duration::from_secs(3)).into()).await;
    let mut closed = 0;
    for stream in waiting.iter_mut() {
        if closed_within(stream, Duration::from_millis(1)).await {
            closed += 1;
        }
    }
    assert!(
        (1..=20).contains(&closed),
        "{closed} connections were served (and timed out) in the first 3 s; the cap is 20"
    );
    let status = tokio::time::timeout(Duration::from_secs(20), request)
        .await
        .expect("the queued request is served")
        .unwrap()
        .expect("the queued request succeeds");
    assert_eq!(status.as_u16(), 200);
    assert!(
        opened.elapsed() >= Duration::from_secs(4),
        "{:?}",
        opened.elapsed()
    );
}

/// The idle timeout counts only time in which the client, not the server, holds things up: a request the
/// server takes longer than the idle timeout to answer (here a fault's latency, as a long query would) is
/// answered, while a body that stops arriving is still cut off (issue 14).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_work_past_the_idle_timeout_is_answered_and_a_stalled_body_is_not() {
    let s = start_with(|c| {
        c.connections = ConnectionLimits {
            max_connections: 16,
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(1),
        }
    })
    .await;
    let rule = serde_json::json!({
        "kind": "http", "method": "get", "path": "/services/data/*/limits", "latencyMs": 2500
    });
    let added = s
        .client
        .post(s.url("/_bulkforce/faults"))
        .bearer_auth(s.token())
        .body(rule.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 201);
    let reply = s.get(&s.api("/limits")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());

    // An upload body that stops after a few bytes: closed once the idle timeout passes.
    let job = s
        .create_id(&serde_json::json!({"object": "Account", "operation": "insert"}))
        .await;
    let mut stream = TcpStream::connect(s.running.addr).await.unwrap();
    let head = format!(
        "PUT /services/data/v62.0/jobs/ingest/{job}/batches HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\nName\n",
        s.token()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert!(
        closed_within(&mut stream, Duration::from_secs(10)).await,
        "a stalled upload body is cut off"
    );
}
