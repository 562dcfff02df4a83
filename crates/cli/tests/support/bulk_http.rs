//! Bulk API 2.0 ingest calls over plain blocking HTTP, for tests that talk to several instances (each call
//! names the instance) and must see raw statuses (a 503 while the database is away).

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const API: &str = "/services/data/v62.0/jobs/ingest";

/// A client with the admin token of a cluster.
pub struct BulkHttp {
    client: Client,
    token: String,
}

impl BulkHttp {
    pub fn new(token: &str) -> BulkHttp {
        BulkHttp {
            client: Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            token: token.to_owned(),
        }
    }

    /// Creates an ingest job on `url` (`{"object", "operation", …}`); returns its id.
    pub fn create_job(&self, url: &str, body: &Value) -> String {
        let response = self.send(self.client.post(format!("{url}{API}")).json(body));
        let job = expect_json(response, StatusCode::OK);
        job["id"].as_str().expect("a job id").to_owned()
    }

    /// Uploads `csv` as the job's data on `url`.
    pub fn upload(&self, url: &str, id: &str, csv: Vec<u8>) {
        let response = self.send(
            self.client
                .put(format!("{url}{API}/{id}/batches"))
                .header("Content-Type", "text/csv")
                .body(csv),
        );
        assert_eq!(response.status(), StatusCode::CREATED, "upload of {id}");
    }

    /// `PATCH {"state": "UploadComplete"}` on `url`.
    pub fn close(&self, url: &str, id: &str) {
        let response = self.send(
            self.client
                .patch(format!("{url}{API}/{id}"))
                .json(&json!({"state": "UploadComplete"})),
        );
        expect_json(response, StatusCode::OK);
    }

    /// Creates a job, uploads `csv` and closes it, all on `url`; returns its id.
    pub fn submit(&self, url: &str, body: &Value, csv: Vec<u8>) -> String {
        let id = self.create_job(url, body);
        self.upload(url, &id, csv);
        self.close(url, &id);
        id
    }

    /// `GET` the job's info on `url`, whatever the answer (a transport error panics).
    pub fn job_info(&self, url: &str, id: &str) -> (StatusCode, Value) {
        let response = self.send(self.client.get(format!("{url}{API}/{id}")));
        let status = response.status();
        let text = response.text().expect("an answer body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("job info answer {status} is not JSON ({e}): {text}"));
        (status, body)
    }

    /// Polls the job on `url` until `done(info)` holds (answers other than 200 are skipped: an instance may
    /// be between database connections), panicking after `limit`.
    pub fn wait_for(
        &self,
        url: &str,
        id: &str,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let (status, info) = self.job_info(url, id);
            if status == StatusCode::OK {
                assert_ne!(info["state"], "Failed", "the job failed: {info}");
                if done(&info) {
                    return info;
                }
            }
            let last = json!({"status": status.as_u16(), "body": info});
            assert!(
                Instant::now() < deadline,
                "job {id} on {url}: not there within {limit:?}; last answer: {last}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One of the job's result files (`successfulResults`, `failedResults`, `unprocessedrecords`) on `url`.
    pub fn results(&self, url: &str, id: &str, file: &str) -> String {
        let response = self.send(self.client.get(format!("{url}{API}/{id}/{file}")));
        assert_eq!(response.status(), StatusCode::OK, "{file} of {id}");
        response.text().expect("a results body")
    }

    fn send(&self, request: reqwest::blocking::RequestBuilder) -> Response {
        request
            .bearer_auth(&self.token)
            .send()
            .expect("the instance answers")
    }
}

fn expect_json(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let text = response.text().unwrap_or_default();
    assert_eq!(got, status, "answer: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A results CSV (every cell quoted, no quote, comma or line break inside the cells the tests write) as one
/// map of column name to cell per row.
pub fn result_rows(csv: &str) -> Vec<HashMap<String, String>> {
    let mut lines = csv.lines();
    let header = split_quoted(lines.next().expect("a header row"));
    lines
        .map(|line| header.iter().cloned().zip(split_quoted(line)).collect())
        .collect()
}

fn split_quoted(line: &str) -> Vec<String> {
    line.split(',')
        .map(|cell| cell.trim_matches('"').to_owned())
        .collect()
}
