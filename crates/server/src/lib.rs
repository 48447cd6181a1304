//! onramp: a gRPC service a network service provider runs to sell private connectivity over
//! Megaport — catalog and regions, on-ramp selection, service keys, a resumable key-state stream,
//! and VXC orders that are bought exactly once.
//!
//! The domain is the `onramp-core` crate, persistence `onramp-store`, the generated code
//! `onramp-proto`, the Megaport client `megaport` and the embedded sandbox `megaport-sandbox`.
//!
//! # Layout
//! - [`auth`]: callers (tokens, mTLS), the RPC -> scope table, limits and the audit log.
//! - [`config`]: one `Config`, defaults <- TOML <- `ONRAMP_*` env <- flags, validated at start.
//! - [`server`]: `run(listener, config, shutdown)`: services, health, reflection, graceful drain.
//! - [`error`]: the one mapping of the domain's `Error` to `tonic::Status`, and of Megaport's
//!   errors to the domain's.
//! - [`api`]: one file per gRPC service: validate -> call the domain -> convert.
//! - `order_upstream`: the orders domain's Megaport calls, over the client.
//! - [`regions_file`]: regions declared in a TOML file.
//! - [`telemetry`]: `tracing` setup.
//! - [`watch`]: the key-state watcher: poller, differ, event log, fan-out hub.
//! - [`upstream`]: the Megaport accounts (or embedded sandbox) and the catalog cache over them.
//! - [`catalog`]: moka caches of locations and products; stale-while-revalidate.
//! - [`adapters`]: the domain's traits over Megaport (inventory, service keys).

pub mod adapters;
mod admin_http;
pub mod api;
pub mod approval_inbox;
pub mod auth;
pub mod call_context;
pub mod catalog;
pub mod config;
mod embedded_sandbox;
pub mod error;
pub mod leader;
pub mod metrics;
pub mod order_desk;
pub mod order_followers;
mod order_upstream;
pub mod regions_file;
pub mod selection;
pub mod server;
pub mod settings;
pub mod signals;
pub mod storage;
pub mod telemetry;
pub mod upstream;
pub mod watch;
