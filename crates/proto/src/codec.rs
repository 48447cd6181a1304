//! The codec every generated service and client uses: prost's, with small buffers.
//!
//! tonic gives each response body an encode buffer of the codec's size up front, and a
//! server-streaming call keeps it for the stream's life: with prost's default of 8 KiB, 100,000
//! idle WatchServiceKeys streams would hold 800 MiB of mostly empty buffers. The client's side of
//! a stream keeps a decode buffer of the same size: a client holding 100,000 streams kept
//! faulting fresh pages into those buffers as messages came (a seventh of the benchmark's load
//! generator was the kernel zeroing them). A small buffer
//! grows to fit a large message when one arrives (one reallocation per large unary answer), so
//! unary calls lose nothing measurable.

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// Bytes an encode or decode buffer starts with: room for a typical stream message and its
/// header.
const BUFFER_BYTES: usize = 512;
/// tonic's default: how much a stream encodes before yielding to the transport.
const YIELD_THRESHOLD_BYTES: usize = 32 * 1024;

/// The buffers of every call: [`BUFFER_BYTES`] to start with.
fn buffer_settings() -> BufferSettings {
    BufferSettings::new(BUFFER_BYTES, YIELD_THRESHOLD_BYTES)
}

/// prost's codec with [`BUFFER_BYTES`] as its encode and decode buffers.
#[derive(Debug)]
pub struct OnrampCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for OnrampCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for OnrampCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(buffer_settings())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::raw_decoder(buffer_settings())
    }
}
