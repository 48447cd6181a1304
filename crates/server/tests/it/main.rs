//! onramp's integration tests: the real server on `127.0.0.1:0` over the real sandbox, one module
//! per concern, sharing one support library.

mod support;
// Megaport clients on a sandbox of the test's own, shared with the megaport crate's tests.
#[path = "../../../megaport/tests/it/sandbox_support.rs"]
mod megaport_sandbox_support;

mod admin_probes;
mod approvals_auto;
mod approvals_inbox;
mod approvals_lifecycle;
mod approvals_watch;
mod auth_bindings;
mod auth_canary;
mod auth_scopes;
mod auth_tls;
mod auth_tokens;
mod catalog_cache;
mod catalog_guide;
mod cli_config;
mod cli_sandbox;
mod errors;
mod health_reflection;
mod mcr_mve;
mod megaport_budget;
mod megaport_secrets;
mod metrics_prometheus;
mod orders_approval;
mod orders_concurrency;
mod orders_exactly_once;
mod orders_faults;
mod orders_guide;
mod orders_restart;
mod orders_validation;
mod proximity;
mod regions;
mod replicas;
mod replicas_feed;
mod selection_signals;
mod service_key_reads;
mod service_keys;
mod shutdown;
mod store_lock;
mod tracing_otlp;
mod upstream_answers;
mod watch_keys;
mod webhooks;
