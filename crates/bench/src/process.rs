//! Child processes: `bulkforce serve` on an ephemeral port, and a sampler of a process's resident memory.

use anyhow::{Context, bail};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The bearer token the bench starts the server with.
pub const TOKEN: &str = "00D000000000001!bench.token";

/// How often the sampler reads `/proc/<pid>/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// What `bulkforce serve` is started with.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub schema_dir: PathBuf,
    /// The server's stderr (its log) is appended here.
    pub log: PathBuf,
    /// `--max-upload-bytes`, when the default is too small for the generated files.
    pub max_upload_bytes: Option<u64>,
    /// Further `serve` arguments (the soak's `--chunk-rows`, timeouts; the PostgreSQL bench's database and
    /// bucket).
    pub extra_args: Vec<String>,
    /// Variables set in the server's environment on top of the bench's (the object store's `AWS_*`).
    pub env: Vec<(String, String)>,
}

/// A running `bulkforce serve`.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(spec: &ServerSpec) -> anyhow::Result<Server> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .with_context(|| format!("opening {}", spec.log.display()))?;
        let mut command = Command::new(&spec.binary);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
            .arg("--data-dir")
            .arg(&spec.data_dir)
            .arg("--schema")
            .arg(&spec.schema_dir);
        if let Some(max) = spec.max_upload_bytes {
            command.arg("--max-upload-bytes").arg(max.to_string());
        }
        command.args(&spec.extra_args);
        command.envs(spec.env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", spec.binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            if let Some(Ok(line)) = lines.next() {
                if let Some(url) = line.trim().strip_prefix("instance URL:") {
                    break url.trim().to_owned();
                }
            } else {
                let status = child.wait().ok();
                bail!(
                    "{} stopped before printing its URL ({status:?}); its log: {}\n{}",
                    spec.binary.display(),
                    spec.log.display(),
                    tail(&spec.log)
                );
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server: SIGINT (its graceful stop), then SIGKILL if it is still there after 10 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if interrupted {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if self.child.try_wait()?.is_some() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.child.kill().ok();
        self.child.wait()?;
        Ok(())
    }
}

impl Server {
    /// Kills the server at once with SIGKILL (no graceful stop: a crash) and waits for it to be gone.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().context("sending SIGKILL to the server")?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// The last lines of a log file, for error messages.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Samples a process's resident memory from a thread; [`RssSampler::finish`] answers the peak.
///
/// The peak is the larger of the highest `VmRSS` seen and the kernel's own high-water mark `VmHWM` (which is
/// over the whole life of the process: the bench starts a fresh server for each operation, so that is the
/// operation's peak too). `None` where `/proc` is not available.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Option<u64>>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let path = PathBuf::from(format!("/proc/{pid}/status"));
            let mut peak: Option<u64> = None;
            loop {
                // Read once more after the stop flag so the last moments count too.
                let stopping = flag.load(Ordering::Relaxed);
                if let Some(bytes) = read_rss(&path) {
                    peak = Some(peak.unwrap_or(0).max(bytes));
                }
                if stopping {
                    return peak;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
        RssSampler { stop, handle }
    }

    pub fn finish(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().ok().flatten()
    }
}

/// max(VmRSS, VmHWM) of `/proc/<pid>/status`, in bytes.
fn read_rss(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let mut peak = None;
    for line in BufReader::new(file).lines() {
        let line = line.ok()?;
        if let Some(rest) = line
            .strip_prefix("VmRSS:")
            .or_else(|| line.strip_prefix("VmHWM:"))
        {
            let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            peak = Some(peak.unwrap_or(0).max(kb * 1024));
        }
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process() {
        if !Path::new("/proc/self/status").exists() {
            return;
        }
        let sampler = RssSampler::start(std::process::id());
        std::thread::sleep(Duration::from_millis(30));
        let peak = sampler.finish().expect("a reading");
        assert!(peak > 1 << 20, "{peak}");
    }
}
