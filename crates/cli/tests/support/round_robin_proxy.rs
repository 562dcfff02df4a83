//! A load balancer for tests that sends consecutive requests to different instances.
//!
//! Clients keep connections alive, so alternating backends per connection alone would send a client's
//! whole session to one instance. The proxy therefore rewrites each request's head to `Connection: close`:
//! the instance closes the connection after its answer, the client opens a new one for its next request,
//! and every accepted connection goes to the next backend in turn. Nothing else is parsed: the body and
//! the answer are copied as bytes. With TLS, the proxy terminates it (a self-signed certificate for
//! `localhost` and `127.0.0.1`, written where clients can be told to trust it) and speaks plain HTTP to the
//! instances, as a load balancer in front of them would.

use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A request head longer than this is refused (the connection dropped): no client here sends one.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The backends, replaceable once the instances (which need the proxy's URL first) are up.
type Backends = Arc<Mutex<Vec<SocketAddr>>>;
/// Answered requests per backend address.
type Forwarded = Arc<Mutex<HashMap<SocketAddr, usize>>>;

/// A running proxy on 127.0.0.1; stops when dropped.
pub struct RoundRobinProxy {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub url: String,
    /// The certificate (PEM) clients must trust, with TLS.
    pub cert: Option<PathBuf>,
    backends: Backends,
    /// Requests answered so far, per backend (each request on a connection of its own).
    forwarded: Forwarded,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

impl RoundRobinProxy {
    /// Listens on an ephemeral port (HTTPS when `tls`), with no backends yet: see
    /// [`RoundRobinProxy::set_backends`].
    pub fn bind(tls: bool) -> RoundRobinProxy {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (acceptor, cert) = if tls {
            let (acceptor, cert) = self_signed_acceptor(&dir);
            (Some(acceptor), Some(cert))
        } else {
            (None, None)
        };
        let scheme = if tls { "https" } else { "http" };
        let backends = Backends::default();
        let forwarded = Forwarded::default();
        runtime.spawn(accept_loop(
            listener,
            acceptor,
            backends.clone(),
            forwarded.clone(),
        ));
        RoundRobinProxy {
            url: format!("{scheme}://127.0.0.1:{port}"),
            cert,
            backends,
            forwarded,
            runtime: Some(runtime),
            _dir: dir,
        }
    }

    /// The instances to alternate between, in turn.
    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().unwrap() = backends;
    }

    /// Requests answered so far by `backend`.
    pub fn answered_by(&self, backend: SocketAddr) -> usize {
        self.forwarded
            .lock()
            .unwrap()
            .get(&backend)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for RoundRobinProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn self_signed_acceptor(dir: &tempfile::TempDir) -> (TlsAcceptor, PathBuf) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = dir.path().join("proxy-cert.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    let key = PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der());
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(generated.cert.der().to_vec())],
            key.into(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (TlsAcceptor::from(Arc::new(config)), cert)
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    backends: Backends,
    forwarded: Forwarded,
) {
    let mut turn = 0usize;
    while let Ok((stream, _)) = listener.accept().await {
        let backend = {
            let backends = backends.lock().unwrap();
            if backends.is_empty() {
                continue;
            }
            backends[turn % backends.len()]
        };
        turn += 1;
        let tls = tls.clone();
        let forwarded = forwarded.clone();
        tokio::spawn(async move {
            let done = match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => forward(stream, backend).await,
                    Err(_) => false,
                },
                None => forward(stream, backend).await,
            };
            if done {
                *forwarded.lock().unwrap().entry(backend).or_default() += 1;
            }
        });
    }
}

/// Forwards one request on `client` to `backend` and its answer back; true once an answer was copied.
/// Errors just drop the connection, as a load balancer whose client or backend went away.
async fn forward<S>(client: S, backend: SocketAddr) -> bool
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let mut buffer = Vec::with_capacity(8192);
    let head_end = loop {
        if let Some(end) = find_head_end(&buffer) {
            break end;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return false;
        }
        let mut chunk = [0u8; 8192];
        match client_read.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let Ok(upstream) = TcpStream::connect(backend).await else {
        return false;
    };
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let head = closing_head(&buffer[..head_end]);
    if upstream_write.write_all(&head).await.is_err()
        || upstream_write.write_all(&buffer[head_end..]).await.is_err()
    {
        return false;
    }
    // The rest of the body goes up while the answer comes down; the answer's end (the instance closes
    // after it) ends the exchange.
    let upload = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
    });
    let answered = tokio::io::copy(&mut upstream_read, &mut client_write)
        .await
        .is_ok_and(|n| n > 0);
    let _ = client_write.shutdown().await;
    upload.abort();
    answered
}

/// The end of the request head (after its blank line), once the buffer holds it.
fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

/// `head` with its connection headers replaced by `Connection: close`.
fn closing_head(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(head.len() + 24);
    for (i, line) in text.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        let name = line.split(':').next().unwrap_or("").trim();
        let hop_by_hop = ["connection", "keep-alive", "proxy-connection"]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h));
        if i > 0 && hop_by_hop {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}
