//! Process-wide `tracing` setup: human-readable for terminals, JSON for log shippers, and, when
//! `otlp.endpoint` is set, OpenTelemetry spans exported over OTLP/gRPC.

mod rpc_spans;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub(crate) use rpc_spans::RpcSpanLayer;

use crate::config::{LogFormat, OtlpSettings};

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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let logs = match format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
    }
    // The level filters log lines; the gRPC call's span always passes, so every line inside a
    // call names its trace id whatever the level.
    .with_filter(filter.or(tracing_subscriber::filter::filter_fn(|metadata| {
        metadata.is_span() && metadata.target() == rpc_spans::TARGET
    })));
    let (provider, spans) = if otlp.endpoint.is_empty() {
        (None, None)
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
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("onramp"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
        (Some(provider), Some(layer))
    };
    let _already_installed = tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .try_init();
    Ok(Telemetry { provider })
}
