//! onramp: a gRPC service a network service provider runs to sell private connectivity over
//! Megaport — catalog and regions, on-ramp selection, service keys, a resumable key-state stream,
//! and VXC orders that are bought exactly once.
//!
//! The domain is the `onramp-core` crate, persistence `onramp-store`, the generated code
//! `onramp-proto`, the Megaport client `megaport` and the embedded sandbox `megaport-sandbox`.
//!
//! # Layout
//! Modules depend one way (`make module-cycles`); `server` is the composition root and nothing
//! else names it. Each component owns its section of the configuration beside its code.
//! - [`server`]: `run(listener, config, shutdown)`: builds every component, registers the
//!   services, health and reflection, and owns the graceful drain (a `CancellationToken`).
//! - [`config`]: one `Config`, defaults <- TOML <- `ONRAMP_*` env <- flags, made of the sections
//!   the components own; [`settings`]: the error every section reports.
//! - [`auth`]: callers (tokens, mTLS), the RPC -> scope table, limits and the audit log.
//! - [`error`]: the one mapping of the domain's `Error` to `tonic::Status`, and of Megaport's
//!   errors to the domain's.
//! - [`api`]: one file per gRPC service: validate -> call the domain -> convert.
//! - [`watch`]: the key-state watcher: hub state, poller, commit, follower, read model, streams.
//! - [`webhooks`]: the events changes cause, queued in their transaction, and their dispatcher.
//! - [`approval_inbox`]: the provider's approvals, read from Megaport, decided and watched.
//! - [`signals`]: the Ports' measured traffic and maintenance/outage notices.
//! - [`upstream`]: the Megaport accounts (or embedded sandbox) and the catalog cache over them.
//! - [`catalog`]: moka caches of locations and products; stale-while-revalidate.
//! - [`adapters`]: the domain's traits over Megaport (inventory, service keys);
//!   `order_upstream`: the orders domain's Megaport calls; [`order_desk`]: the desk over them.
//! - [`storage`]: where state lives (SQLite or PostgreSQL); [`retention`]: what it forgets, and
//!   when; [`leader`]: which replica polls and prunes;
//!   [`change_feed`]: every replica's writes of shared state, as this replica's read models
//!   (regions, followed orders) hear of them.
//! - [`paging`]: `page_size` and page tokens (keyset cursors bound to their filter) of every list.
//! - [`selection`], [`regions_file`]: how on-ramps are ranked, and regions declared in a file.
//! - [`metrics`], [`telemetry`], [`call_context`]: Prometheus, `tracing`, per-call deadlines.
//!
//! What knows nothing of onramp's domain lives in crates of its own: `grpc-plumbing` (transport,
//! frames, kept answers, deadlines), `revision-fanout` (resumable watch streams) and
//! `onramp-webhooks` (signed, address-checked webhook requests).

pub mod adapters;
mod admin_http;
pub mod api;
pub mod approval_inbox;
pub mod auth;
mod bought_vxcs;
pub mod call_context;
pub mod catalog;
pub mod change_feed;
pub mod config;
#[cfg(feature = "console")]
pub mod console;
mod embedded_sandbox;
pub mod error;
pub mod leader;
pub mod metrics;
pub mod order_desk;
pub mod order_followers;
mod order_upstream;
pub mod paging;
pub mod peering;
pub mod regions_file;
pub mod retention;
pub mod selection;
pub mod server;
pub mod settings;
pub mod signals;
pub mod storage;
pub mod telemetry;
pub mod upstream;
pub mod watch;
pub mod webhooks;
