//! What the Megaport calls made for a gRPC call inherit from it: its caller's deadline, and its
//! priority in the Megaport request budget (a mutating RPC's reads are the reads a write needs,
//! so they go first; every other RPC's are interactive).
//!
//! tonic cancels a handler at the instant its `grpc-timeout` runs out, and the caller then sees
//! a bare CANCELLED (or its own DEADLINE_EXCEEDED) that does not say Megaport was slow. So every
//! upstream wait made while serving a call ends a little before the caller's deadline, and the
//! caller gets onramp's own error with its reason. Work that must outlive the caller (a buy, a
//! shared catalog load) runs in tasks of its own, which neither reaches.

use std::task::{Context, Poll};
use std::time::Duration;

use megaport::Priority;
use tokio::task::futures::TaskLocalFuture;
use tokio::time::Instant;

tokio::task_local! {
    static CALLER_DEADLINE: Option<Instant>;
}

/// When upstream waits for the current call must end, if its caller set a deadline.
pub fn current() -> Option<Instant> {
    CALLER_DEADLINE
        .try_with(|deadline| *deadline)
        .ok()
        .flatten()
}

/// Runs `work` as a call whose caller set `deadline` would run: for onramp's own waits that
/// must not hang on Megaport (the region check at start).
pub async fn run_until<F: std::future::Future>(deadline: Instant, work: F) -> F::Output {
    CALLER_DEADLINE.scope(Some(deadline), work).await
}

/// With no caller deadline, Megaport calls are bounded by their route's timeout alone
/// (`megaport.timeouts`); this only keeps the arithmetic finite.
const NO_CALLER_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// The deadline for a Megaport call made now: the caller's, or none beyond the route's own.
pub fn deadline() -> Instant {
    current().unwrap_or_else(|| Instant::now() + NO_CALLER_DEADLINE)
}

/// `own` (onramp's budget for one Megaport call), cut short to the caller's deadline.
pub fn cap(own: Instant) -> Instant {
    current().map_or(own, |caller| caller.min(own))
}

/// The budget priority of a method's Megaport reads.
fn priority_of(path: &str) -> Priority {
    match crate::auth::scopes::policy(path) {
        Some(crate::auth::scopes::Policy::Requires { mutating: true, .. }) => Priority::Write,
        _ => Priority::Interactive,
    }
}

/// Runs each call with its caller's deadline and its priority in scope (see [`current`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallContextLayer;

impl<S> tower::Layer<S> for CallContextLayer {
    type Service = CallContext<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallContext { inner }
    }
}

#[derive(Debug, Clone)]
pub struct CallContext<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for CallContext<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Priority, TaskLocalFuture<Option<Instant>, S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let deadline = grpc_plumbing::deadline::reply_by(&request, Instant::now());
        let priority = priority_of(request.uri().path());
        megaport::budget::with_priority(
            priority,
            CALLER_DEADLINE.scope(deadline, self.inner.call(request)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutating_rpcs_reads_are_a_writes() {
        assert_eq!(
            priority_of("/onramp.v1.VxcOrderService/CreateVxcOrder"),
            Priority::Write
        );
        assert_eq!(
            priority_of("/onramp.v1.CatalogService/ListOnRamps"),
            Priority::Interactive
        );
        assert_eq!(
            priority_of("/grpc.health.v1.Health/Check"),
            Priority::Interactive
        );
    }

    #[tokio::test]
    async fn upstream_waits_end_before_the_callers_deadline() {
        let request = http::Request::builder()
            .header("grpc-timeout", "2S")
            .body(())
            .expect("request");
        let arrived = Instant::now();
        let deadline = grpc_plumbing::deadline::reply_by(&request, arrived).expect("a deadline");
        assert_eq!(deadline, arrived + Duration::from_millis(1800));
        let far = arrived + Duration::from_secs(30);
        let capped = CALLER_DEADLINE
            .scope(Some(deadline), async { cap(far) })
            .await;
        assert_eq!(capped, deadline);
        assert_eq!(cap(far), far, "outside a call nothing is cut");
    }
}
