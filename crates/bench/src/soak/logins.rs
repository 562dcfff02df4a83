//! The logins phase: a flood of wrong-password logins (SOAP `login` and the OAuth password grant, unknown users
//! and a real user with a wrong password) from many threads for a while, while a real client keeps making
//! authenticated requests. Figures: logins answered per second and how, the server's peak memory, the real
//! client's requests and latency. It must never accept a wrong login, and the real client must never fail.

use super::client::SoakClient;
use super::stats::{Latencies, LatencySummary};
use super::{Config, ServerFlags, peak_rss, server_spec};
use crate::process::Server;
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const USER: &str = "soak@soak.test";
const PASSWORD: &str = "Right-Password-1";
/// Between two requests of the real client.
const REAL_CLIENT_EVERY: Duration = Duration::from_millis(20);

#[derive(Clone, Debug, Default, Serialize)]
pub struct LoginCounts {
    pub attempts: u64,
    /// Refused as a wrong login (SOAP fault INVALID_LOGIN, OAuth `invalid_grant`).
    pub refused: u64,
    /// Refused as too busy (503): the server's bound on concurrent password checks.
    pub busy: u64,
    /// Any other answer, or none (a connection error, a timeout).
    pub other: u64,
    /// Wrong logins that were accepted: must be 0.
    pub accepted: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoginsReport {
    pub flooders: usize,
    pub seconds: f64,
    pub logins: LoginCounts,
    pub logins_per_second: f64,
    /// `VmHWM` of the server before the flood and at its end.
    pub rss_before_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    pub real_client: RealClient,
    pub ok: bool,
}

/// What a well-behaved client saw while the server was under attack.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RealClient {
    pub succeeded: u64,
    pub failed: u64,
    pub latency: LatencySummary,
    pub first_failure: Option<String>,
}

pub fn run(config: &Config, flags: &ServerFlags, dir: &Path) -> anyhow::Result<LoginsReport> {
    let spec = server_spec(config, flags, dir, Vec::new())?;
    let server = Server::start(&spec)?;
    SoakClient::new(&server.url)?.ping()?;
    let (client_id, client_secret) = create_user_and_app(config, &spec.data_dir)?;
    let rss_before_bytes = peak_rss(server.pid());
    let counters: [AtomicU64; 5] = Default::default();
    let seconds = Duration::from_secs_f64(config.login_seconds);
    let started = Instant::now();
    let deadline = started + seconds;
    let real_client = std::thread::scope(|scope| {
        for flooder in 0..config.login_flooders {
            let (url, counters) = (&server.url, &counters);
            let (client_id, client_secret) = (&client_id, &client_secret);
            scope.spawn(move || flood(url, flooder, deadline, counters, client_id, client_secret));
        }
        real_client(&server.url, deadline)
    });
    let elapsed = started.elapsed().as_secs_f64();
    let peak_rss_bytes = peak_rss(server.pid());
    server.stop()?;
    let [attempts, refused, busy, other, accepted] = counters.map(AtomicU64::into_inner);
    let logins = LoginCounts {
        attempts,
        refused,
        busy,
        other,
        accepted,
    };
    Ok(LoginsReport {
        flooders: config.login_flooders,
        seconds: elapsed,
        logins_per_second: attempts as f64 / elapsed.max(1e-9),
        ok: accepted == 0 && real_client.failed == 0 && real_client.succeeded > 0,
        logins,
        rss_before_bytes,
        peak_rss_bytes,
        real_client,
    })
}

/// A user with a password in the default org, and a connected app for the password grant, made with
/// `bulkforce admin` beside the running server.
fn create_user_and_app(config: &Config, data_dir: &Path) -> anyhow::Result<(String, String)> {
    let orgs = admin(config, data_dir, &["list"])?;
    let org = orgs[0]["id"]
        .as_str()
        .or_else(|| orgs[0]["orgId"].as_str())
        .with_context(|| format!("no org in `admin list`: {orgs}"))?
        .to_owned();
    admin(
        config,
        data_dir,
        &[
            "create-user",
            "--org",
            &org,
            "--username",
            USER,
            "--password",
            PASSWORD,
        ],
    )?;
    let app = admin(
        config,
        data_dir,
        &["create-app", "--org", &org, "--name", "soak"],
    )?;
    let field = |name: &str| {
        app[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {name} in `admin create-app`: {app}"))
    };
    Ok((field("clientId")?, field("clientSecret")?))
}

fn admin(config: &Config, data_dir: &Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = std::process::Command::new(&config.server)
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .args(args)
        .output()
        .context("running bulkforce admin")?;
    if !out.status.success() {
        bail!(
            "bulkforce admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("`bulkforce admin --json` printed no JSON")
}

/// One flooding thread: wrong logins until the deadline, alternating SOAP and OAuth, unknown and real users.
fn flood(
    url: &str,
    flooder: usize,
    deadline: Instant,
    [attempts, refused, busy, other, accepted]: &[AtomicU64; 5],
    client_id: &str,
    client_secret: &str,
) {
    let Ok(client) = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    else {
        other.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let mut attempt = 0usize;
    while Instant::now() < deadline {
        attempt += 1;
        let user = if (flooder + attempt).is_multiple_of(2) {
            USER.to_owned()
        } else {
            format!("nobody{flooder}-{attempt}@flood.test")
        };
        let wrong = format!("wrong-{attempt}");
        let answer = if attempt.is_multiple_of(2) {
            client
                .post(format!("{url}/services/Soap/u/62.0"))
                .header("Content-Type", "text/xml; charset=UTF-8")
                .header("SOAPAction", "login")
                .body(soap_envelope(&user, &wrong))
                .send()
        } else {
            client
                .post(format!("{url}/services/oauth2/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", client_id),
                    ("client_secret", client_secret),
                    ("username", &user),
                    ("password", &wrong),
                ])
                .send()
        };
        attempts.fetch_add(1, Ordering::Relaxed);
        let counter = match answer.map(|r| r.status().as_u16()) {
            Ok(200) => accepted,
            Ok(400 | 401 | 500) => refused,
            Ok(503) => busy,
            _ => other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn soap_envelope(username: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
    )
}

/// The real client: authenticated requests one after another until the deadline.
pub(crate) fn real_client(url: &str, deadline: Instant) -> RealClient {
    real_client_with(url, deadline, Duration::from_secs(30), false)
}

/// `fresh_connections`: a new connection for every request (a client arriving, not one already connected).
pub(crate) fn real_client_with(
    url: &str,
    deadline: Instant,
    timeout: Duration,
    fresh_connections: bool,
) -> RealClient {
    let mut seen = RealClient::default();
    let mut latencies = Latencies::default();
    let mut client = SoakClient::with_timeout(url, timeout);
    while Instant::now() < deadline {
        if fresh_connections {
            client = SoakClient::with_timeout(url, timeout);
        }
        let asked = Instant::now();
        match client
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .and_then(SoakClient::ping)
        {
            Ok(()) => {
                latencies.record(asked.elapsed());
                seen.succeeded += 1;
            }
            Err(e) => {
                seen.failed += 1;
                seen.first_failure.get_or_insert_with(|| format!("{e:#}"));
            }
        }
        std::thread::sleep(REAL_CLIENT_EVERY);
    }
    seen.latency = latencies.summary();
    seen
}
