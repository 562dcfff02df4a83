//! Running one part: create its job, upload the header line and the part's byte range of the file, close the
//! job, poll it until it is final, download its three result files. Each step is journaled before the next
//! one starts (see the resume rules in [`super::journal`]); a halted run stops a part between steps, aborting
//! a job it leaves `Open`.

use super::LoadError;
use super::journal::{PartEntry, Phase};
use super::report::{EventSink, LoadEvent};
use super::run::Run;
use crate::poll::JobPolls;
use crate::{Error, JobInfo, JobKind, JobState, Result, ResultKind};
use chrono::{DateTime, NaiveDateTime};
use futures::StreamExt;
use std::io::SeekFrom;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

/// What a step of a part leads to: the next step, or the end of this part's work in this run (it is done, or
/// the run halted).
type Step = ControlFlow<()>;

impl Run<'_> {
    /// Runs one part from wherever it stands to its downloaded results, or until the run halts.
    pub(super) async fn run_part(&self, part: usize) -> Result<()> {
        loop {
            let entry = self.entry(part).await;
            let step = match entry.phase {
                Phase::Pending => self.create_job(part).await?,
                Phase::Created => self.upload(part, &entry).await?,
                Phase::Uploaded => self.close(part, &entry).await?,
                Phase::Closed => self.await_job(part, &entry).await?,
                Phase::Finished => self.download(part, &entry).await?,
                Phase::Downloaded => Step::Break(()),
            };
            if step.is_break() {
                return Ok(());
            }
        }
    }

    /// Creates the part's job and journals its id before anything is sent to it.
    async fn create_job(&self, part: usize) -> Result<Step> {
        if self.halt.is_cancelled() {
            return Ok(Step::Break(()));
        }
        let request = self.job_request().await;
        let job = self.client.create_ingest_job(&request).await?;
        self.update(|j| {
            let p = &mut j.parts[part];
            p.job_id = Some(job.id.clone());
            p.phase = Phase::Created;
            p.state = Some(job.state);
            p.started_ms = Some(now_ms());
        })
        .await?;
        self.emit(LoadEvent::JobCreated {
            part,
            job_id: job.id,
        });
        Ok(Step::Continue(()))
    }

    /// Uploads the part; a halt cuts the upload off. Either way a job left `Open` is aborted.
    async fn upload(&self, part: usize, entry: &PartEntry) -> Result<Step> {
        let job_id = job_id(entry);
        let upload = async {
            let body = self.body(part, entry).await?;
            self.client.upload_job_data(&job_id, body).await
        };
        let outcome = tokio::select! {
            outcome = upload => Some(outcome),
            _ = self.halt.cancelled() => None,
        };
        match outcome {
            Some(Ok(())) => {
                self.update(|j| j.parts[part].phase = Phase::Uploaded)
                    .await?;
                Ok(Step::Continue(()))
            }
            Some(Err(e)) => {
                // Never leave an Open job behind; if even that fails, resume will.
                let _ = self.abandon(part, &job_id).await;
                Err(e)
            }
            None => {
                self.abandon(part, &job_id).await?;
                Ok(Step::Break(()))
            }
        }
    }

    /// Closes the uploaded part's job: from here on the server processes its rows.
    async fn close(&self, part: usize, entry: &PartEntry) -> Result<Step> {
        let job_id = job_id(entry);
        if self.halt.is_cancelled() {
            self.abandon(part, &job_id).await?;
            return Ok(Step::Break(()));
        }
        // Not cancellable: once sent, a close must be journaled, or a resume could not tell.
        let info = match self.client.close_job(&job_id).await {
            Ok(info) => info,
            Err(e) => {
                if let Ok(info) = self.client.job_info(JobKind::Ingest, &job_id).await
                    && info.state == JobState::Open
                {
                    let _ = self.abandon(part, &job_id).await;
                }
                return Err(e);
            }
        };
        self.update(|j| {
            j.parts[part].phase = Phase::Closed;
            j.parts[part].state = Some(info.state);
        })
        .await?;
        self.emit(LoadEvent::Closed { part, job_id });
        Ok(Step::Continue(()))
    }

    /// Waits for the closed job to be final and journals how it ended; a halt stops the wait (the job keeps
    /// running on the server).
    async fn await_job(&self, part: usize, entry: &PartEntry) -> Result<Step> {
        let job_id = job_id(entry);
        let info = tokio::select! {
            info = self.wait(part, &job_id, entry) => info?,
            _ = self.halt.cancelled() => return Ok(Step::Break(())),
        };
        let (processed, failed) = counts(&info);
        self.update(|j| {
            let p = &mut j.parts[part];
            p.phase = Phase::Finished;
            p.state = Some(info.state);
            p.processed = processed;
            p.failed = failed;
            p.error_message = info.error_message.clone();
            p.finished_ms = Some(now_ms());
            p.server_ms = server_duration(&info);
        })
        .await?;
        self.emit(LoadEvent::PartFinished {
            part,
            state: info.state,
            processed,
            failed,
        });
        Ok(Step::Continue(()))
    }

    /// Polls a closed job until it is final, reporting its counters as they move.
    async fn wait(&self, part: usize, job_id: &str, entry: &PartEntry) -> Result<JobInfo> {
        // No deadline of its own: the run's deadline halts the run, which ends this wait.
        let mut polls = JobPolls::new(self.client, JobKind::Ingest, job_id, &self.poll, None);
        let mut last = (entry.state, entry.processed, entry.failed);
        loop {
            let info = match polls.next().await {
                Ok(info) => info,
                Err(Error::Api { status: 404, .. }) => {
                    return Err(LoadError::JobLost {
                        part: part + 1,
                        job_id: job_id.to_owned(),
                    }
                    .into());
                }
                Err(e) => return Err(e),
            };
            let (processed, failed) = counts(&info);
            if (Some(info.state), processed, failed) != last {
                last = (Some(info.state), processed, failed);
                self.emit(LoadEvent::Progress {
                    part,
                    state: info.state,
                    processed,
                    failed,
                });
                if !info.state.is_terminal() {
                    // Counters are kept in memory only (the report shows them); the journal is written on
                    // transitions, so that a load of many parts does not rewrite it on every poll.
                    let mut journal = self.journal.lock().await;
                    let p = &mut journal.parts[part];
                    p.state = Some(info.state);
                    p.processed = processed;
                    p.failed = failed;
                }
            }
            if info.state.is_terminal() {
                return Ok(info);
            }
        }
    }

    /// Downloads the finished part's results and journals that; a halt stops the download.
    async fn download(&self, part: usize, entry: &PartEntry) -> Result<Step> {
        let job_id = job_id(entry);
        tokio::select! {
            done = self.download_results(part, &job_id) => done?,
            _ = self.halt.cancelled() => return Ok(Step::Break(())),
        };
        self.update(|j| j.parts[part].phase = Phase::Downloaded)
            .await?;
        self.emit(LoadEvent::ResultsDone { part });
        Ok(Step::Continue(()))
    }

    /// Downloads a finished part's three result files into the parts directory.
    async fn download_results(&self, part: usize, job_id: &str) -> Result<()> {
        let results = self.journal.lock().await.results.clone();
        tokio::fs::create_dir_all(&results.parts_dir).await?;
        for kind in [
            ResultKind::Successful,
            ResultKind::Failed,
            ResultKind::Unprocessed,
        ] {
            let path = Run::part_file(&results, part, kind);
            let mut out = tokio::io::BufWriter::with_capacity(
                256 * 1024,
                tokio::fs::File::create(&path).await?,
            );
            let mut stream = self.client.ingest_results(job_id, kind).await?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                out.write_all(&chunk).await?;
                self.emit(LoadEvent::Downloaded {
                    part,
                    bytes: chunk.len() as u64,
                });
            }
            out.flush().await?;
        }
        Ok(())
    }

    /// Settles a part whose job a previous run left `Open` or whose close it may not have seen: see the
    /// resume rules in [`super::journal`].
    pub(super) async fn reconcile(&self, part: usize) -> Result<()> {
        let entry = self.entry(part).await;
        let Some(job_id) = entry.job_id.clone() else {
            return self.update(|j| j.parts[part].phase = Phase::Pending).await;
        };
        let info = match self.client.job_info(JobKind::Ingest, &job_id).await {
            Ok(info) => info,
            Err(Error::Api { status: 404, .. }) => {
                return Err(LoadError::JobLost {
                    part: part + 1,
                    job_id,
                }
                .into());
            }
            Err(e) => return Err(e),
        };
        match info.state {
            JobState::Open => self.abandon(part, &job_id).await,
            // Aborted before it processed a row (by a previous run that was stopped, or by hand): nothing of
            // it was loaded, so the part is sent again.
            JobState::Aborted if info.number_records_processed.unwrap_or(0) == 0 => {
                self.reset(part, &job_id).await
            }
            state => {
                self.update(|j| {
                    let p = &mut j.parts[part];
                    p.phase = Phase::Closed;
                    p.state = Some(state);
                })
                .await
            }
        }
    }

    /// Aborts a part's `Open` job and makes the part pending again.
    async fn abandon(&self, part: usize, job_id: &str) -> Result<()> {
        match self.client.abort_job(JobKind::Ingest, job_id).await {
            Ok(_) => {}
            // Someone else moved it on: look again before deciding anything.
            Err(Error::Api { status: 400, .. }) => {
                let info = self.client.job_info(JobKind::Ingest, job_id).await?;
                if !(info.state == JobState::Aborted
                    && info.number_records_processed.unwrap_or(0) == 0)
                {
                    return self
                        .update(|j| {
                            j.parts[part].phase = Phase::Closed;
                            j.parts[part].state = Some(info.state);
                        })
                        .await;
                }
            }
            Err(e) => return Err(e),
        }
        self.reset(part, job_id).await?;
        self.emit(LoadEvent::JobAbandoned {
            part,
            job_id: job_id.to_owned(),
        });
        Ok(())
    }

    /// Makes a part pending again, keeping the job it gave up for the record.
    async fn reset(&self, part: usize, job_id: &str) -> Result<()> {
        self.update(|j| {
            let p = &mut j.parts[part];
            let range = p.range;
            let mut abandoned = std::mem::take(&mut p.abandoned_jobs);
            abandoned.push(job_id.to_owned());
            *p = PartEntry::new(range);
            p.abandoned_jobs = abandoned;
        })
        .await
    }

    /// The upload body of a part: the header line, then its byte range read straight from the file.
    async fn body(
        &self,
        part: usize,
        entry: &PartEntry,
    ) -> Result<Counting<impl AsyncRead + Send + Unpin + 'static>> {
        let mut file = tokio::fs::File::open(&self.file).await?;
        file.seek(SeekFrom::Start(entry.range.start)).await?;
        let file = tokio::io::BufReader::with_capacity(256 * 1024, file).take(entry.range.len());
        let reader = std::io::Cursor::new(self.header.clone()).chain(file);
        Ok(Counting {
            inner: reader,
            part,
            events: self.events(),
        })
    }
}

