//! Unary reads answered from the encoded answers kept per revision of the view they read.
//!
//! Callers' pages ask a service's views the same few questions over and over, and between two
//! changes of a view every answer to one question is the same bytes. So in front of a generated
//! service, for the reads listed, the answer's gRPC frame is kept by method, [`Audience`] and
//! request bytes until the view's revision moves: a repeated question costs a lookup instead of
//! the work, the conversion and the encoding (in onramp's profile at one call in flight, the
//! larger part of what it did per call beyond a server that answers from memory). The revision is only read,
//! never loaded: when an input is missing or due for a refresh, the service answers (and
//! refreshes), and nothing is kept. Only answers the handler marked as the view's alone
//! ([`view_answer`]) are kept; anything else (a compressed request, an answer that is not one OK
//! message, one the handler did not mark because it used more than the view) goes to the service
//! as it came, and its answer comes back as the service gave it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tonic::Status;
use tonic::body::Body;
use tonic::server::NamedService;

use crate::frames::FRAME_HEADER_BYTES;

/// Answers kept for one revision; past either bound they are all dropped and asked anew (a
/// provider's pages ask a few dozen questions, so this only bounds a caller asking many).
const KEPT_ANSWERS: usize = 1024;
const KEPT_BYTES: usize = 32 * 1024 * 1024;

/// Where a revision comes from: the views a service's reads answer from.
pub trait Revisions: Clone + Send + Sync + 'static {
    /// Equal revisions mean equal answers to equal requests.
    type Revision: PartialEq + Send + 'static;

    /// The revision now, without loading anything; `None` when an input is not at hand or is
    /// due for a refresh (the service then answers, and loads or refreshes it).
    fn revision(&self) -> impl Future<Output = Option<Self::Revision>> + Send;
}

/// Whom an answer is for, as a request extension set by whatever authenticates callers: callers
/// that may see different things (a caller bound to some customers, another to all) are
/// different audiences, and an answer kept for one is never given to another. A request without
/// one is of the shared audience.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Audience(pub Arc<str>);

/// Marks an answer as the view's alone (the same request at the same revision gets the same
/// answer), which is what lets it be kept: a handler marks only what it answered from the view,
/// never what it asked Megaport for or priced.
#[derive(Debug, Clone, Copy)]
pub struct ViewAnswer;

/// `message` as an answer from the view (see [`ViewAnswer`]).
pub fn view_answer<T>(message: T) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    response.extensions_mut().insert(ViewAnswer);
    response
}

/// `inner`, with the answers to `reads` kept per revision of `revisions`.
#[derive(Clone)]
pub struct KeptAnswers<S, V: Revisions> {
    inner: S,
    revisions: V,
    reads: &'static [&'static str],
    kept: Arc<Mutex<Kept<V::Revision>>>,
    max_request_bytes: usize,
}

impl<S, V: Revisions> KeptAnswers<S, V> {
    pub fn new(
        inner: S,
        revisions: V,
        reads: &'static [&'static str],
        max_request_bytes: usize,
    ) -> Self {
        Self {
            inner,
            revisions,
            reads,
            kept: Arc::new(Mutex::new(Kept::default())),
            max_request_bytes,
        }
    }
}

impl<S: NamedService, V: Revisions> NamedService for KeptAnswers<S, V> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send + 'static>>;

