//! Progress of `bulkforce load` on stderr, drawn from the library's `LoadEvent`s: one indicatif bar per phase
//! (upload MB/s, processing rows/s from the jobs' counters, result download) on a terminal; otherwise a plain
//! line at most every few seconds while something moves, and one line when each phase ends, so that logs stay
//! short and readable.

use bulkforce_client::load::{EventSink, Load, LoadEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a plain progress line may be printed.
const PLAIN_INTERVAL: Duration = Duration::from_secs(5);

/// The progress display of one run.
pub struct Progress {
    state: Arc<Mutex<State>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

struct Bars {
    // Kept so the bars stay drawn together.
    _multi: MultiProgress,
    upload: ProgressBar,
    process: ProgressBar,
    results: ProgressBar,
}

#[derive(Default)]
struct Phase {
    started: Option<Instant>,
    ended: bool,
    /// The phase's length once it ended, so that its rate stops moving.
    length: Option<Duration>,
}

impl Phase {
    fn start(&mut self) {
        self.started.get_or_insert_with(Instant::now);
    }

    /// Marks the end; false if it had already ended.
    fn end(&mut self) -> bool {
        if self.ended {
            return false;
        }
        self.ended = true;
        self.length = self.started.map(|s| s.elapsed());
        true
    }

    fn seconds(&self) -> f64 {
        match (self.length, self.started) {
            (Some(length), _) => length.as_secs_f64(),
            (None, Some(started)) => started.elapsed().as_secs_f64(),
            _ => 0.0,
        }
    }
}

struct State {
    bars: Option<Bars>,
    parts: usize,
    upload_total: u64,
    uploaded: u64,
    rows_total: u64,
    /// Processed rows per part (numberRecordsProcessed last seen).
    processed: Vec<u64>,
    /// Rows processed before this run (rates count this run's only).
    processed_before: u64,
    /// Parts whose job reached a final state.
    finished: Vec<bool>,
    /// Parts whose results are downloaded.
    downloaded: Vec<bool>,
    download_bytes: u64,
    upload: Phase,
    processing: Phase,
    download: Phase,
    /// Something moved since the last plain line.
    moved: bool,
}

impl Progress {
    /// A display for `load`: bars when `terminal`, plain lines otherwise.
    pub fn new(load: &Load, terminal: bool) -> Progress {
        use bulkforce_client::load::journal::Phase as P;
        let journal = load.journal();
        let parts = journal.parts.len();
        let state = State {
            bars: terminal.then(|| Bars::new(journal.rows, parts)),
            parts,
            upload_total: 0,
            uploaded: 0,
            rows_total: journal.rows,
            processed: journal.parts.iter().map(|p| p.processed).collect(),
            processed_before: journal.parts.iter().map(|p| p.processed).sum(),
            finished: journal
                .parts
                .iter()
                .map(|p| p.phase >= P::Finished)
                .collect(),
            downloaded: journal
                .parts
                .iter()
                .map(|p| p.phase >= P::Downloaded)
                .collect(),
            download_bytes: 0,
            upload: Phase::default(),
            processing: Phase::default(),
            download: Phase::default(),
            moved: false,
        };
        let state = Arc::new(Mutex::new(state));
        let ticker = (!terminal).then(|| {
            let state = state.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(PLAIN_INTERVAL);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let mut s = state
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if s.moved {
                        s.moved = false;
                        eprintln!("bulkforce: {}", s.line());
                    }
                }
            })
        });
        Progress { state, ticker }
    }

    /// The callback to hand to `Load::run`.
    pub fn sink(&self) -> EventSink {
        let state = self.state.clone();
        Arc::new(move |event: &LoadEvent| {
            state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .on(event);
        })
    }

    /// Prints a line without disturbing the bars (above them on a terminal).
    pub fn notifier(&self) -> impl Fn(&str) + Send + Sync + 'static {
        let state = self.state.clone();
        move |text: &str| {
            let s = state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match &s.bars {
                Some(bars) => bars.upload.println(format!("bulkforce: {text}")),
                None => eprintln!("bulkforce: {text}"),
            }
        }
    }

    /// Stops the display (bars are cleared; the summary follows on stdout).
    pub fn finish(self) {
        if let Some(ticker) = self.ticker {
            ticker.abort();
        }
        let s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bars) = &s.bars {
            bars.upload.finish_and_clear();
            bars.process.finish_and_clear();
            bars.results.finish_and_clear();
        }
    }
}

impl Bars {
    fn new(rows: u64, parts: usize) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let bar = |len: u64, template: &str| {
            let bar = multi.add(ProgressBar::new(len));
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        };
        let upload = bar(
            0,
            "upload     [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {msg}",
        );
        let process = bar(
            rows,
            "processing [{bar:30}] {human_pos}/{human_len} rows {msg}",
        );
        let results = bar(parts as u64, "results    [{bar:30}] {pos}/{len} jobs {msg}");
        Bars {
            _multi: multi,
            upload,
            process,
            results,
        }
    }
}

impl State {
    fn processed_rows(&self) -> u64 {
        self.processed.iter().sum()
    }

    fn count(flags: &[bool]) -> usize {
        flags.iter().filter(|&&f| f).count()
    }

