//! onramp: a gRPC service a network service provider runs to sell private connectivity over
//! Megaport — catalog and regions, on-ramp selection, service keys, a resumable key-state stream,
//! and VXC orders that are bought exactly once.
//!
//! The generated code is the `onramp-proto` crate, the Megaport client the `megaport` crate and
//! the embedded sandbox the `megaport-sandbox` crate.
//!
//! # Layout
//! - [`auth`]: callers (tokens, mTLS), the RPC -> scope table, limits and the audit log.
//! - [`config`]: one `Config`, defaults <- TOML <- `ONRAMP_*` env <- flags, validated at start.
//! - [`server`]: `run(listener, config, shutdown)`: services, health, reflection, graceful drain.
//! - [`error`]: the crate `Error` and its one mapping to `tonic::Status` with rich details.
//! - [`api`]: one file per gRPC service: validate -> call the domain -> convert.
//! - [`domain`]: business rules (on-ramp figures, regions, selection) over traits.
//! - [`store`]: persistence in SQLite (sqlx); migrations in `migrations/`.
//! - [`telemetry`]: `tracing` setup.
//! - [`watch`]: the key-state watcher: poller, differ, event log, fan-out hub.
//! - [`upstream`]: the Megaport accounts (or embedded sandbox) and the catalog cache over them.
//! - [`catalog`]: moka caches of locations and products; stale-while-revalidate.
//! - [`adapters`]: the domain's traits over Megaport (inventory, service keys).

pub mod adapters;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod digest;
pub mod domain;
pub mod error;

pub mod server;
pub mod store;
pub mod telemetry;
pub mod upstream;
pub mod watch;