impl<S, V> tower::Service<http::Request<Body>> for KeptAnswers<S, V>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    V: Revisions,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The generated services are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let read = self
            .reads
            .iter()
            .position(|&path| path == request.uri().path());
        let compressed = request
            .headers()
            .get("grpc-encoding")
            .is_some_and(|encoding| encoding.as_bytes() != b"identity");
        let (Some(read), false) = (read, compressed) else {
            return Box::pin(self.inner.call(request));
        };
        let mut inner = self.inner.clone();
        let revisions = self.revisions.clone();
        let kept = self.kept.clone();
        let limit = self.max_request_bytes + FRAME_HEADER_BYTES;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let collected = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected,
                Err(error) if error.is::<LengthLimitError>() => {
                    return Ok(Status::out_of_range(format!(
                        "the request message is too large: the limit is {} bytes",
                        limit - FRAME_HEADER_BYTES
                    ))
                    .into_http());
                }
                Err(error) => return Ok(Status::from_error(error).into_http()),
            };
            let message = collected.to_bytes();
            let question = Question {
                read,
                audience: parts.extensions.get::<Audience>().cloned(),
                message,
            };
            let before = match question.message.first() {
                Some(0) => revisions.revision().await,
                _ => None,
            };
            if let Some(frame) = before
                .as_ref()
                .and_then(|before| lock(&kept).get(before, &question))
            {
                return Ok(answer(frame));
            }
            let request =
                http::Request::from_parts(parts, Body::new(Full::new(question.message.clone())));
            let response = inner.call(request).await?;
            let Some(before) = before else {
                return Ok(response);
            };
            let (parts, body) = response.into_parts();
            let collected = match body.collect().await {
                Ok(collected) => collected,
                Err(status) => return Ok(status.into_http()),
            };
            let trailers = collected.trailers().cloned();
            let data = collected.to_bytes();
            // An answer is kept only if the view did not move while it was made (the view
            // read in between was then this revision's; a new derivation is a new revision).
            if parts.extensions.get::<ViewAnswer>().is_some()
                && is_one_ok_message(&parts, trailers.as_ref(), &data)
                && revisions.revision().await.as_ref() == Some(&before)
            {
                lock(&kept).keep(before, question, data.clone());
            }
            Ok(http::Response::from_parts(
                parts,
                Body::new(Replayed::new(data, trailers)),
            ))
        })
    }
}

fn lock<R>(kept: &Mutex<Kept<R>>) -> MutexGuard<'_, Kept<R>> {
    // A poisoned lock only means a panic elsewhere; the answers are still whole.
    kept.lock().unwrap_or_else(|e| e.into_inner())
}

/// An OK unary answer: status 200, no status in the headers (which a trailers-only error
/// has), one data frame, and grpc-status 0 in the trailers.
fn is_one_ok_message(
    parts: &http::response::Parts,
    trailers: Option<&http::HeaderMap>,
    data: &Bytes,
) -> bool {
    let declared = data
        .get(1..FRAME_HEADER_BYTES)
        .map(|length| u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize);
    parts.status == http::StatusCode::OK
        && !parts.headers.contains_key("grpc-status")
        && data.first() == Some(&0)
        && declared == Some(data.len() - FRAME_HEADER_BYTES)
        && trailers.and_then(|trailers| trailers.get("grpc-status"))
            == Some(&http::HeaderValue::from_static("0"))
}

/// A kept answer, as tonic sends an OK unary answer.
fn answer(frame: Bytes) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let mut response = http::Response::new(Body::new(Replayed::new(frame, Some(trailers))));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    response
}

/// What an answer is kept under: the read, whom it is for, and the request message.
#[derive(PartialEq, Eq, Hash)]
struct Question {
    read: usize,
    audience: Option<Audience>,
    message: Bytes,
}

/// The answers of one revision, by question.
struct Kept<R> {
    revision: Option<R>,
    frames: HashMap<Question, Bytes>,
    bytes: usize,
}

