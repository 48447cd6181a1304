//! The gRPC server's metrics, as a tower layer outside authentication (so refused calls count
//! too): calls by service, method and code, unary latency, unary calls in flight, open streams.
//!
//! A call's code is in its `grpc-status`: in the response headers for a trailers-only answer
//! (every unary error), else in the trailers at the end of the body, so the body is wrapped and
//! the call is finished when its trailers pass, or when the body is dropped without them (the
//! client went away: CANCELLED).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use prometheus::{Histogram, IntCounter, IntGauge};
use prost::Message;
use tokio::time::Instant;
use tonic::body::Body;

use super::registry::Metrics;

/// The gRPC status codes, 0 (OK) to 16 (UNAUTHENTICATED).
const CODES: usize = 17;

/// One method's series, resolved from the label vectors on first use and kept, so a call does
/// no label hashing or formatting: a read on a warm cache costs little beyond the answer.
struct MethodMetrics {
    service: String,
    method: String,
    streaming: bool,
    requests: [OnceLock<IntCounter>; CODES],
    duration: OnceLock<Histogram>,
    streams_open: OnceLock<IntGauge>,
}

impl MethodMetrics {
    fn new(service: &str, method: &str, streaming: bool) -> Self {
        Self {
            service: service.to_owned(),
            method: method.to_owned(),
            streaming,
            requests: Default::default(),
            duration: OnceLock::new(),
            streams_open: OnceLock::new(),
        }
    }

    fn requests(&self, metrics: &Metrics, code: tonic::Code) -> &IntCounter {
        let code_index = code as usize;
        self.requests[code_index].get_or_init(|| {
            metrics.grpc_requests.with_label_values(&[
                self.service.as_str(),
                self.method.as_str(),
                &format!("{code:?}"),
            ])
        })
    }

    fn duration(&self, metrics: &Metrics) -> &Histogram {
        self.duration.get_or_init(|| {
            metrics
                .grpc_duration
                .with_label_values(&[self.service.as_str(), self.method.as_str()])
        })
    }

    fn streams_open(&self, metrics: &Metrics) -> &IntGauge {
        self.streams_open.get_or_init(|| {
            metrics
                .grpc_streams_open
                .with_label_values(&[self.service.as_str(), self.method.as_str()])
        })
    }
}

/// Every method in onramp's and gRPC health's descriptors, by path; anything else counts as
/// `unknown`, so a caller cannot mint label values.
struct Methods {
    by_path: HashMap<String, Arc<MethodMetrics>>,
    unknown: Arc<MethodMetrics>,
}

impl Methods {
    fn load() -> Self {
        let mut by_path = HashMap::new();
        for set in [
            onramp_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in &set.file {
                for service in &file.service {
                    let service_name = format!("{}.{}", file.package(), service.name());
                    for method in &service.method {
                        by_path.insert(
                            format!("/{service_name}/{}", method.name()),
                            Arc::new(MethodMetrics::new(
                                &service_name,
                                method.name(),
                                method.server_streaming(),
                            )),
                        );
                    }
                }
            }
        }
        Self {
            by_path,
            unknown: Arc::new(MethodMetrics::new("unknown", "unknown", false)),
        }
    }

    fn get(&self, path: &str) -> Arc<MethodMetrics> {
        Arc::clone(self.by_path.get(path).unwrap_or(&self.unknown))
    }
}

#[derive(Clone)]
pub(crate) struct GrpcMetricsLayer {
    metrics: Arc<Metrics>,
    methods: Arc<Methods>,
}

impl std::fmt::Debug for GrpcMetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcMetricsLayer")
            .field("methods", &self.methods.by_path.len())
            .finish_non_exhaustive()
    }
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
            if let Some(code) = response.headers().get("grpc-status") {
                call.finish(code_of(code));
                return Ok(response);
            }
            Ok(response.map(|body| {
                Body::new(MeteredBody {
                    inner: body,
                    call: Some(call),
                })
            }))
        })
    }
}

/// The code a `grpc-status` value names; a value that is not a code is UNKNOWN.
fn code_of(value: &http::HeaderValue) -> tonic::Code {
    value
        .to_str()
        .ok()
        .and_then(|text| text.parse::<i32>().ok())
        .map_or(tonic::Code::Unknown, tonic::Code::from_i32)
}

struct Call {
    metrics: Arc<Metrics>,
    method: Arc<MethodMetrics>,
    started: Instant,
}

impl Call {
    fn start(layer: &GrpcMetricsLayer, path: &str) -> Self {
        let method = layer.methods.get(path);
        if method.streaming {
            method.streams_open(&layer.metrics).inc();
        } else {
            layer.metrics.grpc_in_flight.inc();
        }
        Self {
            metrics: Arc::clone(&layer.metrics),
            method,
            started: Instant::now(),
        }
    }

    /// Records the call's end with its code.
    fn finish(self, code: tonic::Code) {
        let metrics = &*self.metrics;
        self.method.requests(metrics, code).inc();
        if self.method.streaming {
            self.method.streams_open(metrics).dec();
        } else {
            metrics.grpc_in_flight.dec();
            self.method
                .duration(metrics)
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
            call.finish(
                trailers
                    .get("grpc-status")
                    .map_or(tonic::Code::Unknown, code_of),
            );
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
            call.finish(tonic::Code::Cancelled);
        }
    }
}
