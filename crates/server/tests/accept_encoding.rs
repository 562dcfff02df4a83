//! `Accept-Encoding` on result downloads over real HTTP: gzip only when the header accepts it with a weight
//! above zero (RFC 9110 §12.5.3: `q=0`, `q=0.0` and `q=0.000` all mean "not acceptable"; `*` stands for
//! every coding not named; `identity` preferred over gzip is honoured), for ingest result files and query
//! result pages alike.

mod common;

use common::{Server, id_of, start};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::Read;

/// Header values that accept gzip, and those that do not.
const ACCEPTED: &[&str] = &[
    "gzip",
    "GZIP",
    "gzip;q=0.5",
    "gzip; q=0.001",
    "gzip;q=1.000",
    "x-gzip",
    "*",
    "deflate, *;q=0.2",
    "deflate, gzip",
    "identity;q=0.5, gzip",
    "br;q=1, gzip;q=0.8",
];
const REFUSED: &[&str] = &[
    "gzip;q=0",
    "gzip;q=0.0",
    "gzip;q=0.000",
    "gzip; Q=0",
    "gzip;q=0, *",
    "*;q=0",
    "*;q=0.0, identity",
    "identity",
    "identity;q=1, gzip;q=0.5",
    "deflate",
    "br, deflate;q=0.5",
    "gzip;q=1.5",
    "",
];

/// Downloads `url` with `accept_encoding`; the body as the client sees it after decoding, and whether it
/// came gzip-encoded.
async fn download(server: &Server, url: &str, accept_encoding: &str) -> (String, bool) {
    let reply = server
        .send(
            server
                .request(Method::GET, url)
                .header("Accept-Encoding", accept_encoding),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{accept_encoding}");
    assert_eq!(
        reply.header("vary").as_deref(),
        Some("Accept-Encoding"),
        "{accept_encoding}"
    );
    match reply.header("content-encoding").as_deref() {
        None => (reply.text(), false),
        Some("gzip") => {
            assert_eq!(&reply.body[..2], &[0x1f, 0x8b], "gzip magic bytes");
            let mut decoded = String::new();
            flate2::read::GzDecoder::new(&reply.body[..])
                .read_to_string(&mut decoded)
                .expect("a gzip body");
            (decoded, true)
        }
        Some(other) => panic!("unexpected Content-Encoding {other} for {accept_encoding}"),
    }
}

/// Each accepted header gets gzip and each refused one the plain body, both the same bytes as a download
/// without the header.
async fn assert_negotiates(server: &Server, url: &str) {
    let plain = server.get(url).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("content-encoding"), None, "no header, no gzip");
    for accepted in ACCEPTED {
        let (body, gzip) = download(server, url, accepted).await;
        assert!(gzip, "{accepted:?} accepts gzip");
        assert_eq!(body, plain.text(), "{accepted:?}");
    }
    for refused in REFUSED {
        let (body, gzip) = download(server, url, refused).await;
        assert!(!gzip, "{refused:?} does not accept gzip");
        assert_eq!(body, plain.text(), "{refused:?}");
    }
}

fn accounts_csv(n: usize) -> String {
    let mut csv = String::from("Name,Description\n");
    for i in 0..n {
        csv.push_str(&format!(
            "Company {i},Some repetitive description text {i}\n"
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_results_follow_the_weights_of_accept_encoding() {
    let server = start().await;
    let (info, results) = server
        .run_complete(
            &json!({"object": "Account", "operation": "insert"}),
            accounts_csv(100),
        )
        .await;
    assert_eq!(results.successful.lines().count(), 101);
    let id = id_of(&info);
    for file in ["successfulResults", "failedResults", "unprocessedrecords"] {
        assert_negotiates(&server, &server.api(&format!("/jobs/ingest/{id}/{file}"))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_results_follow_the_weights_of_accept_encoding() {
    let server = start().await;
    server.insert("Account", &accounts_csv(100)).await;
    let created = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": "SELECT Name FROM Account"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let id = id_of(&created.json());
    let mut state = String::new();
    for _ in 0..400 {
        let info = server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .json();
        state = info["state"].as_str().unwrap_or_default().to_owned();
        if matches!(state.as_str(), "JobComplete" | "Failed" | "Aborted") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(state, "JobComplete");
    let url = server.api(&format!("/jobs/query/{id}/results?maxRecords=40"));
    assert_negotiates(&server, &url).await;
    let (page, _) = download(&server, &url, "gzip;q=0.000").await;
    assert_eq!(page.lines().count(), 41, "the header and 40 rows");
}
