//! The soak's HTTP calls to one server, step by step (the bench's [`crate::api::Api`] runs a whole job in one
//! call; a kill round needs to stop between the steps). Every request has a deadline.

use crate::api::{json_checked, send_checked};
use anyhow::{Context, bail};
use reqwest::blocking::{Body, Client, RequestBuilder, Response};
use serde_json::{Value, json};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

const VERSION: &str = "v62.0";
/// Longest any one request may take, uploads and downloads included (the soak's files are small).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Ingest or query: the two job families of the Bulk API 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Ingest,
    Query,
}

impl JobKind {
    fn path(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Query => "query",
        }
    }
}

/// A blocking client for one server URL, authenticated with the bench's token.
pub struct SoakClient {
    client: Client,
    base: String,
}

impl SoakClient {
    pub fn new(url: &str) -> anyhow::Result<SoakClient> {
        Self::with_timeout(url, REQUEST_TIMEOUT)
    }

    pub fn with_timeout(url: &str, timeout: Duration) -> anyhow::Result<SoakClient> {
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_gzip()
            .build()?;
        Ok(SoakClient {
            client,
            base: format!("{url}/services/data/{VERSION}"),
        })
    }

    fn send(&self, request: RequestBuilder, what: &str) -> anyhow::Result<Response> {
        send_checked(request, what)
    }

    fn json(&self, request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
        json_checked(request, what)
    }

    fn job_url(&self, kind: JobKind, id: &str) -> String {
        format!("{}/jobs/{}/{id}", self.base, kind.path())
    }

    /// A cheap authenticated request (the list of ingest jobs).
    pub fn ping(&self) -> anyhow::Result<()> {
        self.send(
            self.client.get(format!("{}/limits", self.base)),
            "reading /limits",
        )?;
        Ok(())
    }

    /// Creates an Account ingest job; answers its id.
    pub fn create_ingest(
        &self,
        operation: &str,
        external_id: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut body = json!({"object": "Account", "operation": operation, "lineEnding": "LF"});
        if let Some(field) = external_id {
            body["externalIdFieldName"] = json!(field);
        }
        let job = self.json(
            self.client
                .post(format!("{}/jobs/ingest", self.base))
                .json(&body),
            "creating an ingest job",
        )?;
        id_of(&job)
    }

    /// Creates a query job; answers its id.
    pub fn create_query(&self, soql: &str) -> anyhow::Result<String> {
        let job = self.json(
            self.client
                .post(format!("{}/jobs/query", self.base))
                .json(&json!({"operation": "query", "query": soql})),
            "creating a query job",
        )?;
        id_of(&job)
    }

    /// Uploads `csv` as the job's data, streamed from the file; with `pause`, the body goes out in 64 KiB
    /// pieces with that pause before each (an upload slow enough to be interrupted).
    pub fn upload(&self, id: &str, csv: &Path, pause: Option<Duration>) -> anyhow::Result<()> {
        let file = File::open(csv).with_context(|| format!("opening {}", csv.display()))?;
        let length = file.metadata()?.len();
        let body = match pause {
            Some(pause) => Body::sized(Throttled { file, pause }, length),
            None => Body::sized(file, length),
        };
        self.send(
            self.client
                .put(format!("{}/batches", self.job_url(JobKind::Ingest, id)))
                .header(reqwest::header::CONTENT_TYPE, "text/csv")
                .body(body),
            "uploading the CSV",
        )?;
        Ok(())
    }

    /// Closes an ingest job (state UploadComplete).
    pub fn close(&self, id: &str) -> anyhow::Result<()> {
        self.send(
            self.client
                .patch(self.job_url(JobKind::Ingest, id))
                .json(&json!({"state": "UploadComplete"})),
            "closing the job",
        )?;
        Ok(())
    }

    pub fn info(&self, kind: JobKind, id: &str) -> anyhow::Result<Value> {
        self.json(self.client.get(self.job_url(kind, id)), "reading job info")
    }

    /// Polls job info every `every` until the job ends (JobComplete, Failed or Aborted) or `timeout` passes;
    /// answers the last info. `latency` is told how long each poll took.
    pub fn wait(
        &self,
        kind: JobKind,
        id: &str,
        every: Duration,
        timeout: Duration,
        mut latency: impl FnMut(Duration),
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let asked = Instant::now();
            let info = self.info(kind, id)?;
            latency(asked.elapsed());
            if matches!(
                info["state"].as_str(),
                Some("JobComplete" | "Failed" | "Aborted")
            ) {
                return Ok(info);
            }
            if Instant::now() > deadline {
                bail!("the job did not end within {timeout:?}: {info}");
            }
            std::thread::sleep(every);
        }
    }

    /// A job's result file (`successfulResults`, `failedResults`, `unprocessedrecords`) as a stream.
    pub fn ingest_results(&self, id: &str, file: &str) -> anyhow::Result<Response> {
        self.send(
            self.client
                .get(format!("{}/{file}", self.job_url(JobKind::Ingest, id))),
            "downloading a result file",
        )
    }

    /// One page of a query job's results, and the next page's locator (`None` after the last page).
    pub fn query_page(
        &self,
        id: &str,
        locator: Option<&str>,
        max_records: u64,
    ) -> anyhow::Result<(Response, Option<String>)> {
        let mut url = format!(
            "{}/results?maxRecords={max_records}",
            self.job_url(JobKind::Query, id)
        );
        if let Some(locator) = locator {
            url.push_str(&format!("&locator={locator}"));
        }
        let response = self.send(self.client.get(url), "downloading a results page")?;
        let next = response
            .headers()
            .get("Sforce-Locator")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && *v != "null")
            .map(str::to_owned);
        Ok((response, next))
    }

    /// Records of `object` in the org, by the REST API's `SELECT COUNT()`.
    pub fn count(&self, object: &str) -> anyhow::Result<u64> {
        let answer = self.json(
            self.client
                .get(format!("{}/query", self.base))
                .query(&[("q", format!("SELECT COUNT() FROM {object}"))]),
            "counting records",
        )?;
        answer["totalSize"]
            .as_u64()
            .with_context(|| format!("a COUNT() answer without totalSize: {answer}"))
    }
}

fn id_of(job: &Value) -> anyhow::Result<String> {
    Ok(job["id"]
        .as_str()
        .with_context(|| format!("a created job without an id: {job}"))?
        .to_owned())
}

/// A file read in 64 KiB pieces, each after a pause.
struct Throttled {
    file: File,
    pause: Duration,
}

impl Read for Throttled {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(self.pause);
        let n = buf.len().min(64 * 1024);
        self.file.read(&mut buf[..n])
    }
}

impl SoakClient {
    /// Uploads a small CSV held in memory (the load phase's jobs of a few rows).
    pub fn upload_bytes(&self, id: &str, csv: Vec<u8>) -> anyhow::Result<()> {
        self.send(
            self.client
                .put(format!("{}/batches", self.job_url(JobKind::Ingest, id)))
                .header(reqwest::header::CONTENT_TYPE, "text/csv")
                .body(csv),
            "uploading the CSV",
        )?;
        Ok(())
    }
}
