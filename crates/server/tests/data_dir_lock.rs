//! One `serve` per data dir: a second start on a data dir already served fails with a clear error before
//! it touches anything (its crash recovery would take jobs and uploads away from the live server), and the
//! live server keeps working.

use bulkforce_server::ServerConfig;
use std::time::Duration;
use tempfile::TempDir;

fn config(data: &TempDir) -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_a_served_data_dir_is_refused_and_the_first_keeps_serving() {
    let data = TempDir::new().unwrap();
    let first = bulkforce_server::start(config(&data)).await.unwrap();

    let refused = bulkforce_server::start(config(&data)).await;
    let message = format!("{:#}", refused.err().expect("the second start fails"));
    assert!(
        message.contains("is already served by another bulkforce serve"),
        "{message}"
    );

    // The first server still answers, with its token.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let jobs = client
        .get(format!(
            "http://{}/services/data/v62.0/jobs/ingest",
            first.addr
        ))
        .bearer_auth(&first.token)
        .send()
        .await
        .unwrap();
    assert_eq!(jobs.status(), 200);

    // Once the first is gone, the data dir can be served again.
    first.server.abort();
    drop(first);
    let again = bulkforce_server::start(config(&data)).await;
    assert!(again.is_ok(), "{:?}", again.err());
}
