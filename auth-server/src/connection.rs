//! Accepting and serving HTTP/1.1 connections, with the limits a client meets before any
//! handler runs:
//!
//! - a request head (request line and headers) larger than `http.max_header_bytes` is answered
//!   `431 Request Header Fields Too Large` by hyper, and the connection closed;
//! - a client that has not sent a complete request head `http.header_read_timeout_secs` after
//!   the connection opened, or after the previous response on a kept-alive connection, is
//!   disconnected (a slow "slowloris" client, and the idle keep-alive limit in one).
//!
//! Body size and time limits are per request: [`crate::extract::read_body`].
//!
//! hyper is driven directly because `axum::serve` exposes neither setting (nor a timer for the
//! header timeout). It speaks HTTP/1.1 only, as `axum::serve` did with this workspace's axum
//! features; TLS and HTTP/2 belong to the proxy in front.

use crate::config::HttpLimits;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// How long open connections may finish their requests once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// (up to [`DRAIN`]). Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        // Responses are small: one flattened buffer and one `write` cost less than queueing
        // head and body for `writev` (about 5 % more introspections per second, auth-bench).
        .writev(false);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    wait_after_accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts, oversized heads and clients that went away: theirs, not ours.
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = DRAIN.as_secs(),
            "connections still open after shutdown began were dropped"
        );
    }
    Ok(())
}

/// After a failed `accept`: a connection that died in the backlog is skipped at once; anything
/// else (such as running out of file descriptors) is logged and waited out briefly rather than
/// retried in a busy loop.
async fn wait_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(200)).await;
}
