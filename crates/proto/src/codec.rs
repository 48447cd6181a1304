//! The codec every generated service and client uses: prost's, with a small encode buffer.
//!
//! tonic gives each response body an encode buffer of the codec's size up front, and a
//! server-streaming call keeps it for the stream's life: with prost's default of 8 KiB, 100,000
//! idle WatchServiceKeys streams would hold 800 MiB of mostly empty buffers. A small buffer
//! grows to fit a large message when one is encoded (one reallocation per large unary answer),
//! so unary calls lose nothing measurable.

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstDecoder, ProstEncoder};

/// Bytes an encode buffer starts with: room for a typical stream message and its header.
const ENCODE_BUFFER_BYTES: usize = 512;
/// tonic's default: how much a stream encodes before yielding to the transport.
const YIELD_THRESHOLD_BYTES: usize = 32 * 1024;

/// The encode buffer of every response body: [`ENCODE_BUFFER_BYTES`] to start with (also for
/// a codec of the server's own that sends messages it encoded before).
pub fn buffer_settings() -> BufferSettings {
    BufferSettings::new(ENCODE_BUFFER_BYTES, YIELD_THRESHOLD_BYTES)
}

/// prost's codec with [`ENCODE_BUFFER_BYTES`] as the encode buffer; decoding is prost's own.
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
        ProstDecoder::default()
    }
}
