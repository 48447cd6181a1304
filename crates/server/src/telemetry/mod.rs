//! Process-wide `tracing` setup: human-readable for terminals, JSON for log shippers, and, when
//! `otlp.endpoint` is set, OpenTelemetry spans exported over OTLP/gRPC.

mod rpc_spans;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub(crate) use rpc_spans::RpcSpanLayer;

use serde::{Deserialize, Serialize};

/// Keeps the span exporter alive; [`Telemetry::shutdown`] sends what is still buffered.
#[derive(Debug, Default)]
#[must_use = "call shutdown() before exit, or buffered spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the span exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("onramp: could not flush spans: {error}");
        }
    }
}

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("config key `otlp.endpoint`: {0}")]
pub struct TelemetryError(String);

/// Installs the global subscriber. `RUST_LOG` wins over the configured level so an operator can
/// turn up one module without editing the config. Calling it twice is harmless (tests do).
/// The level filters log lines only: spans go to the OTLP exporter at `info` whatever the log
/// level, so quiet logs do not mean missing traces. With an OTLP endpoint it must run inside the
/// tokio runtime (the exporter's channel lives there).
pub fn init(
    format: LogFormat,
    level: &str,
    otlp: &OtlpSettings,
) -> Result<Telemetry, TelemetryError> {
    let provider = if otlp.endpoint.is_empty() {
        None
    } else {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(&otlp.endpoint)
            .build()
            .map_err(|error| TelemetryError(error.to_string()))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(otlp.service_name.clone())
                    .build(),
            )
            .build();
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        Some(provider)
    };
    let tracer = provider.as_ref().map(|provider| provider.tracer("onramp"));
    let _already_installed = subscriber(format, level, tracer, std::io::stderr).try_init();
    Ok(Telemetry { provider })
}

/// The log lines (to `writer`), and the span exporter when there is a `tracer`.
///
/// Without an exporter the level is a global filter and the registry gets no exporter layer: an
/// `Option` layer's `None` tells the registry it wants every callsite, so every span h2, hyper and
/// tonic open per call and per frame (debug level, dropped by the log filter) was built and
/// entered anyway, a few microseconds a call. Not a per-layer filter either: a
/// `tracing::enabled!` check that a per-layer filter refuses leaves its refusal for the thread's
/// next event (sqlx checks before every query), and that line was lost.
fn subscriber<W>(
    format: LogFormat,
    level: &str,
    tracer: Option<SdkTracer>,
    writer: W,
) -> tracing::Dispatch
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let Some(tracer) = tracer else {
        return tracing_subscriber::registry()
            .with(filter)
            .with(log_lines(format, writer))
            .into();
    };
    // The level filters log lines; the gRPC call's span always passes, so every line inside a
    // call names its trace id whatever the level.
    let logs =
        log_lines(format, writer).with_filter(filter.or(tracing_subscriber::filter::filter_fn(
            |metadata| metadata.is_span() && metadata.target() == rpc_spans::TARGET,
        )));
    tracing_subscriber::registry()
        .with(logs)
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        )
        .into()
}

/// The human or JSON log layer, writing to `writer`.
fn log_lines<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    match format {
        LogFormat::Human => tracing_subscriber::fmt::layer().with_writer(writer).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(writer)
            .boxed(),
    }
}

/// OpenTelemetry traces: one span per gRPC call (a child of the caller's W3C trace context)
/// and per Megaport request, exported over OTLP/gRPC. Off unless an endpoint is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpSettings {
    /// OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`; empty turns tracing off.
    pub endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            service_name: "onramp".to_owned(),
        }
    }
}

/// Output format of the process logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn without_an_exporter_nothing_below_the_log_level_is_built_and_every_line_is_logged() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&written);
        let dispatch = subscriber(LogFormat::Json, "info", None, move || {
            Sink(Arc::clone(&sink))
        });
        tracing::dispatcher::with_default(&dispatch, || {
            let framing = tracing::debug_span!(target: "h2::proto::connection", "poll");
            assert!(framing.is_disabled(), "a debug span of h2 was built");
            let call = tracing::info_span!(target: rpc_spans::TARGET, "grpc call");
            assert!(
                !call.is_disabled(),
                "the call span always passes the log filter"
            );
            // As sqlx asks before each query; the refusal must not cost the next line.
            assert!(!tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG));
            tracing::info!("this replica leads");
            tracing::debug!("below the level");
        });
        let written = String::from_utf8(written.lock().expect("lock").clone()).expect("utf-8");
        assert!(written.contains("this replica leads"), "{written}");
        assert!(!written.contains("below the level"), "{written}");
    }

    /// A log writer the test reads back.
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
