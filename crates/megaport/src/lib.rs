//! The Megaport upstream: the only module that speaks HTTP (reqwest) to Megaport.
//!
//! - [`config`]: environments and credentials (secrets never print).
//! - [`auth`]: OAuth client-credentials tokens, single-flight, refreshed ahead of expiry.
//! - [`models`]: typed, lenient payloads.
//! - [`client`]: [`MegaportClient`], with deadline-bounded calls and never-twice writes.
//! - [`retry`]: full-jitter backoff honouring Retry-After within the caller's deadline.
//! - [`error`]: [`MegaportError`], which onramp maps to its own errors (`onramp-server`'s `error.rs`).
//! - [`metrics`]: upstream call counters by route and outcome.

mod auth;
pub mod client;
pub mod config;
mod de;
pub mod error;
mod http;
pub mod metrics;
pub mod models;
pub mod retry;

pub use client::{BuyApi, ClientConfig, MegaportClient};
pub use config::{Credentials, Environment};
pub use de::parse_timestamp;
pub use error::{ErrorDetail, MegaportError};
pub use metrics::{Metrics, Outcome, RequestObserver, Route};
pub use retry::RetryPolicy;
