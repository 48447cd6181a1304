//! One file per gRPC service. Each handler validates its request, calls the domain, and converts
//! the result; business rules live in `onramp-core` (and the buy in `crate::orders`), never here.

pub mod admin;
pub mod approvals;
pub mod catalog;
mod convert;
pub mod orders;
pub mod regions;
pub mod service_keys;
mod update_mask;
mod watch_common;
pub mod watch_route;
pub mod webhooks;

use tonic::{Request, Status};

use crate::auth::Caller;
use crate::auth::audit::AuditNote;

/// The audit note of a mutating call, for the handler to record its request id and the resource
/// it acted on. Calls the auth layer does not audit get a detached note, so writing is harmless.
fn audit_note<T>(request: &Request<T>) -> AuditNote {
    AuditNote::from_request(request).unwrap_or_default()
}

/// Who made the call (its binding decides what it sees). A service mounted without the auth
/// layer (a test's) serves everyone as the anonymous, unbound caller.
fn caller<T>(request: &Request<T>) -> Caller {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::anonymous)
}

/// A boxed server stream, the shape every streaming RPC returns.
type ResponseStream<T> =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;
