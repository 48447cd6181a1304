//! The Megaport upstream: the only module that speaks HTTP (reqwest) to Megaport.
//!
//! - [`config`]: environments and credentials (secrets never print).
//! - [`auth`]: OAuth client-credentials tokens, single-flight, refreshed ahead of expiry.
//! - [`models`]: typed, lenient payloads.
//! - [`client`]: [`MegaportClient`], with deadline-bounded calls and never-twice writes.
//! - `body` and `decode`: a 2xx body read within a size limit, then decoded; what was wrong with
//!   one that does not decode is said without quoting it.
//! - [`budget`]: one request budget per egress, shared by priority (writes, interactive reads,
//!   background work), as Megaport limits requests per source IP.
//! - [`retry`]: full-jitter backoff honouring Retry-After within the caller's deadline.
//! - [`error`]: [`MegaportError`], which onramp maps to its own errors (`onramp-server`'s `error.rs`).
//! - [`metrics`]: upstream call counters by route and outcome.

mod auth;
mod body;
pub mod budget;
pub mod client;
pub mod config;
mod de;
mod decode;
pub mod error;
mod http;
pub mod metrics;
pub mod models;
pub mod retry;

pub use budget::{Budget, BudgetConfig, BudgetLedger, Priority, SharedWindow};
pub use client::{BuyApi, ClientConfig, DEFAULT_MAX_RESPONSE_BYTES, MegaportClient, RouteTimeouts};
pub use config::{Credentials, Environment};
pub use de::parse_timestamp;
pub use error::{ErrorDetail, MegaportError};
pub use metrics::{Metrics, Outcome, RequestObserver, Route};
pub use models::Listing;
pub use retry::RetryPolicy;
