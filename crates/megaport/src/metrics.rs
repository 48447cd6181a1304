//! Counters of upstream HTTP attempts by route and outcome, cheap enough to bump on every call
//! and readable by tests and health reporting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The upstream calls the client makes (one per Megaport route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    Products,
    Product,
    ProductTags,
    Locations,
    PortVlan,
    ServiceKeyCreate,
    ServiceKeyList,
    ServiceKeyGet,
    ServiceKeyUpdate,
    Validate,
    Buy,
    VxcUpdate,
}

impl Route {
    pub const ALL: [Route; 13] = [
        Route::Token,
        Route::Products,
        Route::Product,
        Route::ProductTags,
        Route::Locations,
        Route::PortVlan,
        Route::ServiceKeyCreate,
        Route::ServiceKeyList,
        Route::ServiceKeyGet,
        Route::ServiceKeyUpdate,
        Route::Validate,
        Route::Buy,
        Route::VxcUpdate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Token => "token",
            Route::Products => "products",
            Route::Product => "product",
            Route::ProductTags => "product_tags",
            Route::Locations => "locations",
            Route::PortVlan => "port_vlan",
            Route::ServiceKeyCreate => "service_key_create",
            Route::ServiceKeyList => "service_key_list",
            Route::ServiceKeyGet => "service_key_get",
            Route::ServiceKeyUpdate => "service_key_update",
            Route::Validate => "validate",
            Route::Buy => "buy",
            Route::VxcUpdate => "vxc_update",
        }
    }
}

/// How one HTTP attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    NotFound,
    Invalid,
    Conflict,
    Unauthorized,
    RateLimited,
    /// 5xx.
    ServerError,
    /// No connection was made: the request provably was not sent.
    ConnectError,
    /// Timed out, reset or otherwise lost after sending.
    Transport,
    Malformed,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Ok,
        Outcome::NotFound,
        Outcome::Invalid,
        Outcome::Conflict,
        Outcome::Unauthorized,
        Outcome::RateLimited,
        Outcome::ServerError,
        Outcome::ConnectError,
        Outcome::Transport,
        Outcome::Malformed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Invalid => "invalid",
            Outcome::Conflict => "conflict",
            Outcome::Unauthorized => "unauthorized",
            Outcome::RateLimited => "rate_limited",
            Outcome::ServerError => "server_error",
            Outcome::ConnectError => "connect_error",
            Outcome::Transport => "transport",
            Outcome::Malformed => "malformed",
        }
    }

    pub(crate) fn from_status(status: u16) -> Self {
        match status {
            200..=299 => Outcome::Ok,
            401 | 403 => Outcome::Unauthorized,
            404 | 410 => Outcome::NotFound,
            409 => Outcome::Conflict,
            429 => Outcome::RateLimited,
            500..=599 => Outcome::ServerError,
            _ => Outcome::Invalid,
        }
    }
}

const ROUTES: usize = Route::ALL.len();
const OUTCOMES: usize = Outcome::ALL.len();

/// Told of every HTTP attempt as it ends, so an exporter (onramp's Prometheus metrics) can count
/// and time them with its own labels without this crate knowing the exporter.
pub trait RequestObserver: Send + Sync + 'static {
    /// One attempt ended so (every attempt counts once; retries included).
    fn attempt(&self, route: Route, outcome: Outcome);
    /// Time from sending an attempt to its response headers or its failure.
    fn latency(&self, route: Route, elapsed: Duration);
    /// An attempt after the first of one call (a retry by the client's policy, or a resend
    /// after a token refresh).
    fn retry(&self, route: Route);
}

/// One counter per (route, outcome); every HTTP attempt (including retries) counts once.
pub struct Metrics {
    counts: [[AtomicU64; OUTCOMES]; ROUTES],
    observer: OnceLock<Arc<dyn RequestObserver>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Metrics")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            observer: OnceLock::new(),
        }
    }
}

impl Metrics {
    pub(crate) fn record(&self, route: Route, outcome: Outcome) {
        self.counts[route as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
        if let Some(observer) = self.observer.get() {
            observer.attempt(route, outcome);
        }
    }

    pub(crate) fn record_latency(&self, route: Route, elapsed: Duration) {
        if let Some(observer) = self.observer.get() {
            observer.latency(route, elapsed);
        }
    }

    pub(crate) fn record_retry(&self, route: Route) {
        if let Some(observer) = self.observer.get() {
            observer.retry(route);
        }
    }

    /// Installs the observer of every later attempt; the first one installed stays.
    pub fn observe_with(&self, observer: Arc<dyn RequestObserver>) {
        let _ = self.observer.set(observer);
    }

    /// Attempts on `route` that ended in `outcome`.
    pub fn count(&self, route: Route, outcome: Outcome) -> u64 {
        self.counts[route as usize][outcome as usize].load(Ordering::Relaxed)
    }

    /// All attempts on `route`, whatever their outcome.
    pub fn total(&self, route: Route) -> u64 {
        Outcome::ALL.iter().map(|o| self.count(route, *o)).sum()
    }

    /// Non-zero counters, for logs and debugging.
    pub fn snapshot(&self) -> Vec<(Route, Outcome, u64)> {
        let mut out = Vec::new();
        for r in Route::ALL {
            for o in Outcome::ALL {
                let n = self.count(r, o);
                if n > 0 {
                    out.push((r, o, n));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_route_and_outcome() {
        let m = Metrics::default();
        m.record(Route::Products, Outcome::Ok);
        m.record(Route::Products, Outcome::Ok);
        m.record(Route::Products, Outcome::from_status(503));
        assert_eq!(m.count(Route::Products, Outcome::Ok), 2);
        assert_eq!(m.count(Route::Products, Outcome::ServerError), 1);
        assert_eq!(m.total(Route::Products), 3);
        assert_eq!(m.total(Route::Buy), 0);
        assert_eq!(m.snapshot().len(), 2);
    }
}