    /// Updates the display with one event of the run.
    fn on(&mut self, event: &LoadEvent) {
        self.moved = true;
        match event {
            LoadEvent::Started { upload_bytes, .. } => self.on_started(*upload_bytes),
            LoadEvent::Uploaded { bytes, .. } => self.on_uploaded(*bytes),
            LoadEvent::Progress {
                part, processed, ..
            } => self.on_processed(*part, *processed, false),
            LoadEvent::PartFinished {
                part, processed, ..
            } => self.on_processed(*part, *processed, true),
            LoadEvent::Downloaded { bytes, .. } => self.on_downloaded(*bytes),
            LoadEvent::ResultsDone { part } => self.on_results_done(*part),
            LoadEvent::JobAbandoned { part, job_id } => {
                let text = format!(
                    "part {}: aborted job {job_id}, still Open from an interrupted run; sending the part again",
                    part + 1
                );
                self.phase_line(text);
            }
            _ => {}
        }
    }

    /// The run starts: the bytes to upload are known, and parts done by an earlier run count already.
    fn on_started(&mut self, upload_bytes: u64) {
        self.upload_total = upload_bytes;
        if let Some(bars) = &self.bars {
            bars.upload.set_length(upload_bytes);
            bars.process.set_position(self.processed_rows());
            bars.results
                .set_position(Self::count(&self.downloaded) as u64);
        }
    }

    /// `bytes` more were uploaded; the upload phase ends with the last of them.
    fn on_uploaded(&mut self, bytes: u64) {
        self.upload.start();
        self.uploaded += bytes;
        if let Some(bars) = &self.bars {
            bars.upload.inc(bytes);
        }
        if self.uploaded >= self.upload_total && self.upload.end() {
            let secs = self.upload.seconds();
            self.phase_line(format!(
                "upload done: {} in {} ({}/s)",
                mb(self.uploaded),
                seconds(secs),
                mb(rate(self.uploaded, secs))
            ));
        }
    }

    /// A part's job has processed `processed` rows (`finished`: and reached a final state); processing ends
    /// when every part's job has.
    fn on_processed(&mut self, part: usize, processed: u64, finished: bool) {
        self.processing.start();
        if let Some(slot) = self.processed.get_mut(part) {
            *slot = processed;
        }
        if finished && let Some(f) = self.finished.get_mut(part) {
            *f = true;
        }
        let done = self.processed_rows();
        if let Some(bars) = &self.bars {
            bars.process.set_position(done);
            bars.process.set_message(format!(
                "{} rows/s",
                thousands(rate(
                    done.saturating_sub(self.processed_before),
                    self.processing.seconds()
                ))
            ));
        }
        if Self::count(&self.finished) == self.parts && self.processing.end() {
            let secs = self.processing.seconds();
            self.phase_line(format!(
                "processing done: {} rows in {} ({} rows/s)",
                thousands(done),
                seconds(secs),
                thousands(rate(done.saturating_sub(self.processed_before), secs))
            ));
        }
    }

    /// `bytes` more of the result files were downloaded.
    fn on_downloaded(&mut self, bytes: u64) {
        self.download.start();
        self.download_bytes += bytes;
        if let Some(bars) = &self.bars {
            bars.results.set_message(mb(self.download_bytes));
        }
    }

    /// A part's results are downloaded; the phase ends with the last part.
    fn on_results_done(&mut self, part: usize) {
        if let Some(d) = self.downloaded.get_mut(part) {
            *d = true;
        }
        if let Some(bars) = &self.bars {
            bars.results
                .set_position(Self::count(&self.downloaded) as u64);
        }
        if Self::count(&self.downloaded) == self.parts && self.download.end() {
            self.phase_line(format!(
                "results done: {}, {} in {}",
                plural(self.parts as u64, "job"),
                mb(self.download_bytes),
                seconds(self.download.seconds())
            ));
        }
    }

    /// A line when a phase ends (or a part is sent again): printed above the bars, or as a plain line.
    fn phase_line(&mut self, text: String) {
        match &self.bars {
            Some(bars) => bars.upload.println(text),
            None => eprintln!("bulkforce: {text}"),
        }
    }

    /// The plain periodic line.
    fn line(&self) -> String {
        let done = self.processed_rows();
        format!(
            "upload {}/{} ({}/s), processed {}/{} rows ({} rows/s), results {}/{} jobs",
            mb(self.uploaded),
            mb(self.upload_total),
            mb(rate(self.uploaded, self.upload.seconds())),
            thousands(done),
            thousands(self.rows_total),
            thousands(rate(
                done.saturating_sub(self.processed_before),
                self.processing.seconds()
            )),
            Self::count(&self.downloaded),
            self.parts
        )
    }
}

fn rate(amount: u64, secs: f64) -> u64 {
    if secs > 0.0 {
        (amount as f64 / secs) as u64
    } else {
        0
    }
}

/// `1 row`, `2,000 rows`.
pub fn plural(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units, as the limits are given: `226.4 MB`, `65.5 kB`, `22 B`.
pub fn mb(bytes: u64) -> String {
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 100_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// `0.4s`, `12.3s`, `2m05s`, `1h02m`.
pub fn seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, secs as u64 % 60)
    } else {
        format!(
            "{}h{:02}m",
            (secs / 3600.0) as u64,
            (secs as u64 % 3600) / 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(mb(226_400_000), "226.4 MB");
        assert_eq!(mb(65_536), "65.5 kB");
        assert_eq!(mb(22), "22 B");
        assert_eq!(seconds(12.34), "12.3s");
        assert_eq!(seconds(125.0), "2m05s");
        assert_eq!(seconds(3720.0), "1h02m");
    }
}
