//! The slowloris phase: many connections that hold the server without finishing a request (a request line and
//! headers sent a byte a second, never ended; connections that send nothing; keep-alive connections left idle
//! after one request), while a real client keeps arriving with fresh connections. Figures: the real client's
//! successes, failures and latency, and how many of the slow connections the server closed.
//!
//! All sockets are to the server's loopback address; the phase ends at its deadline and closes them all.

use super::logins::{RealClient, real_client_with};
use super::{Config, ServerFlags, server_spec};
use crate::process::Server;
use anyhow::{Context, bail};
use serde::Serialize;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// How often the slow connections are looked after (one byte each, a second apart, staggered).
const TICK: Duration = Duration::from_millis(100);
const BYTE_EVERY: Duration = Duration::from_secs(1);
/// The real client's deadline per request: it must be served, if late.
const REAL_CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// A request line and headers that never end.
const SLOW_REQUEST: &[u8] =
    b"GET /services/data/v62.0/limits HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
const ONE_REQUEST: &[u8] = b"GET /services/data HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Style {
    /// Sends its request a byte a second and never finishes.
    Slow,
    /// Connects and sends nothing.
    Silent,
    /// One whole request, its answer read, then nothing more on a kept-alive connection.
    IdleKeepAlive,
}

#[derive(Clone, Debug, Serialize)]
pub struct SlowlorisReport {
    pub connections: usize,
    pub opened: u64,
    /// Connections the soak could not open (refused, or not accepted in time).
    pub not_opened: u64,
    /// Of those opened, how many the server closed before the end.
    pub closed_by_server: u64,
    pub still_open: u64,
    pub seconds: f64,
    /// The server's `--header-timeout-seconds`, when it has one.
    pub header_timeout_seconds: Option<u64>,
    pub real_client: RealClient,
    /// The server answered a request after every slow connection was gone.
    pub answers_after: bool,
    pub ok: bool,
}

struct Conn {
    stream: TcpStream,
    style: Style,
    sent: usize,
    next_byte: Instant,
    closed: bool,
}

pub fn run(config: &Config, flags: &ServerFlags, dir: &Path) -> anyhow::Result<SlowlorisReport> {
    let header_timeout = flags
        .has("--header-timeout-seconds")
        .then_some(config.header_timeout_seconds);
    let extra = header_timeout
        .map(|s| vec!["--header-timeout-seconds".to_owned(), s.to_string()])
        .unwrap_or_default();
    let server = Server::start(&server_spec(config, flags, dir, extra)?)?;
    let address = loopback_address(&server.url)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(config.slow_seconds);
    let (mut conns, not_opened) = open_all(address, config.slow_connections, deadline);
    let opened = conns.len() as u64;
    let real_client = std::thread::scope(|scope| {
        let real =
            scope.spawn(|| real_client_with(&server.url, deadline, REAL_CLIENT_TIMEOUT, true));
        while Instant::now() < deadline {
            tend(&mut conns);
            std::thread::sleep(TICK);
        }
        tend(&mut conns);
        real.join().unwrap_or_default()
    });
    let closed_by_server = conns.iter().filter(|c| c.closed).count() as u64;
    drop(conns);
    let seconds = started.elapsed().as_secs_f64();
    let answers_after = super::client::SoakClient::new(&server.url)?.ping().is_ok();
    server.stop()?;
    Ok(SlowlorisReport {
        connections: config.slow_connections,
        opened,
        not_opened,
        closed_by_server,
        still_open: opened - closed_by_server,
        seconds,
        header_timeout_seconds: header_timeout,
        ok: real_client.failed == 0 && real_client.succeeded > 0 && answers_after,
        real_client,
        answers_after,
    })
}

/// The server's address from its URL; anything but loopback is refused (the soak attacks only itself).
fn loopback_address(url: &str) -> anyhow::Result<SocketAddr> {
    let host_port = url
        .strip_prefix("http://")
        .with_context(|| format!("not a plain http URL: {url}"))?
        .trim_end_matches('/');
    let address: SocketAddr = host_port
        .parse()
        .with_context(|| format!("not an address: {host_port}"))?;
    if !address.ip().is_loopback() {
        bail!("the soak only connects to loopback, not {address}");
    }
    Ok(address)
}

/// Opens `count` connections (seven in ten slow, one silent, two idle keep-alive), until `deadline` at the
/// latest; answers them and how many could not be opened.
fn open_all(address: SocketAddr, count: usize, deadline: Instant) -> (Vec<Conn>, u64) {
    let mut conns = Vec::with_capacity(count);
    let mut failed = 0;
    for i in 0..count {
        if Instant::now() >= deadline {
            failed += (count - i) as u64;
            break;
        }
        let style = match i % 10 {
            7 => Style::Silent,
            8 | 9 => Style::IdleKeepAlive,
            _ => Style::Slow,
        };
        match open(address, style, i) {
            Ok(conn) => conns.push(conn),
            Err(_) => failed += 1,
        }
    }
    (conns, failed)
}

fn open(address: SocketAddr, style: Style, i: usize) -> std::io::Result<Conn> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut sent = 0;
    match style {
        Style::Slow => {
            stream.write_all(&SLOW_REQUEST[..3])?;
            sent = 3;
        }
        Style::IdleKeepAlive => stream.write_all(ONE_REQUEST)?,
        Style::Silent => {}
    }
    stream.set_nonblocking(true)?;
    Ok(Conn {
        stream,
        style,
        sent,
        // Staggered, so that the bytes of a thousand connections do not all leave in the same tick.
        next_byte: Instant::now() + BYTE_EVERY.mul_f64((i % 10) as f64 / 10.0),
        closed: false,
    })
}

/// Notes which connections the server closed, and sends each slow one its next byte when due.
fn tend(conns: &mut [Conn]) {
    let now = Instant::now();
    let mut sink = [0u8; 4096];
    for conn in conns.iter_mut().filter(|c| !c.closed) {
        // Whatever the server sent (an answer, a 408) is read and dropped; end of stream means closed.
        loop {
            match conn.stream.read(&mut sink) {
                Ok(0) => {
                    conn.closed = true;
                    break;
                }
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    conn.closed = true;
                    break;
                }
            }
        }
        if conn.closed || conn.style != Style::Slow || now < conn.next_byte {
            continue;
        }
        let byte = SLOW_REQUEST.get(conn.sent).copied().unwrap_or(b'a');
        match conn.stream.write(&[byte]) {
            Ok(_) => conn.sent += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => conn.closed = true,
        }
        conn.next_byte = now + BYTE_EVERY;
    }
}
