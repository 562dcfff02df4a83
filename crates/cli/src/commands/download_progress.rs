//! Progress of `bulkforce export` and `jobs results` on stderr: the query job's wait, then the bytes written
//! and their rate. On a terminal an indicatif spinner per phase; otherwise a plain line every few seconds
//! while bytes move and one line when each phase ends, so that logs stay short.

use super::progress::{mb, plural, seconds, thousands};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::AsyncWrite;

/// How often a plain progress line may be printed.
const PLAIN_INTERVAL: Duration = Duration::from_secs(5);

/// One phase on stderr: a spinner on a terminal, plain lines otherwise.
pub struct PhaseProgress {
    started: Instant,
    bytes: Arc<AtomicU64>,
    spinner: Option<ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl PhaseProgress {
    /// Starts a phase named `label` (`query`, `download`); `count_bytes` shows the bytes written through
    /// [`PhaseProgress::counting`] and their rate.
    pub fn start(label: &'static str, count_bytes: bool) -> PhaseProgress {
        let bytes = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        if std::io::stderr().is_terminal() {
            let template = if count_bytes {
                "{spinner} {prefix:<9} {bytes} ({bytes_per_sec}) {elapsed}"
            } else {
                "{spinner} {prefix:<9} {msg} {elapsed}"
            };
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(ProgressStyle::with_template(template).expect("a valid template"))
                .with_prefix(label);
            spinner.enable_steady_tick(Duration::from_millis(120));
            let ticker = count_bytes.then(|| {
                let (spinner, bytes) = (spinner.clone(), bytes.clone());
                tokio::spawn(async move {
                    loop {
                        spinner.set_position(bytes.load(Ordering::Relaxed));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                })
            });
            return PhaseProgress {
                started,
                bytes,
                spinner: Some(spinner),
                ticker,
            };
        }
        let ticker = count_bytes.then(|| {
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let mut last = 0;
                loop {
                    tokio::time::sleep(PLAIN_INTERVAL).await;
                    let now = bytes.load(Ordering::Relaxed);
                    if now != last {
                        let secs = started.elapsed().as_secs_f64();
                        eprintln!("{label}: {} ({}/s)", mb(now), mb(rate(now, secs)));
                        last = now;
                    }
                }
            })
        });
        PhaseProgress {
            started,
            bytes,
            spinner: None,
            ticker,
        }
    }

    /// Shows `message` next to the spinner (a terminal only).
    pub fn message(&self, message: String) {
        if let Some(spinner) = &self.spinner {
            spinner.set_message(message);
        }
    }

    /// `out`, counting the bytes written through it for this phase's display.
    pub fn counting<'a, W>(&self, out: &'a mut W) -> Counting<'a, W> {
        Counting {
            inner: out,
            bytes: self.bytes.clone(),
        }
    }

    /// Ends the phase with a one-line summary (`rows` when known).
    pub fn finish(self, label: &str, rows: Option<u64>) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64();
        let bytes = self.bytes.load(Ordering::Relaxed);
        let mut line = format!("{label}: done in {}", seconds(secs));
        if let Some(rows) = rows {
            line.push_str(&format!(
                ", {} ({}/s)",
                plural(rows, "row"),
                thousands(rate(rows, secs))
            ));
        }
        if bytes > 0 {
            line.push_str(&format!(", {} ({}/s)", mb(bytes), mb(rate(bytes, secs))));
        }
        eprintln!("{line}");
    }
}

impl Drop for PhaseProgress {
    fn drop(&mut self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
    }
}

fn rate(amount: u64, secs: f64) -> u64 {
    if secs > 0.0 {
        (amount as f64 / secs) as u64
    } else {
        0
    }
}

/// A writer that counts the bytes going through it.
pub struct Counting<'a, W> {
    inner: &'a mut W,
    bytes: Arc<AtomicU64>,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Counting<'_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut *self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.bytes.fetch_add(*n as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}
