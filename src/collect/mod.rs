//! `alertnoise collect`: the receiver to put in Alertmanager's
//! `webhook_configs`, archiving every notification so that history exists.
//!
//! Each body is appended with the time it was received as one line
//! `{"received_at": "…", "body": {…}}` (the archiver lines the
//! `alertmanager-webhook` format reads) to a file per UTC day
//! ([`archive`]); the sender gets 200 only after the line is written (and,
//! with `--fsync always`, on disk), so Alertmanager's retries (it retries
//! 5xx and connection errors) cover every failure. A body over
//! `--max-body` gets 413 and one that is not JSON 400, and neither is
//! written; JSON that is not a version 4 body (a custom `payload` template)
//! is kept as it came. `/healthz` answers 200; `/metrics` is the
//! collector's own Prometheus metrics. SIGTERM or SIGINT stops it after the
//! requests in flight are answered.

pub mod archive;

use crate::fetch::http_config::Secret;
use archive::{Archive, Fsync, Written};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the collector runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The archive's directory.
    pub dir: PathBuf,
    /// When lines reach the disk.
    pub fsync: Fsync,
    /// The largest body accepted, in bytes.
    pub max_body: usize,
    /// The bearer token senders must give, if any.
    pub token: Option<Secret>,
    /// How long a sender may take to send its body.
    pub body_timeout: Duration,
}

/// Why a body was refused, as the metrics label it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// The collector's own metrics.
struct Metrics {
    registry: Registry,
    received: Counter,
    rejected: Family<Reason, Counter>,
    bytes: Counter,
    fsync: Histogram,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("alertnoise_collect");
        let received = Counter::default();
        let rejected = Family::<Reason, Counter>::default();
        let bytes = Counter::default();
        let fsync = Histogram::new(exponential_buckets(0.0001, 4.0, 10));
        registry.register("bodies_received", "Bodies archived", received.clone());
        registry.register(
            "bodies_rejected",
            "Bodies refused, by reason",
            rejected.clone(),
        );
        registry.register(
            "bytes_written",
            "Bytes appended to the archive",
            bytes.clone(),
        );
        registry.register("fsync_seconds", "How long each fsync took", fsync.clone());
        Metrics {
            registry,
            received,
            rejected,
            bytes,
            fsync,
        }
    }

    fn reject(&self, reason: &'static str) {
        self.rejected.get_or_create(&Reason { reason }).inc();
    }

    fn written(&self, written: Written) {
        self.bytes.inc_by(written.bytes);
        if let Some(took) = written.fsync {
            self.fsync.observe(took.as_secs_f64());
        }
    }
}

/// What every handler shares.
struct Shared {
    archive: Archive,
    metrics: Arc<Metrics>,
    settings: Settings,
}

/// Runs the collector until SIGTERM or SIGINT.
pub fn run(settings: Settings) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(settings))
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

async fn serve(settings: Settings) -> std::io::Result<()> {
    let metrics = Arc::new(Metrics::new());
    let writer_metrics = metrics.clone();
    let (archive, writer) = Archive::open(&settings.dir, settings.fsync, &today(), move |w| {
        writer_metrics.written(w)
    })?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let address = listener.local_addr()?;
    if !address.ip().is_loopback() && settings.token.is_none() {
        eprintln!(
            "warning: listening on {address}, beyond this machine, without a token (--token-file)"
        );
    }
    eprintln!(
        "alertnoise collect: listening on http://{address}/, archiving to {} (fsync {:?})",
        settings.dir.display(),
        settings.fsync
    );
    let shared = Arc::new(Shared {
        archive,
        metrics,
        settings,
    });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics_page))
        .fallback(receive)
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await?;
    // The router (and with it every handle on the archive) is gone: the
    // writer finishes what was sent and stops.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    eprintln!("alertnoise collect: stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
async fn stopped() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

async fn metrics_page(State(shared): State<Arc<Shared>>) -> Response {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &shared.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("{why}\n")).into_response()
}

/// Any other path: a POSTed notification.
async fn receive(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let metrics = &shared.metrics;
    if method != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "POST a webhook body");
    }
    if let Some(token) = &shared.settings.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.expose()) {
            metrics.reject("unauthorized");
            return refuse(StatusCode::UNAUTHORIZED, "a bearer token is needed");
        }
    }
    let limit = shared.settings.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        metrics.reject("too_large");
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than --max-body",
        );
    }
    let read = tokio::time::timeout(
        shared.settings.body_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if e.to_string().contains("length limit") => {
            metrics.reject("too_large");
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than --max-body",
            );
        }
        Ok(Err(_)) => {
            metrics.reject("broken");
            return refuse(StatusCode::BAD_REQUEST, "the body could not be read");
        }
        Err(_) => {
            metrics.reject("timeout");
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the body took too long to arrive",
            );
        }
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        metrics.reject("not_json");
        return refuse(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let now = chrono::Utc::now();
    let line = serde_json::json!({
        "received_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "body": body,
    });
    let Ok(line) = serde_json::to_vec(&line) else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode the line");
    };
    let day = now.format("%Y-%m-%d").to_string();
    match shared.archive.append(day, line).await {
        Ok(()) => {
            metrics.received.inc();
            "ok\n".into_response()
        }
        Err(why) => {
            eprintln!("error: archiving a body: {why}");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the body could not be archived",
            )
        }
    }
}
