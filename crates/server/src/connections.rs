//! Accepting connections, plain or TLS, with a cap and timeouts, so idle or half-sent connections can
//! neither exhaust the process's file descriptors nor hold a slot forever (slowloris).
//!
//! - At most `max_connections` are served at once. The next one is accepted only when a slot frees: until
//!   then it waits in the kernel's listen backlog (its client sees a slow connect, never a refusal), and it
//!   uses no descriptor of ours.
//! - A connection must send its first byte, and each request head in full, within `header_timeout`; for
//!   HTTP/1 the head timer (hyper's `header_read_timeout`) also runs while a keep-alive connection waits
//!   for its next request, so it bounds idle keep-alive connections too. A TLS handshake must finish within
//!   it as well.
//! - A connection on which no byte moves either way for `idle_timeout` is closed: a stalled upload body, a
//!   response nobody reads. Time the server spends in the store working out an answer (a long synchronous
//!   query before its first byte) is not quiet time ([`server_busy`]): the clock starts again after it. Small bodies (job control, logins) must arrive in full within 30 s
//!   (`wire::read_small_body`), so trickling one byte now and then holds nothing for long.
//! - HTTP/1.1 only (TLS offers no `h2`): see [`serve`].
//! - A graceful stop ([`crate::Running::shutdown`]) closes the listener, then lets every connection finish
//!   the request it is serving (idle keep-alive connections close at once) through hyper's
//!   [`GracefulShutdown`], within the stop's grace period, before the instance releases its claims.
//! - A response carrying [`Hangup`] is never sent: the connection is closed instead (fault injection's
//!   `disconnect`), so the client sees the connection drop with no answer, as when a proxy or the network
//!   cuts it.

use crate::config::ConnectionLimits;
use axum::Router;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::util::MapFuture;

/// Marks a response that must not be sent: the connection that would carry it is closed instead.
#[derive(Debug, Clone, Copy)]
pub struct Hangup;

/// The answer that is no answer: its connection is closed before anything is written. Metrics and the request
/// log record it with nginx's 444 ("connection closed without response").
pub fn hang_up() -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() =
        axum::http::StatusCode::from_u16(444).expect("444 is a valid status code");
    response.extensions_mut().insert(Hangup);
    response
}

/// Serves `router` on `listener` until the task is dropped; `tls` makes it HTTPS. Every connection is
/// watched by `graceful`, so that a stop can let the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    graceful: Arc<GracefulShutdown>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // HTTP/1.1 only, as every Bulk API client speaks it: HTTP/2 would let a client keep a connection alive
    // with PINGs and no request (bytes move, so the idle timeout never fires), sniffing its preface has no
    // timer, and 200 streams per connection would let one connection run 200 uploads past the cap.
    let mut http = auto::Builder::new(TokioExecutor::new()).http1_only();
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let http = Arc::new(http);
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed");
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of descriptors or a connection reset before it was accepted: try again shortly.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            tcp,
            router: router.clone(),
            tls: tls.clone(),
            http: http.clone(),
            limits,
            watcher: graceful.watcher(),
            _slot: permit,
        };
        tokio::spawn(connection.run());
    }
}

/// One accepted connection and the slot it holds until it ends.
struct Connection {
    tcp: TcpStream,
    router: Router,
    tls: Option<TlsAcceptor>,
    http: Arc<auto::Builder<TokioExecutor>>,
    limits: ConnectionLimits,
    /// Tells the connection when the server stops: it finishes its request in flight and closes.
    watcher: Watcher,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    /// Serves the connection until it ends or its watchdog fires (dropping it closes the socket).
    async fn run(self) {
        let activity = Arc::new(Activity::new());
        let io = Watched {
            inner: self.tcp,
            activity: activity.clone(),
        };
        let hangup = Arc::new(Notify::new());
        let service =
            TowerToHyperService::new(hanging_up(self.router, hangup.clone(), activity.clone()));
        let limits = self.limits;
        let (http, watcher) = (self.http, self.watcher);
        let served = async move {
            let result = match self.tls {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(io), service))
                        .await
                }
                Some(tls) => {
                    let stream = tokio::time::timeout(limits.header_timeout, tls.accept(io))
                        .await
                        .map_err(|_| "TLS handshake timed out")??;
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        };
        tokio::select! {
            result = served => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection failed");
                }
            }
            () = activity.watchdog(limits) => {
                tracing::debug!("closing a connection that stalled");
            }
            () = hangup.notified() => {
                tracing::debug!("closing a connection without an answer (fault injection)");
            }
        }
    }
}

/// The router, except that a [`Hangup`] response is held back (its future never resolves) and `hangup` is
/// told, so that the connection is dropped with nothing written. While a handler works out its answer the
/// handler's store work counts as busy, not idle ([`server_busy`]).
fn hanging_up(
    router: Router,
    hangup: Arc<Notify>,
    activity: Arc<Activity>,
) -> MapFuture<Router, impl FnMut(RouteFuture<Infallible>) -> HangingUp + Clone> {
    MapFuture::new(
        router,
        move |answer: RouteFuture<Infallible>| -> HangingUp {
            let hangup = hangup.clone();
            Box::pin(WORKING_FOR.scope(activity.clone(), async move {
                let response = answer.await?;
                if response.extensions().get::<Hangup>().is_some() {
                    hangup.notify_one();
                    std::future::pending::<()>().await;
                }
                Ok(response)
            }))
        },
    )
}

tokio::task_local! {
    /// The activity of the connection whose request the current task is answering.
    static WORKING_FOR: Arc<Activity>;
}

/// Marks the connection whose request is being answered as busy until the guard drops: the server is
/// working (a store call), so the connection is not idle however long that takes. `None` outside a
/// connection's request (workers, tests calling handlers directly).
pub(crate) fn server_busy() -> Option<Busy> {
    WORKING_FOR
        .try_with(|activity| Busy::start(activity.clone()))
        .ok()
}

/// The future of [`hanging_up`]'s answers.
type HangingUp = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// When bytes last moved on a connection.
pub(crate) struct Activity {
    started: Instant,
    /// Milliseconds since `started` of the last byte read or written.
    last_ms: AtomicU64,
    /// Bytes read so far (only whether it is zero matters).
    read: AtomicU64,
    /// Handlers working out an answer right now: the connection is waiting for the server, not stalled.
    busy: AtomicU64,
}

/// One handler at work on a connection ([`Activity::busy`]); when it ends (answered, or dropped with its
/// request) the quiet time starts afresh.
pub(crate) struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn new() -> Activity {
        Activity {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            read: AtomicU64::new(0),
            busy: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// Resolves when the connection has stalled: no first byte within the header timeout, or no byte
    /// either way within the idle timeout.
    async fn watchdog(&self, limits: ConnectionLimits) {
        loop {
            let limit = if self.read.load(Ordering::Relaxed) == 0 {
                limits.header_timeout
            } else {
                limits.idle_timeout
            };
            if self.busy.load(Ordering::Relaxed) > 0 {
                // The server is working out an answer: not quiet time.
                self.touch();
                tokio::time::sleep(limit).await;
                continue;
            }
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = self.started.elapsed().saturating_sub(last);
            if quiet >= limit {
                return;
            }
            tokio::time::sleep(limit - quiet).await;
        }
    }
}

/// A stream that records its activity.
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.activity.read.fetch_add(read as u64, Ordering::Relaxed);
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
