//! Generated protobuf and gRPC code for `onramp.v1`. Only `api/`, `server.rs` and `error.rs` use it.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

tonic::include_proto!("onramp.v1");

/// The encoded descriptor set of every onramp proto, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/onramp_descriptor.bin"));
