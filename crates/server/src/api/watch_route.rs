//! WatchServiceKeys without a per-stream encoding: ServiceKeyService behind a route that
//! answers that one method with a body sending gRPC frames built once, and passes every other
//! method to the generated service.
//!
//! tonic's generated service encodes every message of every stream, and its response body then
//! copies each encoded message into the stream's own buffer. With 100,000 streams each batch of
//! key changes was converted, encoded and copied 100,000 times; through this route it is framed
//! once (see `watch::Batch::encoded`) and every stream sends the same shared bytes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::TryStreamExt;
use http_body::Frame;
use tonic::Status;
use tonic::body::Body;
use tonic::codec::Streaming;
use tonic::server::NamedService;
use tonic_prost::ProstDecoder;

use super::ResponseStream;
use super::service_keys::ServiceKeyApi;
use crate::auth::Caller;
use onramp_proto as pb;
use onramp_proto::service_key_service_server::ServiceKeyServiceServer;

const WATCH_PATH: &str = "/onramp.v1.ServiceKeyService/WatchServiceKeys";
/// ServiceKeyService, with WatchServiceKeys sent from its framed messages.
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
        let api = self.api.clone();
        let max_decoding = self.max_decoding_message_size;
        // The caller's binding decides which keys its stream carries.
        let binding = request
            .extensions()
            .get::<Caller>()
            .map(|caller| caller.binding.clone())
            .unwrap_or_default();
        Box::pin(async move {
            // What tonic's server_streaming does, but for the body: a status before the first
            // message is a trailers-only answer.
            let response = match watch_request(request, max_decoding).await {
                Ok(request) => api.watch_encoded(request, binding).await,
                Err(status) => Err(status),
            };
            Ok(match response {
                Ok(frames) => {
                    let mut response = http::Response::new(Body::new(FramedBody::new(frames)));
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/grpc"),
                    );
                    response
                }
                Err(status) => status.into_http(),
            })
        })
    }
}

/// The one request message, decoded as the generated service would (no compression: this
/// server accepts none).
async fn watch_request(
    request: http::Request<Body>,
    max_decoding: usize,
) -> Result<pb::WatchServiceKeysRequest, Status> {
    if let Some(encoding) = request.headers().get("grpc-encoding")
        && encoding.as_bytes() != b"identity"
    {
        return Err(Status::unimplemented(format!(
            "the request is compressed with {}, which this server does not accept",
            String::from_utf8_lossy(encoding.as_bytes())
        )));
    }
    let mut messages = Streaming::new_request(
        ProstDecoder::<pb::WatchServiceKeysRequest>::default(),
        request.into_body(),
        None,
        Some(max_decoding),
    );
    messages
        .try_next()
        .await?
        .ok_or_else(|| Status::internal("Missing request message."))
}

/// A response body sending each frame as it is given (shared bytes, no copy), and the stream's
/// status as its trailers.
struct FramedBody {
    frames: ResponseStream<Bytes>,
    ended: bool,
}

impl FramedBody {
    fn new(frames: ResponseStream<Bytes>) -> Self {
        Self {
            frames,
            ended: false,
        }
    }

    fn trailers(&mut self, status: &Status) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.ended = true;
        let mut trailers = http::HeaderMap::new();
        Poll::Ready(Some(
            status
                .add_header(&mut trailers)
                .map(|()| Frame::trailers(trailers)),
        ))
    }
}

impl http_body::Body for FramedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match ready!(self.frames.as_mut().poll_next(cx)) {
            Some(Ok(frame)) => Poll::Ready(Some(Ok(Frame::data(frame)))),
            Some(Err(status)) => self.trailers(&status),
            None => self.trailers(&Status::ok("")),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grpc_plumbing::frames::{FRAME_HEADER_BYTES, frame_message, grpc_frame};
    use prost::Message;

    #[test]
    fn a_frame_is_the_uncompressed_flag_the_length_and_the_message() {
        let message = pb::WatchServiceKeysResponse {
            revision: 42,
            resume_token: "token".to_owned(),
            kind: None,
        };
        let frame = grpc_frame(&message);
        let length = message.encoded_len();
        assert_eq!(frame[0], 0, "not compressed");
        assert_eq!(
            u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize,
            length
        );
        assert_eq!(frame.len(), FRAME_HEADER_BYTES + length);
        let decoded = pb::WatchServiceKeysResponse::decode(frame_message(&frame)).expect("decode");
        assert_eq!(decoded, message);
    }

    #[tokio::test]
    async fn a_compressed_request_is_refused_as_unimplemented() {
        let request = http::Request::builder()
            .header("grpc-encoding", "gzip")
            .body(Body::empty())
            .expect("request");
        let refused = watch_request(request, 1024).await.expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::Unimplemented);
        assert!(refused.message().contains("gzip"), "{}", refused.message());
    }

    #[tokio::test]
    async fn the_body_ends_with_the_streams_status_as_trailers() {
        use http_body::Body as _;
        use http_body_util::BodyExt;
        let frames: ResponseStream<Bytes> = Box::pin(futures::stream::iter([
            Ok(Bytes::from_static(b"\0\0\0\0\x01x")),
            Err(Status::unavailable("shutting down")),
        ]));
        let mut body = FramedBody::new(frames);
        let first = body.frame().await.expect("a frame").expect("ok");
        assert_eq!(first.into_data().expect("data").as_ref(), b"\0\0\0\0\x01x");
        let last = body.frame().await.expect("a frame").expect("ok");
        let trailers = last.into_trailers().expect("trailers");
        assert_eq!(trailers["grpc-status"], "14");
        assert!(body.is_end_stream());
        assert!(body.frame().await.is_none());
    }
}
