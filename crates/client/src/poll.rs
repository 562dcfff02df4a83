//! Waiting for a job to finish: the one polling loop behind [`crate::Client::wait_for_job`] and the parts of a
//! [`crate::load`]. Polls start fast (most small jobs finish within a second) and slow down to a ceiling, so
//! a long job costs few requests; each poll is a retried GET.

use crate::{Client, Error, JobInfo, JobKind, JobState, Result};
use std::time::{Duration, Instant};

/// How [`Client::wait_for_job`] polls: every `initial_interval` at first, the interval growing by half each
/// time up to `max_interval`, until `timeout` has passed.
///
/// ```
/// use bulkforce_client::PollOptions;
/// use std::time::Duration;
/// let options = PollOptions { timeout: Duration::from_secs(600), ..PollOptions::default() };
/// assert_eq!(options.initial_interval, Duration::from_millis(100));
/// assert_eq!(options.max_interval, Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollOptions {
    /// Wait before the second poll (the first one is immediate).
    pub initial_interval: Duration,
    /// Longest wait between two polls.
    pub max_interval: Duration,
    /// Total time to wait before giving up with [`Error::Timeout`] (the job is left running).
    pub timeout: Duration,
}

impl Default for PollOptions {
    /// 100 ms growing to 5 s, for at most one hour.
    fn default() -> Self {
        PollOptions {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(3600),
        }
    }
}

/// The polls of one job: the first at once, then each after an interval that grows by half up to
/// [`PollOptions::max_interval`], until a deadline (if any). Each poll is a retried GET.
pub(crate) struct JobPolls<'a> {
    client: &'a Client,
    kind: JobKind,
    job_id: &'a str,
    max_interval: Duration,
    /// `None`: no deadline, for callers that stop the wait themselves.
    timeout: Option<Duration>,
    start: Instant,
    /// The wait before the next poll.
    interval: Duration,
    /// The state the last poll saw; `None` before the first one.
    last_state: Option<JobState>,
}

impl<'a> JobPolls<'a> {
    /// Polls of `job_id` at `options`' intervals, ending with [`Error::Timeout`] once `timeout` has passed
    /// since now.
    pub(crate) fn new(
        client: &'a Client,
        kind: JobKind,
        job_id: &'a str,
        options: &PollOptions,
        timeout: Option<Duration>,
    ) -> JobPolls<'a> {
        JobPolls {
            client,
            kind,
            job_id,
            max_interval: options.max_interval,
            timeout,
            start: Instant::now(),
            interval: options.initial_interval,
            last_state: None,
        }
    }

    /// The job's info from the next poll, after the wait due (none before the first poll). Past the deadline
    /// it is [`Error::Timeout`] with the state last seen, and the job keeps running: it is never aborted
    /// here. A failed poll (after the client's retries) is its error as it is.
    pub(crate) async fn next(&mut self) -> Result<JobInfo> {
        if let Some(state) = self.last_state {
            let mut wait = self.interval;
            if let Some(timeout) = self.timeout {
                let waited = self.start.elapsed();
                if waited >= timeout {
                    return Err(Error::Timeout {
                        job_id: self.job_id.to_owned(),
                        state,
                        waited,
                    });
                }
                wait = wait.min(timeout - waited);
            }
            tokio::time::sleep(wait).await;
            self.interval = (self.interval + self.interval / 2).min(self.max_interval);
        }
        let info = self.client.job_info(self.kind, self.job_id).await?;
        self.last_state = Some(info.state);
        Ok(info)
    }

    /// Polls until the job is `JobComplete`, `Failed` or `Aborted`; its last info.
    pub(crate) async fn until_finished(mut self) -> Result<JobInfo> {
        loop {
            let info = self.next().await?;
            if info.state.is_terminal() {
                return Ok(info);
            }
        }
    }
}
