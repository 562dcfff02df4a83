//! A small harness for the ingest API integration tests: a real server on an ephemeral port with its own
//! data directory, a plain HTTP client, and helpers for the job lifecycle and for Salesforce's exact bytes.
//!
//! The backend comes from `BULKFORCE_TEST_BACKEND`: `sqlite` (the default: databases and blobs in the data
//! dir) or `postgres` (a fresh database on the test PostgreSQL and a fresh bucket on the S3-compatible test
//! server, see [`backend`]), so that the same suites run on both.

#![allow(dead_code)]

pub mod backend;

use bulkforce_core::id::SfId;
use bulkforce_server::{Running, ServerConfig};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tempfile::TempDir;

/// The API version most tests use.
pub const V: &str = "v62.0";

/// Polls of a job's info before a test gives up waiting for a terminal state.
const POLLS: usize = 400;
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// The describe file the tests with custom fields load: on Account, a non-unique external id `Ext__c`, a unique
/// `Code__c` and a restricted picklist `Tier__c`.
pub const ACCOUNT_EXTENSION: &str = r#"{
  "name": "Account",
  "fields": [
    {"name": "Ext__c", "label": "External Key", "type": "string", "length": 40,
     "externalId": true, "unique": false, "nillable": true},
    {"name": "Code__c", "label": "Code", "type": "string", "length": 20,
     "unique": true, "nillable": true},
    {"name": "Tier__c", "label": "Tier", "type": "picklist", "length": 40, "nillable": true,
     "restrictedPicklist": true,
     "picklistValues": [{"value": "Gold", "label": "Gold"}, {"value": "Silver", "label": "Silver"}]}
  ]
}"#;

// Not every test file skips a test on PostgreSQL.
#[allow(unused_imports)]
pub use backend::{on_postgres, sqlite_only};

/// A running server and a client for it.
pub struct Server {
    pub running: Running,
    pub client: Client,
    _data: TempDir,
    _schema: Option<TempDir>,
    /// The database and bucket of a PostgreSQL run, kept as long as the server.
    _shared: Option<std::sync::Arc<backend::Shared>>,
}

/// A response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the body is UTF-8")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Asserts Salesforce's error envelope byte for byte: `[{"errorCode":…,"message":…}]`.
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(
            self.text(),
            error_body(code, message),
            "unexpected error body"
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json;charset=UTF-8")
        );
    }
}

/// The exact bytes of an error response.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::to_string(&json!([{ "errorCode": code, "message": message }])).unwrap()
}

/// The three result files of a job.
#[derive(Debug, Clone)]
pub struct Results {
    pub successful: String,
    pub failed: String,
    pub unprocessed: String,
}

pub async fn start() -> Server {
    start_with(|_| {}).await
}

/// Starts a server whose schema includes [`ACCOUNT_EXTENSION`].
pub async fn start_with_extension(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    let schema = TempDir::new().unwrap();
    std::fs::write(schema.path().join("account.json"), ACCOUNT_EXTENSION).unwrap();
    let path = schema.path().to_path_buf();
    let mut server = start_with(move |c| {
        c.schema_dir = Some(path);
        configure(c);
    })
    .await;
    server._schema = Some(schema);
    server
}

pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    let data = TempDir::new().unwrap();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        ..Default::default()
    };
    configure(&mut config);
    let shared = backend::configure(&mut config).await;
    let running = bulkforce_server::start(config)
        .await
        .expect("server starts");
    // No automatic decompression: the tests look at the bytes on the wire.
    let client = Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Server {
        running,
        client,
        _data: data,
        _schema: None,
        _shared: shared,
    }
}

impl Server {
    /// Stops the server gracefully, as SIGTERM does (see `Running::shutdown`); its database and bucket stay
    /// for a server started again on the same data dir.
    pub async fn shutdown(self, grace: Duration) {
        self.running.shutdown(grace).await;
    }

    pub fn token(&self) -> &str {
        &self.running.token
    }

    pub fn org(&self) -> SfId {
        self.running.principal.org_id
    }

