//! Query results, page by page: sequentially by `Sforce-Locator`, or several pages at once through
//! `resultPages` (API 58.0 and later).
//!
//! Why two paths: a locator only becomes known when the previous page's response arrives, so locator paging is
//! one stream at a time. `resultPages` lists the result URLs up front (five per answer), so a client can fetch
//! several pages at once. Each parallel page is streamed into its own spool file, and the files are appended
//! to the output in page order, so memory stays bounded whatever the size and the output is byte for byte what
//! the sequential download writes.

use crate::retry::Backoff;
use crate::{Client, Error, Result};
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::{Method, RequestBuilder};
use serde::Deserialize;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::task::JoinHandle;

/// The first API version with `GET /jobs/query/{id}/resultPages`.
const MIN_RESULT_PAGES_VERSION: f64 = 58.0;

/// Buffer of a spool file, written and read back.
const SPOOL_BUFFER: usize = 256 * 1024;

/// One page of a query job's results, as listed by `resultPages`.
///
/// ```
/// let page: bulkforce_client::ResultPage = serde_json::from_str(
///     r#"{"resultUrl":"/services/data/v62.0/jobs/query/750R0000000zxr8IAA/results?locator=MTA"}"#,
/// )?;
/// assert!(page.result_url.ends_with("locator=MTA"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResultPage {
    /// Where the page is downloaded from: a path on the instance
    /// (`/services/data/vXX.X/jobs/query/{id}/results?locator=…`), answered like any results page (CSV, the
    /// header row first, `Sforce-NumberOfRecords`).
    pub result_url: String,
}

/// A stream of every result page of a query job, in order; see [`Client::result_pages`].
///
/// ```no_run
/// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
/// use futures::StreamExt;
/// let mut pages: bulkforce_client::ResultPageStream = client.result_pages(job_id, None);
/// while let Some(page) = pages.next().await {
///     println!("{}", page?.result_url);
/// }
/// # Ok(()) }
/// ```
pub type ResultPageStream = BoxStream<'static, Result<ResultPage>>;

/// One answer of `resultPages`: up to five pages and the link to the next answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultPagesAnswer {
    #[serde(default)]
    result_pages: Vec<ResultPage>,
    #[serde(default)]
    next_records_url: Option<String>,
    #[serde(default)]
    done: bool,
}

/// How [`Client::download_query_results_parallel`] downloads.
///
/// ```
/// use bulkforce_client::ParallelDownload;
/// let options = ParallelDownload::new(4).max_records(100_000).spool_dir("exports");
/// assert_eq!(options.concurrency, 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelDownload {
    /// Pages downloaded at the same time (at least 1; 1 is sequential locator paging).
    pub concurrency: usize,
    /// Rows per page (`maxRecords`); `None`: the server's default.
    pub max_records: Option<u64>,
    /// Where the spool directory of the pages is created; `None`: the system's temporary directory. Put it on
    /// the output's file system (next to the output) so that the spool never fills another disk.
    pub spool_dir: Option<PathBuf>,
}

impl Default for ParallelDownload {
    /// Four pages at a time, the server's page size, spooled in the system's temporary directory.
    ///
    /// ```
    /// assert_eq!(bulkforce_client::ParallelDownload::default().concurrency, 4);
    /// ```
    fn default() -> Self {
        ParallelDownload::new(4)
    }
}

impl ParallelDownload {
    /// `concurrency` pages at a time, the server's page size, spooled in the system's temporary directory.
    ///
    /// ```
    /// let options = bulkforce_client::ParallelDownload::new(8);
    /// assert_eq!(options.max_records, None);
    /// ```
    pub fn new(concurrency: usize) -> Self {
        ParallelDownload {
            concurrency,
            max_records: None,
            spool_dir: None,
        }
    }

    /// Sets the rows per page.
    ///
    /// ```
    /// let options = bulkforce_client::ParallelDownload::new(4).max_records(50_000);
    /// assert_eq!(options.max_records, Some(50_000));
    /// ```
    pub fn max_records(mut self, rows: u64) -> Self {
        self.max_records = Some(rows);
        self
    }

    /// Sets where the spool directory is created.
    ///
    /// ```
    /// let options = bulkforce_client::ParallelDownload::new(4).spool_dir("/data/exports");
    /// assert!(options.spool_dir.is_some());
    /// ```
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }
}

