//! onramp: a gRPC service a network service provider runs to sell private connectivity over
//! Megaport — catalog and regions, on-ramp selection, service keys, a resumable key-state stream,
//! and VXC orders that are bought exactly once.
//!
//! # Layout
//! - [`auth`]: callers (tokens, mTLS), the RPC -> scope table, limits and the audit log.
//! - [`config`]: one `Config`, defaults <- TOML <- `ONRAMP_*` env <- flags, validated at start.
//! - [`server`]: `run(listener, config, shutdown)`: services, health, reflection, graceful drain.
//! - [`error`]: the crate `Error` and its one mapping to `tonic::Status` with rich details.
//! - [`api`]: one file per gRPC service: validate -> call the domain -> convert.
//! - [`pb`]: generated protobuf code; only `api`, `server` and `error` see it.
//! - [`store`]: persistence in SQLite (sqlx); migrations in `migrations/`.
//! - [`telemetry`]: `tracing` setup.

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod pb;
pub mod server;
pub mod store;
pub mod telemetry;
