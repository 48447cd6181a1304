//! One file per gRPC service. Each handler validates its request, calls the domain, and converts
//! the result; business rules live in `domain/`, never here.

pub mod admin;
pub mod catalog;
mod convert;
pub mod orders;
pub mod paging;
pub mod regions;
pub mod service_keys;

use tonic::Status;

/// A boxed server stream, the shape every streaming RPC returns.
type ResponseStream<T> =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;
