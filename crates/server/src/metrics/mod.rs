//! Prometheus metrics, served by the admin listener at `/metrics`.
//!
//! One registry per server (not the process-global one), so several servers in one process
//! (the integration tests) keep their counts apart. Events are counted where they happen (the
//! gRPC layer, Megaport's request observer); state that components already keep (catalog and
//! watcher counters, the watcher's health, orders by state) is read when Prometheus scrapes.
//! Labels are bounded: service and method names from onramp's descriptors, route and outcome
//! enums, configured account names, order states. No key, order or customer identifier is ever a
//! label.

mod grpc;
mod registry;

pub(crate) use grpc::GrpcMetricsLayer;
pub use registry::Metrics;
pub(crate) use registry::Sources;
