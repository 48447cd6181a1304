//! The admin HTTP listener, off the gRPC port: `/metrics` in the Prometheus text format,
//! `/healthz` (the process answers) and `/readyz` (the store answers, the catalog has loaded at
//! least once, and the server is not draining). Plain hyper: it is three fixed routes.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

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

/// Serves the admin routes on `listener` until the task is aborted (at the end of `run`, so
/// `/readyz` keeps answering 503 while the gRPC server drains).
pub(crate) async fn serve(listener: TcpListener, admin: Arc<Admin>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "admin listener: accept failed");
                continue;
            }
        };
        let admin = Arc::clone(&admin);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let admin = Arc::clone(&admin);
                async move { Ok::<_, Infallible>(admin.answer(&request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
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
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".to_owned(),
        }
    }
}

impl AdminSettings {
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