impl<R> Default for Kept<R> {
    fn default() -> Self {
        Self {
            revision: None,
            frames: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<R: PartialEq> Kept<R> {
    fn get(&self, revision: &R, question: &Question) -> Option<Bytes> {
        if self.revision.as_ref() != Some(revision) {
            return None;
        }
        self.frames.get(question).cloned()
    }

    fn keep(&mut self, revision: R, question: Question, frame: Bytes) {
        let size = question.message.len() + frame.len();
        let moved = self.revision.as_ref() != Some(&revision);
        if moved || self.frames.len() >= KEPT_ANSWERS || self.bytes + size > KEPT_BYTES {
            self.frames.clear();
            self.bytes = 0;
        }
        if size > KEPT_BYTES {
            return;
        }
        self.revision = Some(revision);
        self.bytes += size;
        self.frames.insert(question, frame);
    }
}

/// A body of at most one data frame and its trailers, sent as they were collected.
struct Replayed {
    data: Option<Bytes>,
    trailers: Option<http::HeaderMap>,
}

impl Replayed {
    fn new(data: Bytes, trailers: Option<http::HeaderMap>) -> Self {
        Self {
            data: (!data.is_empty()).then_some(data),
            trailers,
        }
    }
}

impl http_body::Body for Replayed {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let frame = match self.data.take() {
            Some(data) => Some(Frame::data(data)),
            None => self.trailers.take().map(Frame::trailers),
        };
        Poll::Ready(frame.map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }

    // No exact size, as tonic's own bodies: gRPC-web (tonic-web) re-encodes the body with the
    // trailers as a last data frame but passes this hint on, and over HTTP/1.1 an exact hint
    // becomes a Content-Length that cuts that frame off ("missing trailer" in the browser).
    fn size_hint(&self) -> http_body::SizeHint {
        let length = self.data.as_ref().map_or(0, Bytes::len) as u64;
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(length);
        hint
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use tower::Service;

    use super::*;

    const READ: &str = "/test.Service/Read";
    const OTHER: &str = "/test.Service/Other";
    static READS: &[&str] = &[READ, OTHER];

    /// The view's revision, moved by hand.
    #[derive(Clone, Default)]
    struct Counter(Arc<AtomicU64>);

    impl Revisions for Counter {
        type Revision = u64;

        async fn revision(&self) -> Option<u64> {
            Some(self.0.load(Ordering::SeqCst))
        }
    }

    /// A service answering each request with its message and the number of calls so far (as the
    /// view's, but `fresh`), `missing` with NOT_FOUND, and `moving` after moving the revision.
    #[derive(Clone)]
    struct Echo {
        calls: Arc<AtomicU64>,
        revision: Counter,
    }

    impl tower::Service<http::Request<Body>> for Echo {
        type Response = http::Response<Body>;
        type Error = Infallible;
        type Future = BoxFuture<Self::Response>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<Body>) -> Self::Future {
            let calls = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let revision = self.revision.clone();
            Box::pin(async move {
                let body = request
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes();
                let message = &body[FRAME_HEADER_BYTES..];
                if message == b"missing" {
                    return Ok(Status::not_found("no such thing").into_http());
                }
                if message == b"moving" {
                    revision.0.fetch_add(1, Ordering::SeqCst);
                }
                let mut response = answer(frame(
                    format!("{}#{calls}", String::from_utf8_lossy(message)).as_bytes(),
                ));
                if message != b"fresh" {
                    response.extensions_mut().insert(ViewAnswer);
                }
                Ok(response)
            })
        }
    }

    fn frame(message: &[u8]) -> Bytes {
        let mut frame = vec![0];
        frame.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
        frame.extend_from_slice(message);
        Bytes::from(frame)
    }

    type Refusal = (tonic::Code, String);

    struct Fixture {
        service: KeptAnswers<Echo, Counter>,
        calls: Arc<AtomicU64>,
        revision: Counter,
    }

    fn fixture() -> Fixture {
        let revision = Counter::default();
        let calls = Arc::new(AtomicU64::new(0));
        let echo = Echo {
            calls: calls.clone(),
            revision: revision.clone(),
        };
        Fixture {
            service: KeptAnswers::new(echo, revision.clone(), READS, 64),
            calls,
            revision,
        }
    }

    impl Fixture {
        /// The answer's message (or its status code and message), and how many calls the
        /// service has had.
        async fn ask(&mut self, path: &str, message: &[u8]) -> (Result<String, Refusal>, u64) {
            self.ask_as(None, path, message).await
        }

        async fn ask_as(
            &mut self,
            audience: Option<&str>,
            path: &str,
            message: &[u8],
        ) -> (Result<String, Refusal>, u64) {
            let mut request = http::Request::builder()
                .uri(path)
                .body(Body::new(Full::new(frame(message))))
                .expect("request");
            if let Some(audience) = audience {
                request
                    .extensions_mut()
                    .insert(Audience(Arc::from(audience)));
            }
            let response = self.service.call(request).await.expect("infallible");
            let calls = self.calls.load(Ordering::SeqCst);
            if let Some(status) = Status::from_header_map(response.headers()) {
                return (Err((status.code(), status.message().to_owned())), calls);
            }
            let collected = response.into_body().collect().await.expect("body");
            let trailers = collected.trailers().cloned().expect("trailers");
            let status = Status::from_header_map(&trailers).expect("a status");
            let data = collected.to_bytes();
            let answer = String::from_utf8_lossy(&data[FRAME_HEADER_BYTES..]).into_owned();
            let refusal = (status.code(), status.message().to_owned());
            (
                (status.code() == tonic::Code::Ok)
                    .then_some(answer)
                    .ok_or(refusal),
                calls,
            )
        }
    }

    #[tokio::test]
    async fn a_repeated_question_is_answered_from_its_kept_frame_until_the_revision_moves() {
        let mut fixture = fixture();
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 1));
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 1));
        assert_eq!(fixture.ask(READ, b"b").await, (Ok("b#2".into()), 2));
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 2));
        fixture.revision.0.fetch_add(1, Ordering::SeqCst);
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#3".into()), 3));
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#3".into()), 3));
    }

    #[tokio::test]
    async fn audiences_never_share_an_answer() {
        let mut fixture = fixture();
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 1));
        assert_eq!(
            fixture.ask_as(Some("acme"), READ, b"a").await,
            (Ok("a#2".into()), 2)
        );
        assert_eq!(
            fixture.ask_as(Some("globex"), READ, b"a").await,
            (Ok("a#3".into()), 3)
        );
        assert_eq!(
            fixture.ask_as(Some("acme"), READ, b"a").await,
            (Ok("a#2".into()), 3)
        );
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 3));
    }

    #[tokio::test]
    async fn reads_keep_their_answers_apart_and_other_methods_are_not_kept() {
        let mut fixture = fixture();
        assert_eq!(fixture.ask(READ, b"a").await, (Ok("a#1".into()), 1));
        assert_eq!(fixture.ask(OTHER, b"a").await, (Ok("a#2".into()), 2));
        assert_eq!(fixture.ask(OTHER, b"a").await, (Ok("a#2".into()), 2));
        assert_eq!(
            fixture.ask("/test.Service/Write", b"a").await,
            (Ok("a#3".into()), 3)
        );
        assert_eq!(
            fixture.ask("/test.Service/Write", b"a").await,
            (Ok("a#4".into()), 4)
        );
    }

    #[tokio::test]
    async fn errors_and_answers_not_marked_as_the_views_go_to_the_service_every_time() {
        let mut fixture = fixture();
        for calls in 1..=2 {
            let (answer, counted) = fixture.ask(READ, b"missing").await;
            assert_eq!(answer.expect_err("not found").0, tonic::Code::NotFound);
            assert_eq!(counted, calls);
        }
        assert_eq!(
            fixture.ask(OTHER, b"fresh").await,
            (Ok("fresh#3".into()), 3)
        );
        assert_eq!(
            fixture.ask(OTHER, b"fresh").await,
            (Ok("fresh#4".into()), 4)
        );
    }

    #[tokio::test]
    async fn an_answer_made_while_the_revision_moved_is_not_kept() {
        let mut fixture = fixture();
        assert_eq!(
            fixture.ask(READ, b"moving").await,
            (Ok("moving#1".into()), 1)
        );
        assert_eq!(
            fixture.ask(READ, b"moving").await,
            (Ok("moving#2".into()), 2)
        );
    }

    #[tokio::test]
    async fn an_oversize_request_is_refused_without_reaching_the_service() {
        let mut fixture = fixture();
        let (answer, calls) = fixture.ask(READ, &[b'x'; 65]).await;
        let (code, message) = answer.expect_err("too large");
        assert_eq!(code, tonic::Code::OutOfRange);
        assert!(message.contains("limit is 64 bytes"), "{message}");
        assert_eq!(calls, 0);
        assert_eq!(
            fixture.ask(READ, &[b'x'; 64]).await.0.map(|a| a.len()),
            Ok(66)
        );
    }
}