/// What a query results download did.
///
/// ```no_run
/// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
/// let mut out = tokio::fs::File::create("accounts.csv").await?;
/// let summary = client
///     .download_query_results_parallel(job_id, &mut out, &bulkforce_client::ParallelDownload::new(4))
///     .await?;
/// println!("{} rows in {} pages (parallel: {})", summary.rows, summary.pages, summary.parallel);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadSummary {
    /// Rows written (the header row not counted): the sum of the pages' `Sforce-NumberOfRecords`.
    pub rows: u64,
    /// Pages downloaded.
    pub pages: u64,
    /// True when the pages came through `resultPages`, false when by locator paging (concurrency 1, an API
    /// version before 58.0, or a server without `resultPages`).
    pub parallel: bool,
}

/// A page's locator and row count, from its response headers.
struct PageHeaders {
    next_locator: String,
    rows: u64,
}

impl Client {
    /// True when this client's API version has `resultPages` (58.0 and later).
    ///
    /// ```
    /// let client = bulkforce_client::Client::new("http://127.0.0.1:8080", "token", "57.0")?;
    /// assert!(!client.supports_result_pages());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn supports_result_pages(&self) -> bool {
        self.api_version
            .parse::<f64>()
            .is_ok_and(|v| v >= MIN_RESULT_PAGES_VERSION)
    }

    /// Every result page of a completed query job, in order: `GET /jobs/query/{id}/resultPages`, then each
    /// `nextRecordsUrl` until `done`. `max_records` sets the rows per page (`None`: the server's default).
    /// Each answer is retried per the client's [`crate::RetryPolicy`]. A server or API version without
    /// `resultPages` makes the first item an [`Error::Api`] with status 404.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// use futures::TryStreamExt;
    /// let pages: Vec<_> = client.result_pages(job_id, Some(100_000)).try_collect().await?;
    /// for page in &pages {
    ///     println!("{}", page.result_url);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn result_pages(&self, job_id: &str, max_records: Option<u64>) -> ResultPageStream {
        enum Next {
            First(String, Option<u64>),
            Url(String),
        }
        struct State {
            client: Client,
            next: Option<Next>,
            listed: VecDeque<ResultPage>,
        }
        let state = State {
            client: self.clone(),
            next: Some(Next::First(
                format!("jobs/query/{job_id}/resultPages"),
                max_records,
            )),
            listed: VecDeque::new(),
        };
        stream::try_unfold(state, |mut state| async move {
            loop {
                if let Some(page) = state.listed.pop_front() {
                    return Ok(Some((page, state)));
                }
                let Some(next) = state.next.take() else {
                    return Ok(None);
                };
                let client = &state.client;
                let response = match &next {
                    Next::First(path, max_records) => {
                        client
                            .send_idempotent(|| {
                                let request = client.request(Method::GET, path);
                                match max_records {
                                    Some(n) => request.query(&[("maxRecords", n)]),
                                    None => request,
                                }
                            })
                            .await?
                    }
                    Next::Url(url) => {
                        let url = client.instance_resource(url)?;
                        client.send_idempotent(|| client.get_url(&url)).await?
                    }
                };
                let answer: ResultPagesAnswer = Client::json(response).await?;
                state.next = match answer.next_records_url {
                    Some(url) if !answer.done && !url.is_empty() => {
                        // An answer that lists nothing and links to itself would loop for ever.
                        if answer.result_pages.is_empty()
                            && matches!(&next, Next::Url(previous) if *previous == url)
                        {
                            return Err(Error::Protocol(format!(
                                "resultPages answered no page and links to itself: {url}"
                            )));
                        }
                        Some(Next::Url(url))
                    }
                    _ => None,
                };
                state.listed.extend(answer.result_pages);
            }
        })
        .boxed()
    }

    /// Downloads every row of a completed query job into `out`, up to `options.concurrency` pages at a time
    /// through [`Client::result_pages`]: the header row once, then every row, byte for byte what
    /// [`Client::download_query_results`] writes. Each page streams into its own file in a spool directory
    /// (created in `options.spool_dir`, removed at the end, at most `concurrency` pages in it at once) and the
    /// files are appended to `out` in page order, so memory stays bounded whatever the size of the result.
    ///
    /// Pages are retried per the client's [`crate::RetryPolicy`]; a page that breaks off mid-body is fetched
    /// again and continued where it stopped. With a concurrency of 1, an API version before 58.0, or a
    /// server that answers 404 to `resultPages`, the pages are fetched one after another by locator instead.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// use bulkforce_client::ParallelDownload;
    /// let mut out = tokio::fs::File::create("accounts.csv").await?;
    /// let options = ParallelDownload::new(4).max_records(100_000).spool_dir(".");
    /// let summary = client.download_query_results_parallel(job_id, &mut out, &options).await?;
    /// println!("{} rows", summary.rows);
    /// # Ok(()) }
    /// ```
    pub async fn download_query_results_parallel<W>(
        &self,
        job_id: &str,
        out: &mut W,
        options: &ParallelDownload,
    ) -> Result<DownloadSummary>
    where
        W: AsyncWrite + Unpin,
    {
        if options.concurrency == 0 {
            return Err(Error::InvalidArgument(
                "a download needs a concurrency of at least 1".to_owned(),
            ));
        }
        if options.concurrency == 1 || !self.supports_result_pages() {
            return self
                .download_by_locator(job_id, out, options.max_records)
                .await;
        }
        let mut listed = self.result_pages(job_id, options.max_records);
        let first = match listed.next().await {
            Some(Ok(page)) => page,
            // No resultPages here (an older server), or nothing listed at all: the locator path also
            // answers an empty result with its header row, and reports an unknown job as such.
            Some(Err(Error::Api { status: 404, .. })) | None => {
                return self
                    .download_by_locator(job_id, out, options.max_records)
                    .await;
            }
            Some(Err(e)) => return Err(e),
        };
        let listed = stream::once(async { Ok(first) }).chain(listed).boxed();
        let parent = match &options.spool_dir {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir(),
        };
        let spool = tempfile::Builder::new()
            .prefix(".bulkforce-pages-")
            .tempdir_in(&parent)?;
        let mut inflight = VecDeque::new();
        let outcome = self
            .download_listed(
                listed,
                spool.path(),
                options.concurrency,
                &mut inflight,
                out,
            )
            .await;
        // On an error, stop the downloads still running before the spool directory goes.
        for (_, task) in inflight.drain(..) {
            task.abort();
            let _ = task.await;
        }
        drop(spool);
        outcome
    }

    /// Spools the listed pages, `concurrency` at a time, and appends them to `out` in order.
    async fn download_listed<W>(
        &self,
        mut listed: ResultPageStream,
        spool: &Path,
        concurrency: usize,
        inflight: &mut VecDeque<(PathBuf, JoinHandle<Result<u64>>)>,
        out: &mut W,
    ) -> Result<DownloadSummary>
    where
        W: AsyncWrite + Unpin,
    {
        let mut pages = 0u64;
        let mut rows = 0u64;
        let mut listing_done = false;
        loop {
            while !listing_done && inflight.len() < concurrency {
                match listed.next().await {
                    Some(page) => {
                        let url = self.instance_resource(&page?.result_url)?;
                        let path =
                            spool.join(format!("page-{:08}.csv", pages + inflight.len() as u64));
                        // Only the first page keeps its header row: every page repeats it.
                        let keep_header = pages == 0 && inflight.is_empty();
                        let task =
                            tokio::spawn(self.clone().spool_page(url, keep_header, path.clone()));
                        inflight.push_back((path, task));
                    }
                    None => listing_done = true,
                }
            }
            let Some((path, task)) = inflight.pop_front() else {
                break;
            };
            rows += task
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))??;
            pages += 1;
            let file = tokio::fs::File::open(&path).await?;
            tokio::io::copy_buf(&mut BufReader::with_capacity(SPOOL_BUFFER, file), out).await?;
            tokio::fs::remove_file(&path).await?;
        }
        out.flush().await?;
        Ok(DownloadSummary {
            rows,
            pages,
            parallel: true,
        })
    }

    /// Downloads one listed page into the file `path`; returns its row count.
    async fn spool_page(self, url: String, keep_header: bool, path: PathBuf) -> Result<u64> {
        let file = tokio::fs::File::create(&path).await?;
        let mut writer = BufWriter::with_capacity(SPOOL_BUFFER, file);
        let page = self
            .copy_result_page(|| self.get_url(&url), keep_header, &mut writer)
            .await?;
        writer.flush().await?;
        Ok(page.rows)
    }

    /// Downloads every page of a completed query job into `out` as one CSV: the header row once, then every
    /// row, following `Sforce-Locator` until it is `null`. `max_records` sets the page size (`None`: the
    /// server's default). Returns the number of rows (the sum of `Sforce-NumberOfRecords`).
    /// A page that breaks off mid-body is fetched again with its locator and continued where it stopped.
    ///
    /// ```no_run
    /// # async fn run(client: bulkforce_client::Client, job_id: &str) -> bulkforce_client::Result<()> {
    /// let mut out = tokio::fs::File::create("accounts.csv").await?;
    /// let rows = client.download_query_results(job_id, &mut out, Some(50_000)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_query_results<W>(
        &self,
        job_id: &str,
        out: &mut W,
        max_records: Option<u64>,
    ) -> Result<u64>
    where
        W: AsyncWrite + Unpin,
    {
        Ok(self
            .download_by_locator(job_id, out, max_records)
            .await?
            .rows)
    }

    /// The sequential download: one page after another, each one's locator from the previous response.
    async fn download_by_locator<W>(
        &self,
        job_id: &str,
        out: &mut W,
        max_records: Option<u64>,
    ) -> Result<DownloadSummary>
    where
        W: AsyncWrite + Unpin,
    {
        let path = format!("jobs/query/{job_id}/results");
        let mut locator: Option<String> = None;
        let mut summary = DownloadSummary {
            rows: 0,
            pages: 0,
            parallel: false,
        };
        loop {
            let page = self
                .copy_result_page(
                    || {
                        let mut request = self.request(Method::GET, &path);
                        if let Some(l) = &locator {
                            request = request.query(&[("locator", l)]);
                        }
                        if let Some(n) = max_records {
                            request = request.query(&[("maxRecords", n)]);
                        }
                        request
                    },
                    locator.is_none(),
                    out,
                )
                .await?;
            summary.rows += page.rows;
            summary.pages += 1;
            if page.next_locator == "null" || page.next_locator.is_empty() {
                break;
            }
            locator = Some(page.next_locator);
        }
        out.flush().await?;
        Ok(summary)
    }

    /// Copies one results page into `out`, without its header row unless `keep_header`; returns the next
    /// locator and the page's row count. A page that breaks off mid-body is requested again (pages are
    /// stable) and the bytes already written are skipped, within the retry policy.
    async fn copy_result_page<W>(
        &self,
        request: impl Fn() -> RequestBuilder,
        keep_header: bool,
        out: &mut W,
    ) -> Result<PageHeaders>
    where
        W: AsyncWrite + Unpin,
    {
        let mut header_pending = !keep_header;
        // Body bytes of this page already handled (written, or skipped as the header).
        let mut consumed = 0u64;
        // Breaks mid-body have their own retries, apart from those of each request.
        let mut backoff = Backoff::new(&self.retry);
        'attempts: loop {
            let response = self.send_idempotent(&request).await?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let next_locator = header("Sforce-Locator").ok_or_else(|| {
                Error::Protocol("a query results page without Sforce-Locator".to_owned())
            })?;
            let rows = header("Sforce-NumberOfRecords")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
            let mut stream = response.bytes_stream();
            let mut position = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        if backoff.wait().await {
                            continue 'attempts;
                        }
                        return Err(e.into());
                    }
                };
                let start = position;
                position += chunk.len() as u64;
                if position <= consumed {
                    continue;
                }
                let mut data = &chunk[(consumed.saturating_sub(start)) as usize..];
                if header_pending {
                    if let Some(end) = data.iter().position(|&b| b == b'\n') {
                        data = &data[end + 1..];
                        header_pending = false;
                    } else {
                        consumed = position;
                        continue;
                    }
                }
                out.write_all(data).await?;
                consumed = position;
            }
            return Ok(PageHeaders { next_locator, rows });
        }
    }

    /// A GET of a full URL on the instance, with the bearer token.
    fn get_url(&self, url: &str) -> RequestBuilder {
        self.http.get(url).bearer_auth(&self.access_token)
    }

    /// The full URL of a link the server gave (`/services/data/…`, or a URL on the instance). Links to any
    /// other host are refused: the access token must not leave the instance.
    fn instance_resource(&self, link: &str) -> Result<String> {
        if link.starts_with('/') && !link.starts_with("//") {
            return Ok(format!("{}{link}", self.instance_url));
        }
        match link.strip_prefix(&self.instance_url) {
            Some(rest) if rest.starts_with('/') => Ok(link.to_owned()),
            _ => Err(Error::Protocol(format!(
                "the server linked to {link:?}, which is not on the instance {}",
                self.instance_url
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_resolved_on_the_instance_and_other_hosts_refused() {
        let client = Client::new("https://acme.my.salesforce.com", "t", "62.0").unwrap();
        let path = "/services/data/v62.0/jobs/query/750R0000000zxr8IAA/results?locator=MTA";
        assert_eq!(
            client.instance_resource(path).unwrap(),
            format!("https://acme.my.salesforce.com{path}")
        );
        let full = format!("https://acme.my.salesforce.com{path}");
        assert_eq!(client.instance_resource(&full).unwrap(), full);
        for foreign in [
            "https://evil.example/services/data/v62.0/jobs",
            "//evil.example/services/data",
            "https://acme.my.salesforce.com.evil.example/x",
            "services/data/v62.0/jobs",
        ] {
            assert!(
                matches!(client.instance_resource(foreign), Err(Error::Protocol(_))),
                "{foreign}"
            );
        }
    }

    #[test]
    fn result_pages_start_at_api_58() {
        for (version, expected) in [("57.0", false), ("58.0", true), ("62.0", true)] {
            let client = Client::new("http://127.0.0.1:1", "t", version).unwrap();
            assert_eq!(client.supports_result_pages(), expected, "{version}");
        }
    }
}
