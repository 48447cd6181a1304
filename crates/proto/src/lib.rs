//! Generated protobuf and gRPC code for `onramp.v1`. Only the server's gRPC adapters (`api/`) and
//! its error mapping use it.

#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]

tonic::include_proto!("onramp.v1");

/// The encoded descriptor set of every onramp proto, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/onramp_descriptor.bin"));

/// The encoded descriptor set of the `google.rpc` status and error-detail messages that onramp
/// attaches to errors, served by reflection so that grpcurl renders them as JSON.
pub const GOOGLE_RPC_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/google_rpc_descriptor.bin"));

pub mod codec;
