//! The measured operations, through the Bulk API 2.0 over HTTP as any client does it.

use crate::csvcount::{CsvCounter, CsvSummary};
use crate::process::TOKEN;
use anyhow::{Context, bail};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const VERSION: &str = "v62.0";
/// Between two polls of a job's state: short, so that waiting adds little to a measured time.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// An HTTP client for one server: blocking for the small JSON calls, async for the data. reqwest's blocking
/// client moves bodies through 8 KiB pieces and a thread hop each, which on 25 MB result files cost the bench
/// more time than the server spent sending them.
pub struct Api {
    client: Client,
    data: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    base: String,
    /// How long a job may take before the bench gives up.
    pub job_timeout: Duration,
}

/// What an ingest job did: its final info and what its result files hold.
#[derive(Clone, Debug, Default)]
pub struct IngestOutcome {
    pub processed: u64,
    pub failed: u64,
    /// Data records in each result file (headers not counted).
    pub successful_results: u64,
    pub failed_results: u64,
    pub unprocessed_records: u64,
    /// Successful results with `sf__Created` = `true`.
    pub created: u64,
    /// Seconds from create to the end of the upload and close; of processing (until JobComplete); of downloading
    /// the three result files.
    pub upload_seconds: f64,
    pub processing_seconds: f64,
    pub results_seconds: f64,
    pub result_bytes: u64,
}

/// What a query job did.
#[derive(Clone, Debug, Default)]
pub struct QueryOutcome {
    pub processed: u64,
    /// Data records downloaded, over all pages (each page's header not counted).
    pub downloaded: u64,
    pub pages: u64,
    pub bytes: u64,
    pub processing_seconds: f64,
    pub download_seconds: f64,
}

