//! WatchServiceKeys without a per-stream encoding: ServiceKeyService behind a route that
//! answers that one method with a codec sending messages already encoded, and passes every
//! other method to the generated service.
//!
//! tonic's generated service encodes every message of every stream. With 100,000 streams each
//! batch of key changes was converted and encoded 100,000 times; through this route it is
//! encoded once (see `watch::Batch::encoded`) and each stream copies the bytes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes};
use tonic::body::Body;
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, ServerStreamingService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstDecoder;

use super::ResponseStream;
use super::service_keys::ServiceKeyApi;
use onramp_proto as pb;
use onramp_proto::service_key_service_server::ServiceKeyServiceServer;

const WATCH_PATH: &str = "/onramp.v1.ServiceKeyService/WatchServiceKeys";

/// ServiceKeyService, with WatchServiceKeys sent from its encoded messages.
#[derive(Clone)]
pub struct WatchRoute {
    generated: ServiceKeyServiceServer<ServiceKeyApi>,
    api: ServiceKeyApi,
    max_decoding_message_size: usize,
}

impl WatchRoute {
    pub fn new(api: ServiceKeyApi, max_decoding_message_size: usize) -> Self {
        Self {
            generated: ServiceKeyServiceServer::new(api.clone())
                .max_decoding_message_size(max_decoding_message_size),
            api,
            max_decoding_message_size,
        }
    }
}

impl NamedService for WatchRoute {
    const NAME: &'static str = <ServiceKeyServiceServer<ServiceKeyApi> as NamedService>::NAME;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send + 'static>>;

impl tower::Service<http::Request<Body>> for WatchRoute {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != WATCH_PATH {
            return Box::pin(self.generated.call(request));
        }
        let method = WatchMethod(self.api.clone());
        let max_decoding = self.max_decoding_message_size;
        Box::pin(async move {
            let mut grpc =
                Grpc::new(EncodedCodec).apply_max_message_size_config(Some(max_decoding), None);
            Ok(grpc.server_streaming(method, request).await)
        })
    }
}

struct WatchMethod(ServiceKeyApi);

impl ServerStreamingService<pb::WatchServiceKeysRequest> for WatchMethod {
    type Response = Bytes;
    type ResponseStream = ResponseStream<Bytes>;
    type Future = Pin<
        Box<dyn Future<Output = Result<Response<Self::ResponseStream>, Status>> + Send + 'static>,
    >;

    fn call(&mut self, request: Request<pb::WatchServiceKeysRequest>) -> Self::Future {
        let api = self.0.clone();
        Box::pin(async move {
            Ok(Response::new(
                api.watch_encoded(request.into_inner()).await?,
            ))
        })
    }
}

/// Decodes the request with prost; sends each response as the bytes it is given.
#[derive(Debug, Clone, Copy, Default)]
struct EncodedCodec;

impl Codec for EncodedCodec {
    type Encode = Bytes;
    type Decode = pb::WatchServiceKeysRequest;
    type Encoder = EncodedEncoder;
    type Decoder = ProstDecoder<pb::WatchServiceKeysRequest>;

    fn encoder(&mut self) -> Self::Encoder {
        EncodedEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct EncodedEncoder;

impl Encoder for EncodedEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }

    /// The generated codec's small buffer (see `onramp_proto::codec`): idle streams hold it.
    fn buffer_settings(&self) -> BufferSettings {
        onramp_proto::codec::buffer_settings()
    }
}