/// The job of a part past `Pending` (the journal always has it there).
fn job_id(entry: &PartEntry) -> String {
    entry.job_id.clone().unwrap_or_default()
}

fn counts(info: &JobInfo) -> (u64, u64) {
    (
        info.number_records_processed.unwrap_or(0),
        info.number_records_failed.unwrap_or(0),
    )
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The job's lifetime by the server's clock: `createdDate` to `systemModstamp` (its last change, the end for a
/// finished job), both like `2023-01-26T10:09:27.000+0000`.
fn server_duration(info: &JobInfo) -> Option<u64> {
    let created = timestamp_ms(info.created_date.as_deref()?)?;
    let modified = timestamp_ms(info.system_modstamp.as_deref()?)?;
    modified.checked_sub(created)
}

/// Milliseconds since the Unix epoch of a Salesforce date-time: `YYYY-MM-DDTHH:MM:SS[.fff]` followed by an
/// offset (`+0000`, as Salesforce writes it, or `+01:00`), by `Z`, or by nothing (UTC).
fn timestamp_ms(text: &str) -> Option<u64> {
    const WITH_OFFSET: &str = "%Y-%m-%dT%H:%M:%S%.f%z";
    const WITHOUT_OFFSET: &str = "%Y-%m-%dT%H:%M:%S%.f";
    let millis = DateTime::parse_from_str(text, WITH_OFFSET)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, WITHOUT_OFFSET)
                .map(|t| t.and_utc().timestamp_millis())
        })
        .ok()?;
    u64::try_from(millis).ok()
}

