//! Compiles `proto/onramp/v1/*.proto` with protox (pure Rust, so no system `protoc`) and writes the
//! descriptor sets that server reflection serves: onramp's, and the `google.rpc` error details
//! (vendored from tonic-types in `third_party/`) so grpcurl can decode ErrorInfo, BadRequest and
//! RetryInfo instead of printing base64. The Rust types of the details come from tonic-types.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

use prost::Message;

fn main() -> io::Result<()> {
    let proto_root = Path::new("../../proto");
    let mut files = Vec::new();
    collect_protos(&proto_root.join("onramp"), &mut files)?;
    files.sort();

    // tonic-build's own rerun detection misses new files (grpc/grpc-rust#2511), so watch the tree.
    println!("cargo:rerun-if-changed=../../proto");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [proto_root])
        .map_err(|error| io::Error::other(format!("proto compilation failed: {error:?}")))?;

    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?);
    fs::write(
        out_dir.join("onramp_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    let google_rpc = Path::new("third_party");
    println!("cargo:rerun-if-changed=third_party");
    let details = protox::compile(
        [
            google_rpc.join("google/rpc/error_details.proto"),
            google_rpc.join("google/rpc/status.proto"),
        ],
        [google_rpc],
    )
    .map_err(|error| io::Error::other(format!("google.rpc compilation failed: {error:?}")))?;
    fs::write(
        out_dir.join("google_rpc_descriptor.bin"),
        details.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        // A small encode buffer per response body (see src/codec.rs).
        .codec_path("crate::codec::OnrampCodec")
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "proto")
        {
            out.push(path);
        }
    }
    Ok(())
}
