//! Logs, request ids and metrics.
//!
//! Logs carry the request id, method, route and status, never headers, bodies or query
//! strings: those hold codes, tokens and secrets.

use crate::config::LogConfig;
use crate::config::log::Format;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;
use tracing_subscriber::EnvFilter;

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the log subscriber.
pub fn init_tracing(config: &LogConfig) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.filter)
        .map_err(|e| anyhow::anyhow!("log.filter `{}` is invalid: {e}", config.filter))?;
    // Logs go to stderr: stdout carries command output (JSON for scripts).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let result = if config.format == Format::Json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    result.map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed by an embedding program; then this
            // handle renders an empty registry rather than failing the server.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Records `http_requests_total` (by method, route and status) and
/// `http_request_duration_seconds` (by route).
pub async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (requests, duration) = route_metrics(route, method, response.status().as_u16());
    requests.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    response
}

/// The metrics of one route: its duration histogram, and a request counter per method and
/// status seen.
struct RouteMetrics {
    duration: Histogram,
    requests: Vec<(&'static str, u16, Counter)>,
}

/// The method as a label: the standard ones by name, any other as `other`, so a client
/// cannot add series.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    STANDARD
        .into_iter()
        .find(|name| *name == method.as_str())
        .unwrap_or("other")
}

/// The handles of a route's metrics, registered on first use and then reused: looking a
/// metric up by its labels costs allocations and hashing on every request.
fn route_metrics(route: &str, method: &'static str, status: u16) -> (Counter, Histogram) {
    static ROUTES: OnceLock<RwLock<HashMap<Box<str>, RouteMetrics>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(RwLock::default);
    let find = |metrics: &RouteMetrics| {
        metrics
            .requests
            .iter()
            .find(|(m, s, _)| *m == method && *s == status)
            .map(|(_, _, counter)| (counter.clone(), metrics.duration.clone()))
    };
    if let Some(found) = routes
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(route)
        .and_then(find)
    {
        return found;
    }
    let mut routes = routes
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let metrics = routes.entry(route.into()).or_insert_with(|| RouteMetrics {
        duration: metrics::histogram!("http_request_duration_seconds", "route" => route.to_owned()),
        requests: Vec::new(),
    });
    if let Some(found) = find(metrics) {
        return found;
    }
    let counter = metrics::counter!(
        "http_requests_total",
        "method" => method,
        "route" => route.to_owned(),
        "status" => status.to_string()
    );
    metrics.requests.push((method, status, counter.clone()));
    (counter, metrics.duration.clone())
}

/// The span of one request: id, method and route only.
pub fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(request.uri().path(), |p| p.as_str());
    tracing::info_span!("request", id = %request_id, method = %request.method(), route = %route)
}
