//! Pre-encoded gRPC frames: a message encoded once and sent as shared bytes to every stream
//! that carries it (a watch's fan-out), and the frame layout the kept answers read.

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;

/// A gRPC message's prefix: a compression flag and the message's length (big-endian u32).
pub const FRAME_HEADER_BYTES: usize = 5;

/// `message` as one gRPC frame: the uncompressed flag, its length and its encoding.
pub fn grpc_frame(message: &impl Message) -> Bytes {
    let length = message.encoded_len();
    let mut frame = BytesMut::with_capacity(FRAME_HEADER_BYTES + length);
    frame.put_u8(0);
    // A watch message is a bounded snapshot chunk or batch, far below 4 GiB.
    frame.put_u32(u32::try_from(length).expect("a watch message under 4 GiB"));
    message
        .encode(&mut frame)
        .expect("the frame has room for the message");
    frame.freeze()
}

/// The message inside a frame made by [`grpc_frame`].
pub fn frame_message(frame: &Bytes) -> Bytes {
    frame.slice(FRAME_HEADER_BYTES..)
}