impl Api {
    pub fn new(url: &str) -> anyhow::Result<Api> {
        let client = Client::builder()
            // Large uploads and downloads: no overall deadline (jobs have their own, below).
            .timeout(None::<Duration>)
            // Measure the API's own bytes, not the compressor's speed.
            .no_gzip()
            .build()?;
        // The data client's runtime only runs inside `block_on`, so it cannot notice the server closing an idle
        // connection (its --header-timeout-seconds, 30 by default, also bounds the wait for the next request
        // on a kept-alive one) while a job is processed; one idle for longer than this is dropped at checkout
        // rather than reused dead ("connection closed before message completed").
        let data = reqwest::Client::builder()
            .no_gzip()
            .pool_idle_timeout(Duration::from_secs(10))
            .build()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Api {
            client,
            data,
            runtime,
            base: format!("{url}/services/data/{VERSION}"),
            job_timeout: Duration::from_secs(3600),
        })
    }

    fn send(&self, request: RequestBuilder, what: &str) -> anyhow::Result<Response> {
        send_checked(request, what)
    }

    fn json(&self, request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
        json_checked(request, what)
    }

    /// An authenticated request that answers, so that the server has opened the org before anything is timed.
    pub fn warm_up(&self) -> anyhow::Result<()> {
        self.json(
            self.client.get(format!("{}/jobs/ingest", self.base)),
            "listing ingest jobs",
        )?;
        Ok(())
    }

    /// One ingest job per part, one after another, as a client loads a file past the upload limit; the
    /// outcomes added up (phases too, so they still add up to the whole).
    pub fn ingest_parts(
        &self,
        object: &str,
        operation: &str,
        external_id: Option<&str>,
        parts: &[std::path::PathBuf],
    ) -> anyhow::Result<IngestOutcome> {
        let mut total = IngestOutcome::default();
        for (i, part) in parts.iter().enumerate() {
            let o = self
                .ingest(object, operation, external_id, part)
                .with_context(|| format!("part {} of {}", i + 1, parts.len()))?;
            total.processed += o.processed;
            total.failed += o.failed;
            total.successful_results += o.successful_results;
            total.failed_results += o.failed_results;
            total.unprocessed_records += o.unprocessed_records;
            total.created += o.created;
            total.upload_seconds += o.upload_seconds;
            total.processing_seconds += o.processing_seconds;
            total.results_seconds += o.results_seconds;
            total.result_bytes += o.result_bytes;
        }
        Ok(total)
    }

    /// One ingest job end to end: create, upload `csv`, close, wait for JobComplete, download the three result
    /// files.
    pub fn ingest(
        &self,
        object: &str,
        operation: &str,
        external_id: Option<&str>,
        csv: &Path,
    ) -> anyhow::Result<IngestOutcome> {
        let started = Instant::now();
        let mut body = json!({
            "object": object, "operation": operation, "contentType": "CSV",
            "lineEnding": "LF", "columnDelimiter": "COMMA",
        });
        if let Some(field) = external_id {
            body["externalIdFieldName"] = json!(field);
        }
        let job = self.json(
            self.client
                .post(format!("{}/jobs/ingest", self.base))
                .json(&body),
            "creating the ingest job",
        )?;
        let id = job["id"]
            .as_str()
            .context("the created job has no id")?
            .to_owned();
        let job_url = format!("{}/jobs/ingest/{id}", self.base);
        self.upload(&format!("{job_url}/batches"), csv)?;
        self.send(
            self.client
                .patch(&job_url)
                .json(&json!({"state": "UploadComplete"})),
            "closing the job",
        )?;
        let uploaded = Instant::now();
        let info = self.wait(&job_url)?;
        let processed_at = Instant::now();

        let mut outcome = IngestOutcome {
            processed: info["numberRecordsProcessed"].as_u64().unwrap_or(0),
            failed: info["numberRecordsFailed"].as_u64().unwrap_or(0),
            ..IngestOutcome::default()
        };
        let (successful, bytes) = self.download(
            &format!("{job_url}/successfulResults"),
            CsvCounter::counting(1, "true"),
        )?;
        outcome.successful_results = successful.records.saturating_sub(1);
        outcome.created = successful.matches;
        outcome.result_bytes += bytes;
        let (failed, bytes) =
            self.download(&format!("{job_url}/failedResults"), CsvCounter::new())?;
        outcome.failed_results = failed.records.saturating_sub(1);
        outcome.result_bytes += bytes;
        let (unprocessed, bytes) =
            self.download(&format!("{job_url}/unprocessedrecords"), CsvCounter::new())?;
        outcome.unprocessed_records = unprocessed.records.saturating_sub(1);
        outcome.result_bytes += bytes;
        let done = Instant::now();

        outcome.upload_seconds = (uploaded - started).as_secs_f64();
        outcome.processing_seconds = (processed_at - uploaded).as_secs_f64();
        outcome.results_seconds = (done - processed_at).as_secs_f64();
        Ok(outcome)
    }

    /// One query job end to end: create, wait for JobComplete, download every page of `page_rows` rows.
    pub fn query(&self, soql: &str, page_rows: u64) -> anyhow::Result<QueryOutcome> {
        let started = Instant::now();
        let job = self.json(
            self.client
                .post(format!("{}/jobs/query", self.base))
                .json(&json!({"operation": "query", "query": soql})),
            "creating the query job",
        )?;
        let id = job["id"]
            .as_str()
            .context("the created job has no id")?
            .to_owned();
        let job_url = format!("{}/jobs/query/{id}", self.base);
        let info = self.wait(&job_url)?;
        let processed_at = Instant::now();
        let mut outcome = QueryOutcome {
            processed: info["numberRecordsProcessed"].as_u64().unwrap_or(0),
            ..QueryOutcome::default()
        };
        let mut locator: Option<String> = None;
        loop {
            let mut url = format!("{job_url}/results?maxRecords={page_rows}");
            if let Some(locator) = &locator {
                url.push_str(&format!("&locator={locator}"));
            }
            let (summary, bytes, next) =
                self.fetch(&url, CsvCounter::new(), "downloading a results page")?;
            let next = next.context("a results page without Sforce-Locator")?;
            outcome.downloaded += summary.records.saturating_sub(1);
            outcome.bytes += bytes;
            outcome.pages += 1;
            if next == "null" || next.is_empty() {
                break;
            }
            locator = Some(next);
        }
        outcome.processing_seconds = (processed_at - started).as_secs_f64();
        outcome.download_seconds = processed_at.elapsed().as_secs_f64();
        Ok(outcome)
    }

    /// Polls a job until it is JobComplete; a Failed or Aborted job is an error.
    fn wait(&self, job_url: &str) -> anyhow::Result<Value> {
        let deadline = Instant::now() + self.job_timeout;
        loop {
            let info = self.json(self.client.get(job_url), "polling the job")?;
            match info["state"].as_str() {
                Some("JobComplete") => return Ok(info),
                Some("Failed" | "Aborted") => bail!("the job ended {}: {info}", info["state"]),
                _ => {}
            }
            if Instant::now() > deadline {
                bail!(
                    "the job did not complete within {:?}: {info}",
                    self.job_timeout
                );
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    fn download(&self, url: &str, counter: CsvCounter) -> anyhow::Result<(CsvSummary, u64)> {
        let (summary, bytes, _) = self.fetch(url, counter, "downloading a result file")?;
        Ok((summary, bytes))
    }

    /// Uploads `csv` to `url` as a job's data, streamed in 1 MiB pieces.
    fn upload(&self, url: &str, csv: &Path) -> anyhow::Result<()> {
        self.runtime.block_on(async {
            let file = tokio::fs::File::open(csv)
                .await
                .with_context(|| format!("opening {}", csv.display()))?;
            let length = file.metadata().await?.len();
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file,
                1 << 20,
            ));
            let response = self
                .data
                .put(url)
                .bearer_auth(TOKEN)
                .header(reqwest::header::CONTENT_TYPE, "text/csv")
                .header(reqwest::header::CONTENT_LENGTH, length)
                .body(body)
                .send()
                .await
                .context("uploading the CSV")?;
            if !response.status().is_success() {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                bail!("uploading the CSV: HTTP {status}: {body}");
            }
            Ok(())
        })
    }

    /// Downloads `url`, feeding the body to `counter` as it arrives (never holding it); answers the summary,
    /// the size, and the response's `Sforce-Locator` if any.
    fn fetch(
        &self,
        url: &str,
        mut counter: CsvCounter,
        what: &str,
    ) -> anyhow::Result<(CsvSummary, u64, Option<String>)> {
        self.runtime.block_on(async {
            let mut response = self
                .data
                .get(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .with_context(|| what.to_owned())?;
            if !response.status().is_success() {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                bail!("{what}: HTTP {status}: {body}");
            }
            let locator = response
                .headers()
                .get("Sforce-Locator")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut bytes = 0u64;
            while let Some(piece) = response.chunk().await.with_context(|| what.to_owned())? {
                bytes += piece.len() as u64;
                counter.feed(&piece);
            }
            let summary = counter
                .finish()
                .valid()
                .with_context(|| format!("{what}: the CSV received is malformed"))?;
            Ok((summary, bytes, locator))
        })
    }
}

/// Sends `request` with the admin token; a non-2xx answer is an error naming `what`, with its body.
pub(crate) fn send_checked(request: RequestBuilder, what: &str) -> anyhow::Result<Response> {
    let response = request
        .bearer_auth(TOKEN)
        .send()
        .with_context(|| what.to_owned())?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().unwrap_or_default();
        bail!("{what}: HTTP {status}: {body}");
    }
    Ok(response)
}

/// [`send_checked`], then the answer as JSON.
pub(crate) fn json_checked(request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
    send_checked(request, what)?
        .json()
        .with_context(|| format!("{what}: the answer is not JSON"))
}
