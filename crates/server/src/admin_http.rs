//! The admin HTTP listener, off the gRPC port: `/metrics` in the Prometheus text format,
//! `/healthz` (the process answers) and `/readyz` (the store answers, the catalog has loaded at
//! least once, and the server is not draining). Plain hyper: it is three fixed routes.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use http_body_util::Full;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::metrics::{Metrics, Sources};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// What the admin routes read.
#[derive(Debug)]
pub(crate) struct Admin {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) sources: Sources,
    /// Fires when the server starts draining: `/readyz` then answers 503.
    pub(crate) draining: CancellationToken,
}

/// The longest wait between accept retries after accept fails (out of file descriptors, say):
/// the wait doubles from [`ACCEPT_BACKOFF_MIN`] up to this.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);

/// Serves the admin routes on `listener` until the task is aborted (at the end of `run`, so
/// `/readyz` keeps answering 503 while the gRPC server drains).
///
/// The listener is unauthenticated, so a client must not be able to starve the scrapes and
/// probes: a connection that sends no complete request headers within
/// `admin.header_read_timeout_millis` (also between requests on a kept-alive connection) is
/// closed; past `admin.max_connections` open connections a new one is closed at once rather than
/// queued; and a failing accept is retried after a growing pause, not in a tight loop.
pub(crate) async fn serve(listener: TcpListener, admin: Arc<Admin>, settings: AdminSettings) {
    let open = Arc::new(Semaphore::new(settings.max_connections));
    let header_read_timeout = Duration::from_millis(settings.header_read_timeout_millis);
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                stream
            }
            Err(error) => {
                tracing::warn!(%error, ?backoff, "admin listener: accept failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&open).try_acquire_owned() else {
            tracing::debug!("admin listener: connection cap reached; closing a new connection");
            continue;
        };
        let admin = Arc::clone(&admin);
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |request| {
                let admin = Arc::clone(&admin);
                async move { Ok::<_, Infallible>(admin.answer(&request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Admin {
    async fn answer<B>(&self, request: &http::Request<B>) -> Response<Full<Bytes>> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".to_owned());
        }
        match request.uri().path() {
            "/metrics" => {
                let body = self.metrics.render(&self.sources).await;
                let mut response = text(StatusCode::OK, body);
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                response
            }
            "/healthz" => text(StatusCode::OK, "ok\n".to_owned()),
            "/readyz" => match self.not_ready().await {
                None => text(StatusCode::OK, "ready\n".to_owned()),
                Some(why) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("not ready: {why}\n"),
                ),
            },
            _ => text(StatusCode::NOT_FOUND, "not found\n".to_owned()),
        }
    }

    /// Why the server should not get traffic now, if it should not.
    async fn not_ready(&self) -> Option<&'static str> {
        if self.draining.is_cancelled() {
            return Some("draining");
        }
        if self.sources.catalog.products_age().await.is_none() {
            return Some("the catalog has not loaded yet");
        }
        if self.sources.store.ping().await.is_err() {
            return Some("the store does not answer");
        }
        None
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

/// The admin HTTP listener: `/metrics` (Prometheus), `/healthz` and `/readyz`. Unauthenticated,
/// so it belongs on loopback or a network only the orchestrator and Prometheus reach.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Address of the admin listener, off the gRPC port; empty turns it and metrics off.
    pub listen: String,
    /// Open admin connections at most; past it a new connection is closed at once.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers (and to start the next
    /// one, kept alive) before it is closed.
    pub header_read_timeout_millis: u64,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".to_owned(),
            // Prometheus, the orchestrator's probes and an operator need a handful; a client
            // holding hundreds open without a word must not leave them none.
            max_connections: 1_024,
            header_read_timeout_millis: 5_000,
        }
    }
}

impl AdminSettings {
    pub fn validate(&self) -> Result<(), crate::settings::ConfigError> {
        self.addr()?;
        crate::settings::positive("admin.max_connections", self.max_connections as u64)?;
        crate::settings::positive(
            "admin.header_read_timeout_millis",
            self.header_read_timeout_millis,
        )?;
        Ok(())
    }

    /// The parsed `admin.listen` address; `None` when the admin listener is off.
    pub fn addr(&self) -> Result<Option<std::net::SocketAddr>, crate::settings::ConfigError> {
        if self.listen.is_empty() {
            return Ok(None);
        }
        self.listen
            .parse()
            .map(Some)
            .map_err(|_| crate::settings::ConfigError::Invalid {
                key: "admin.listen",
                problem: format!("`{}` is not an ip:port address", self.listen),
            })
    }
}
