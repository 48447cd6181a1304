//! The gRPC server's metrics, as a tower layer outside authentication (so refused calls count
//! too): calls by service, method and code, unary latency, unary calls in flight, open streams.
//!
//! A call's code is in its `grpc-status`: in the response headers for a trailers-only answer
//! (every unary error), else in the trailers at the end of the body, so the body is wrapped and
//! the call is finished when its trailers pass, or when the body is dropped without them (the
//! client went away: CANCELLED).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use prost::Message;
use tokio::time::Instant;
use tonic::body::Body;

use super::Metrics;

/// Method paths (`/package.Service/Method`) onramp serves, and which of them stream.
#[derive(Debug, Default)]
struct Methods {
    known: HashSet<String>,
    streaming: HashSet<String>,
}

impl Methods {
    /// From the descriptor sets the server registers: onramp's and gRPC health's.
    fn load() -> Self {
        let mut methods = Self::default();
        for set in [
            onramp_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in &set.file {
                for service in &file.service {
                    for method in &service.method {
                        let path =
                            format!("/{}.{}/{}", file.package(), service.name(), method.name());
                        if method.server_streaming() {
                            methods.streaming.insert(path.clone());
                        }
                        methods.known.insert(path);
                    }
                }
            }
        }
        methods
    }
}

/// Adds [`GrpcMetrics`] around a service.
#[derive(Debug, Clone)]
pub(crate) struct GrpcMetricsLayer {
    metrics: Arc<Metrics>,
    methods: Arc<Methods>,
}

impl GrpcMetricsLayer {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            methods: Arc::new(Methods::load()),
        }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GrpcMetrics<S> {
    inner: S,
    layer: GrpcMetricsLayer,
}

impl<S, B> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = Call::start(&self.layer, request.uri().path());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let header_code = response
                .headers()
                .get("grpc-status")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            Ok(match header_code {
                Some(code) => {
                    call.finish(&code);
                    response
                }
                None => response.map(|body| {
                    Body::new(MeteredBody {
                        inner: body,
                        call: Some(call),
                    })
                }),
            })
        })
    }
}

/// One call being measured.
struct Call {
    metrics: Arc<Metrics>,
    service: String,
    method: String,
    streaming: bool,
    started: Instant,
}

impl Call {
    fn start(layer: &GrpcMetricsLayer, path: &str) -> Self {
        // Unknown paths share one label value, so a scanner cannot grow the label set.
        let (service, method) = if layer.methods.known.contains(path) {
            let mut parts = path.trim_start_matches('/').splitn(2, '/');
            (
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
            )
        } else {
            ("unknown".to_owned(), "unknown".to_owned())
        };
        let streaming = layer.methods.streaming.contains(path);
        let metrics = Arc::clone(&layer.metrics);
        if streaming {
            metrics
                .grpc_streams_open
                .with_label_values(&[&service, &method])
                .inc();
        } else {
            metrics.grpc_in_flight.inc();
        }
        Self {
            metrics,
            service,
            method,
            streaming,
            started: Instant::now(),
        }
    }

    /// Records the call's end with its numeric `grpc-status`.
    fn finish(self, code: &str) {
        let code = code
            .parse::<i32>()
            .map(|number| format!("{:?}", tonic::Code::from_i32(number)))
            .unwrap_or_else(|_| "Unknown".to_owned());
        let labels = [self.service.as_str(), self.method.as_str()];
        self.metrics
            .grpc_requests
            .with_label_values(&[labels[0], labels[1], &code])
            .inc();
        if self.streaming {
            self.metrics
                .grpc_streams_open
                .with_label_values(&labels)
                .dec();
        } else {
            self.metrics.grpc_in_flight.dec();
            self.metrics
                .grpc_duration
                .with_label_values(&labels)
                .observe(self.started.elapsed().as_secs_f64());
        }
    }
}

/// A response body that finishes its call when the trailers pass or it is dropped.
struct MeteredBody {
    inner: Body,
    call: Option<Call>,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(trailers) = frame.trailers_ref()
            && let Some(call) = self.call.take()
        {
            let code = trailers
                .get("grpc-status")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("2");
            call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            // Dropped before its trailers: the client cancelled (or the connection went).
            call.finish(&(tonic::Code::Cancelled as i32).to_string());
        }
    }
}