    /// `http://addr` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.running.addr, path)
    }

    /// A path under `/services/data/v62.0`.
    pub fn api(&self, rest: &str) -> String {
        self.url(&format!("/services/data/{V}{rest}"))
    }

    pub fn job_url(&self, id: &str) -> String {
        self.api(&format!("/jobs/ingest/{id}"))
    }

    /// An authenticated request.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.client
            .request(method, url)
            .header("Authorization", format!("Bearer {}", self.token()))
    }

    /// Sends a request and reads the whole response; every response must carry `Sforce-Limit-Info`.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body read").to_vec();
        let reply = Reply {
            status,
            headers,
            body,
        };
        let limit = reply
            .header("sforce-limit-info")
            .unwrap_or_else(|| panic!("no Sforce-Limit-Info on a {status} response"));
        let (used, max) = limit
            .strip_prefix("api-usage=")
            .and_then(|r| r.split_once('/'))
            .unwrap_or_else(|| panic!("malformed Sforce-Limit-Info: {limit}"));
        assert!(
            used.parse::<u64>().is_ok() && max == "100000",
            "malformed Sforce-Limit-Info: {limit}"
        );
        reply
    }

    /// A control request (`/_bulkforce/…`, `/metrics`): read in full, without the Salesforce header checks
    /// of [`Server::send`]; `token` as the bearer when given.
    pub async fn control(&self, method: Method, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body read").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Reply {
        self.send(self.request(Method::GET, url)).await
    }

    /// `POST /jobs/ingest` with a raw body at `version`.
    pub async fn create_raw(&self, version: &str, body: &str) -> Reply {
        let url = self.url(&format!("/services/data/{version}/jobs/ingest"));
        self.send(
            self.request(Method::POST, &url)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_owned()),
        )
        .await
    }

    /// Creates a job at `version`; asserts 200 and returns the job JSON.
    pub async fn create_at(&self, version: &str, job: &Value) -> Value {
        let reply = self.create_raw(version, &job.to_string()).await;
        assert_eq!(reply.status, StatusCode::OK, "create: {}", reply.text());
        reply.json()
    }

    pub async fn create(&self, job: &Value) -> Value {
        self.create_at(V, job).await
    }

    /// Creates a job and returns its id.
    pub async fn create_id(&self, job: &Value) -> String {
        id_of(&self.create(job).await)
    }

    pub async fn upload(&self, id: &str, csv: impl Into<Vec<u8>>) -> Reply {
        let url = self.api(&format!("/jobs/ingest/{id}/batches"));
        self.send(
            self.request(Method::PUT, &url)
                .header("Content-Type", "text/csv")
                .body(csv.into()),
        )
        .await
    }

    /// Uploads and asserts Salesforce's answer: 201 with an empty body.
    pub async fn upload_ok(&self, id: &str, csv: impl Into<Vec<u8>>) {
        let reply = self.upload(id, csv).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "upload: {}",
            reply.text()
        );
        assert!(reply.body.is_empty(), "upload answered a body");
    }

    pub async fn patch_state(&self, id: &str, state: &str) -> Reply {
        self.send(
            self.request(Method::PATCH, &self.job_url(id))
                .header("Content-Type", "application/json")
                .body(json!({ "state": state }).to_string()),
        )
        .await
    }

    /// Closes the job; asserts 200 and returns the short job JSON.
    pub async fn close(&self, id: &str) -> Value {
        let reply = self.patch_state(id, "UploadComplete").await;
        assert_eq!(reply.status, StatusCode::OK, "close: {}", reply.text());
        reply.json()
    }

    pub async fn info(&self, id: &str) -> Value {
        let reply = self.get(&self.job_url(id)).await;
        assert_eq!(reply.status, StatusCode::OK, "info: {}", reply.text());
        reply.json()
    }

    /// Polls the job until it is JobComplete, Failed or Aborted (bounded), and returns its info.
    pub async fn wait(&self, id: &str) -> Value {
        for _ in 0..POLLS {
            let info = self.info(id).await;
            if matches!(
                info["state"].as_str(),
                Some("JobComplete" | "Failed" | "Aborted")
            ) {
                return info;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        panic!("job {id} did not finish in time: {}", self.info(id).await);
    }

    /// Polls the job until it reaches `state` (bounded).
    pub async fn wait_for_state(&self, id: &str, state: &str) -> Value {
        for _ in 0..POLLS {
            let info = self.info(id).await;
            if info["state"] == state {
                return info;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("job {id} never reached {state}: {}", self.info(id).await);
    }

    /// One result file; asserts 200 and the CSV content type.
    pub async fn result(&self, id: &str, file: &str) -> String {
        let reply = self
            .get(&self.api(&format!("/jobs/ingest/{id}/{file}")))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{file}: {}", reply.text());
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("text/csv; charset=UTF-8")
        );
        reply.text()
    }

    pub async fn results(&self, id: &str) -> Results {
        Results {
            successful: self.result(id, "successfulResults").await,
            failed: self.result(id, "failedResults").await,
            unprocessed: self.result(id, "unprocessedrecords").await,
        }
    }

    /// Create, upload, close, wait: the finished job's info and its result files.
    pub async fn run(&self, job: &Value, csv: impl Into<Vec<u8>>) -> (Value, Results) {
        let id = self.create_id(job).await;
        self.upload_ok(&id, csv).await;
        self.close(&id).await;
        let info = self.wait(&id).await;
        let results = self.results(&id).await;
        (info, results)
    }

    /// Runs a job that must complete; returns the info and the result files.
    pub async fn run_complete(&self, job: &Value, csv: impl Into<Vec<u8>>) -> (Value, Results) {
        let (info, results) = self.run(job, csv).await;
        assert_eq!(info["state"], "JobComplete", "job info: {info}");
        (info, results)
    }

    /// Inserts `csv` into `object` (all rows must succeed); returns the new ids in row order.
    pub async fn insert(&self, object: &str, csv: &str) -> Vec<String> {
        let (info, results) = self
            .run_complete(&json!({"object": object, "operation": "insert"}), csv)
            .await;
        assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
        parse_csv(&results.successful, b',')
            .into_iter()
            .skip(1)
            .map(|row| row[0].clone())
            .collect()
    }

    /// A stored record's columns, read straight from the store.
    pub async fn record(&self, object: &str, id: &str) -> Option<HashMap<String, Option<String>>> {
        let store = self.running.state.store.clone();
        let (org, object, id) = (self.org(), object.to_owned(), SfId::parse(id).unwrap());
        tokio::task::spawn_blocking(move || store.get_record(org, &object, id))
            .await
            .unwrap()
            .expect("store read")
            .map(|columns| columns.into_iter().collect())
    }

    /// The value of one field of a stored record (None: null).
    pub async fn field(&self, object: &str, id: &str, field: &str) -> Option<String> {
        let record = self
            .record(object, id)
            .await
            .unwrap_or_else(|| panic!("no {object} {id}"));
        record
            .get(field)
            .unwrap_or_else(|| panic!("no column {field}"))
            .clone()
    }

    pub async fn count(&self, object: &str, include_deleted: bool) -> u64 {
        let store = self.running.state.store.clone();
        let (org, object) = (self.org(), object.to_owned());
        tokio::task::spawn_blocking(move || store.count_records(org, &object, include_deleted))
            .await
            .unwrap()
            .expect("store count")
    }
}

pub fn id_of(job: &Value) -> String {
    job["id"].as_str().expect("job id").to_owned()
}

/// The keys of a JSON object, in order.
pub fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// The first keys of every job view, through `apiVersion` (non-upsert jobs).
pub const BASE_KEYS: [&str; 10] = [
    "id",
    "operation",
    "object",
    "createdById",
    "createdDate",
    "systemModstamp",
    "state",
    "concurrencyMode",
    "contentType",
    "apiVersion",
];

/// `BASE_KEYS` followed by `rest`.
pub fn base_and(rest: &[&str]) -> Vec<String> {
    BASE_KEYS
        .iter()
        .chain(rest)
        .map(|s| (*s).to_owned())
        .collect()
}

/// Whether `text` looks like `2023-01-26T09:26:51.000+0000`.
pub fn is_job_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 28
        && text.ends_with(".000+0000")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

/// A minimal RFC 4180 reader for result files: quoted cells, doubled quotes, newlines in quotes. Accepts
/// `\n` and `\r\n` line endings.
pub fn parse_csv(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = Vec::new();
    let mut i = 0;
    let mut quoted = false;
    let mut any = false;
    while i < bytes.len() {
        let b = bytes[i];
        any = true;
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    cell.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                cell.push(b);
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == delimiter {
            row.push(String::from_utf8(std::mem::take(&mut cell)).unwrap());
        } else if b == b'\n' || (b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            if b == b'\r' {
                i += 1;
            }
            row.push(String::from_utf8(std::mem::take(&mut cell)).unwrap());
            rows.push(std::mem::take(&mut row));
            any = false;
        } else {
            cell.push(b);
        }
        i += 1;
    }
    if any {
        row.push(String::from_utf8(cell).unwrap());
        rows.push(row);
    }
    rows
}

/// A CSV of `n` Account rows named `prefix-0` … with one extra column.
pub fn accounts_csv(prefix: &str, n: usize) -> String {
    let mut csv = String::from("Name,AccountNumber\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}-{i},N{i}\n"));
    }
    csv
}
