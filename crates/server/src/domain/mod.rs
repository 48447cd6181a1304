//! Business rules, free of gRPC and HTTP types: the on-ramp inventory and its figures, regions,
//! and on-ramp selection. Data comes in through the [`Inventory`] trait, so unit tests use fakes.

pub mod directory;
pub mod inventory;
pub mod keys;
pub mod mints_in_flight;
pub mod onramps;
pub mod orders;
pub mod regions;
pub mod regions_file;
pub mod request_id;
pub mod selection;
pub mod service_keys;

pub use inventory::Inventory;