/// Reports the bytes read through it as [`LoadEvent::Uploaded`].
struct Counting<R> {
    inner: R,
    part: usize,
    events: EventSink,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        if read > 0 {
            (self.events)(&LoadEvent::Uploaded {
                part: self.part,
                bytes: read,
            });
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_timestamps_read_as_unix_milliseconds() {
        assert_eq!(timestamp_ms("1970-01-01T00:00:00.000+0000"), Some(0));
        assert_eq!(
            timestamp_ms("2023-01-26T10:09:27.000+0000"),
            Some(1_674_727_767_000)
        );
        assert_eq!(
            timestamp_ms("2023-01-26T11:09:27.250+0100"),
            Some(1_674_727_767_250)
        );
        assert_eq!(
            timestamp_ms("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
        assert_eq!(timestamp_ms("yesterday"), None);
    }

    #[test]
    fn other_spellings_of_the_offset_and_fraction_read_alike() {
        let expected = Some(1_674_727_767_000);
        for text in [
            "2023-01-26T10:09:27+0000",
            "2023-01-26T11:09:27.000+01:00",
            "2023-01-26T10:09:27.000Z",
            "2023-01-26T10:09:27",
            "2023-01-26T10:09:27.0009+0000",
        ] {
            assert_eq!(timestamp_ms(text), expected, "{text}");
        }
        assert_eq!(timestamp_ms("1969-12-31T23:59:59.000+0000"), None);
    }
}
