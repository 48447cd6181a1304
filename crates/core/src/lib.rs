//! onramp's domain: the rules of selling connectivity over Megaport, free of gRPC, HTTP, SQL and
//! Megaport's wire format (the crate graph enforces it: none of tonic, sqlx, reqwest, axum or
//! the `megaport` crate is a dependency).
//!
//! - [`onramps`], [`selection`], [`proximity`], [`round_trips`]: Ports as on-ramps, their
//!   figures, how near they are to a customer, and choosing among them.
//! - [`regions`], [`directory`]: provider regions and the catalog queries over the inventory.
//! - [`keys`], [`service_keys`]: service keys, their derived state, minting and the read model.
//! - [`approvals`]: the provider's approval inbox and the rule for a repeated decision.
//! - [`orders`]: VXC order types, states and the journal's records.
//! - [`signals`]: measured traffic, maintenance and outages, last known zones of Ports.
//! - [`inventory`], [`ports`]: the traits the domain needs (Megaport inventory, persistence).
//! - [`binding`]: what a caller may see and act for (its accounts and customers).
//! - [`error`]: what went wrong, with the reason clients see.
//! - [`idempotency`]: the one request_id rule and request fingerprint every create uses.
//! - [`digest`], [`time`]: hashing and stored time.

pub mod approvals;
pub mod binding;
pub mod cursor;
pub mod derived;
pub mod digest;
pub mod directory;
pub mod error;
pub mod idempotency;
pub mod inventory;
pub mod keys;
pub mod locks;
#[cfg(test)]
mod memory_store;
pub mod onramps;
pub mod orders;
pub mod peering;
pub mod ports;
pub mod proximity;
pub mod regions;
pub mod round_trips;
pub mod selection;
pub mod service_keys;
pub mod signals;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;

pub use error::{Error, ErrorReason, FieldViolation};

/// What was read from an upstream list, and how many of its records could not be read and were
/// left out. Whoever shows the list says so when that is non-zero: an answer missing records is
/// not an empty one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listed<T> {
    pub items: T,
    pub skipped_upstream_records: u32,
}
pub use inventory::Inventory;
