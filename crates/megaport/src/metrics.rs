//! Counters of upstream HTTP attempts by route and outcome, cheap enough to bump on every call
//! and readable by tests and health reporting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The upstream calls the client makes (one per Megaport route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    Products,
    Product,
    ProductTags,
    Locations,
    LocationRtt,
    PortVlan,
    ServiceKeyCreate,
    ServiceKeyList,
    ServiceKeyGet,
    ServiceKeyUpdate,
    Validate,
    Buy,
    VxcUpdate,
    Telemetry,
    Maintenance,
    Outages,
    Approvals,
    ApprovalDecide,
    Pricebook,
    Lifecycle,
    CancelCharges,
}

impl Route {
    pub const ALL: [Route; 22] = [
        Route::Token,
        Route::Products,
        Route::Product,
        Route::ProductTags,
        Route::Locations,
        Route::LocationRtt,
        Route::PortVlan,
        Route::ServiceKeyCreate,
        Route::ServiceKeyList,
        Route::ServiceKeyGet,
        Route::ServiceKeyUpdate,
        Route::Validate,
        Route::Buy,
        Route::VxcUpdate,
        Route::Telemetry,
        Route::Maintenance,
        Route::Outages,
        Route::Approvals,
        Route::ApprovalDecide,
        Route::Pricebook,
        Route::Lifecycle,
        Route::CancelCharges,
    ];

    /// The route named `name` (as [`Route::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|route| route.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Token => "token",
            Route::Products => "products",
            Route::Product => "product",
            Route::ProductTags => "product_tags",
            Route::Locations => "locations",
            Route::LocationRtt => "location_rtt",
            Route::PortVlan => "port_vlan",
            Route::ServiceKeyCreate => "service_key_create",
            Route::ServiceKeyList => "service_key_list",
            Route::ServiceKeyGet => "service_key_get",
            Route::ServiceKeyUpdate => "service_key_update",
            Route::Validate => "validate",
            Route::Buy => "buy",
            Route::VxcUpdate => "vxc_update",
            Route::Telemetry => "telemetry",
            Route::Maintenance => "maintenance",
            Route::Outages => "outages",
            Route::Approvals => "approvals",
            Route::ApprovalDecide => "approval_decide",
            Route::Pricebook => "pricebook",
            Route::Lifecycle => "lifecycle",
            Route::CancelCharges => "cancel_charges",
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
    /// A 2xx body that did not decode.
    Malformed,
    /// A 2xx body longer than the client's limit.
    TooLarge,
}

impl Outcome {
    pub const ALL: [Outcome; 11] = [
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
        Outcome::TooLarge,
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
            Outcome::TooLarge => "too_large",
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
    /// Records of a list answer on `route` that did not decode and were left out.
    fn skipped(&self, route: Route, records: u64);
    /// A request on `route` was not sent: the request budget had no share for `priority`.
    fn throttled(&self, route: Route, priority: crate::budget::Priority);
}

/// A WARN about skipped records is logged at most this often per route.
const SKIPPED_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// One counter per (route, outcome); every HTTP attempt (including retries) counts once.
pub struct Metrics {
    counts: [[AtomicU64; OUTCOMES]; ROUTES],
    skipped: [AtomicU64; ROUTES],
    throttled: [AtomicU64; ROUTES],
    /// Skipped records not yet in a WARN, and when the last WARN was (ms since `started`, 0 =
    /// never), per route.
    unwarned: [AtomicU64; ROUTES],
    last_warned_ms: [AtomicU64; ROUTES],
    started: Instant,
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
            skipped: std::array::from_fn(|_| AtomicU64::new(0)),
            throttled: std::array::from_fn(|_| AtomicU64::new(0)),
            unwarned: std::array::from_fn(|_| AtomicU64::new(0)),
            last_warned_ms: std::array::from_fn(|_| AtomicU64::new(0)),
            started: Instant::now(),
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

    /// Counts records left out of a list answer. Returns how many to report in a WARN now
    /// (every record since the last one), or `None` while a WARN for this route is recent.
    pub(crate) fn record_skipped(&self, route: Route, records: u32) -> Option<u64> {
        let r = route as usize;
        let records = u64::from(records);
        self.skipped[r].fetch_add(records, Ordering::Relaxed);
        if let Some(observer) = self.observer.get() {
            observer.skipped(route, records);
        }
        self.unwarned[r].fetch_add(records, Ordering::Relaxed);
        // +1 so that "now" is never the 0 that means "never warned".
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let last = self.last_warned_ms[r].load(Ordering::Relaxed);
        let interval = SKIPPED_WARNING_INTERVAL.as_millis() as u64;
        if last != 0 && now_ms.saturating_sub(last) < interval {
            return None;
        }
        self.last_warned_ms[r]
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .ok()
            .map(|_| self.unwarned[r].swap(0, Ordering::Relaxed))
    }

    pub(crate) fn record_throttled(&self, route: Route, priority: crate::budget::Priority) {
        self.throttled[route as usize].fetch_add(1, Ordering::Relaxed);
        if let Some(observer) = self.observer.get() {
            observer.throttled(route, priority);
        }
    }

    /// Requests on `route` the budget kept from being sent so far.
    pub fn throttled(&self, route: Route) -> u64 {
        self.throttled[route as usize].load(Ordering::Relaxed)
    }

    /// Records left out of list answers on `route` so far.
    pub fn skipped(&self, route: Route) -> u64 {
        self.skipped[route as usize].load(Ordering::Relaxed)
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

    #[test]
    fn skipped_records_are_all_counted_but_warned_once_a_minute() {
        let m = Metrics::default();
        assert_eq!(m.record_skipped(Route::Products, 3), Some(3));
        assert_eq!(m.record_skipped(Route::Products, 2), None);
        assert_eq!(m.record_skipped(Route::Locations, 1), Some(1), "per route");
        assert_eq!(m.skipped(Route::Products), 5);
    }
}
