//! Fault injection: per route group, a kind, an optional probability (from a seeded RNG, so a
//! test run is reproducible) and an optional count.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::bad_bodies::BadBody;

/// The Megaport routes a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteGroup {
    Token,
    Products,
    Product,
    Locations,
    /// Monthly median round trips between locations (`/v2/locations/rtt`).
    LocationRtt,
    ServiceKey,
    Validate,
    Buy,
    VxcUpdate,
    PortVlan,
    /// Port traffic telemetry.
    Telemetry,
    /// The maintenance and outage feeds.
    Events,
    /// The order approvals list.
    Approvals,
    /// Approve, reject and withdraw.
    ApprovalDecide,
    /// Cancel, cancel now, un-cancel and the charges of cancelling.
    Lifecycle,
    /// The pricebook.
    Pricing,
    /// Every Megaport route (never the `/_sandbox/` control routes).
    #[serde(rename = "*")]
    All,
}

impl RouteGroup {
    /// The name faults and request counts use (`products`, `buy`, `*`).
    pub fn name(self) -> &'static str {
        match self {
            RouteGroup::Token => "token",
            RouteGroup::Products => "products",
            RouteGroup::Product => "product",
            RouteGroup::Locations => "locations",
            RouteGroup::LocationRtt => "location_rtt",
            RouteGroup::ServiceKey => "service_key",
            RouteGroup::Validate => "validate",
            RouteGroup::Buy => "buy",
            RouteGroup::VxcUpdate => "vxc_update",
            RouteGroup::PortVlan => "port_vlan",
            RouteGroup::Telemetry => "telemetry",
            RouteGroup::Events => "events",
            RouteGroup::Approvals => "approvals",
            RouteGroup::ApprovalDecide => "approval_decide",
            RouteGroup::Lifecycle => "lifecycle",
            RouteGroup::Pricing => "pricing",
            RouteGroup::All => "*",
        }
    }

    /// Which group a request belongs to; `None` for control routes and unknown paths.
    pub fn classify(method: &axum::http::Method, path: &str) -> Option<RouteGroup> {
        use axum::http::Method;
        let p = path.trim_end_matches('/');
        let lower = p.to_ascii_lowercase();
        if lower.starts_with("/_sandbox") {
            return None;
        }
        if lower == "/oauth2/token" {
            return Some(RouteGroup::Token);
        }
        if lower == "/v2/products" {
            return Some(RouteGroup::Products);
        }
        if lower.starts_with("/v2/product/port/") && lower.ends_with("/vlan") {
            return Some(RouteGroup::PortVlan);
        }
        if [
            "/v2/product/megaport/",
            "/v2/product/mcr2/",
            "/v2/product/mve/",
        ]
        .iter()
        .any(|kind| lower.starts_with(kind))
            && lower.ends_with("/telemetry")
        {
            return Some(RouteGroup::Telemetry);
        }
        if lower.starts_with("/ens/v1/status/") {
            return Some(RouteGroup::Events);
        }
        if lower.starts_with("/v3/order_approvals/") {
            return Some(RouteGroup::ApprovalDecide);
        }
        if lower == "/v3/order_approvals" {
            return Some(RouteGroup::Approvals);
        }
        if lower.contains("/action/")
            && (lower.starts_with("/v3/product/") || lower.starts_with("/v2/product/"))
        {
            return Some(RouteGroup::Lifecycle);
        }
        if lower.starts_with("/v4/pricebook/") {
            return Some(RouteGroup::Pricing);
        }
        if lower.starts_with("/v3/product/vxc/") && method == Method::PUT {
            return Some(RouteGroup::VxcUpdate);
        }
        if lower.starts_with("/v2/product/") {
            return Some(RouteGroup::Product);
        }
        if lower == "/v2/locations/rtt" {
            return Some(RouteGroup::LocationRtt);
        }
        if lower == "/v3/locations" || lower == "/v2/locations" {
            return Some(RouteGroup::Locations);
        }
        if lower.starts_with("/v2/service/key") {
            return Some(RouteGroup::ServiceKey);
        }
        if lower == "/v3/networkdesign/validate" {
            return Some(RouteGroup::Validate);
        }
        if lower == "/v3/networkdesign/buy" || lower == "/v4/networkdesign/buy" {
            return Some(RouteGroup::Buy);
        }
        None
    }
}

/// What happens to a request hit by a fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delay the request by `ms` before handling it (combines with the other kinds).
    Latency { ms: u64 },
    /// Answer with this status (e.g. 500, 502, 503) and a Megaport error body, with a
    /// `Retry-After` header when given (seconds or an HTTP date, verbatim); nothing is done.
    Status {
        code: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
    },
    /// Answer 429 with a `Retry-After` header; nothing is done.
    RateLimit { retry_after_seconds: u64 },
    /// Handle the request (a buy IS committed), then close the connection without a response.
    DropAfterCommit,
    /// Handle the request (a buy IS committed), then never answer: the caller times out.
    HangAfterCommit,
    /// Close the connection without a response; nothing is done.
    DropBeforeCommit,
    /// Same as `drop_before_commit`: the connection closes, nothing is done.
    Reset,
    /// Handle the request, then answer 200 with its body cut in half (a complete HTTP response
    /// whose JSON ends mid-object).
    TruncatedBody,
    /// Answer 200 with an HTML page, as a proxy's error page would be; nothing is done.
    NotJson,
    /// Answer 200 with an envelope whose `data` nests `depth` levels; nothing is done.
    DeepJson {
        #[serde(default = "default_depth")]
        depth: u32,
    },
    /// Handle the request, then answer with every scalar field of each record of `data` of the
    /// wrong type (strings as numbers, numbers and booleans as words).
    WrongTypes,
    /// Answer 200 with a valid JSON list about `bytes` long, streamed without Content-Length;
    /// nothing is done.
    OversizedBody { bytes: u64 },
    /// Handle the request, then send its answer one byte every `interval_ms`.
    SlowBody { interval_ms: u64 },
    /// `products` only: handle the request, then answer with `count` more Ports (copies of the
    /// first with new uids and no VXCs), generated as the body is sent.
    ExtraPorts { count: u32 },
}

fn default_depth() -> u32 {
    100_000
}

/// One configured fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub route: RouteGroup,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Chance (0.0-1.0) that a matching request is hit; default 1.0.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Hit at most this many requests; default unlimited.
    #[serde(default)]
    pub count: Option<u32>,
}

impl Fault {
    pub fn new(route: RouteGroup, kind: FaultKind) -> Fault {
        Fault {
            route,
            kind,
            probability: None,
            count: None,
        }
    }
    pub fn with_count(mut self, count: u32) -> Fault {
        self.count = Some(count);
        self
    }
    pub fn with_probability(mut self, p: f64) -> Fault {
        self.probability = Some(p);
        self
    }

    pub fn check(&self) -> Result<(), String> {
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability {p} is outside 0.0-1.0"));
        }
        if let FaultKind::Status { code, .. } = self.kind
            && !(400..=599).contains(&code)
        {
            return Err(format!("status {code} is not an error status (400-599)"));
        }
        match self.kind {
            FaultKind::OversizedBody { bytes: 0 } => Err("bytes must be greater than 0".into()),
            FaultKind::SlowBody { interval_ms: 0 } => {
                Err("interval_ms must be greater than 0".into())
            }
            FaultKind::ExtraPorts { .. } if self.route != RouteGroup::Products => {
                Err("extra_ports applies to the products route only".into())
            }
            _ => Ok(()),
        }
    }
}

/// A configured fault and how often it fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultStatus {
    pub id: u64,
    #[serde(flatten)]
    pub fault: Fault,
    pub fired: u32,
}

/// The outcome for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub latency_ms: u64,
    pub terminal: Option<Terminal>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Terminal {
    Status(u16, Option<String>),
    RateLimit(u64),
    DropBeforeCommit,
    DropAfterCommit,
    HangAfterCommit,
    Body(BadBody),
}

#[derive(Debug)]
pub(crate) struct FaultRegistry {
    faults: Vec<FaultStatus>,
    next_id: u64,
    rng: StdRng,
    /// When each request of each route group arrived, faulted or not: what tests count.
    arrivals: HashMap<RouteGroup, Vec<Instant>>,
}

impl FaultRegistry {
    pub(crate) fn new(rng_seed: u64) -> FaultRegistry {
        FaultRegistry {
            faults: Vec::new(),
            next_id: 1,
            rng: StdRng::seed_from_u64(rng_seed),
            arrivals: HashMap::new(),
        }
    }

    pub(crate) fn add(&mut self, fault: Fault) -> Result<u64, String> {
        fault.check()?;
        let id = self.next_id;
        self.next_id += 1;
        self.faults.push(FaultStatus {
            id,
            fault,
            fired: 0,
        });
        Ok(id)
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn list(&self) -> Vec<FaultStatus> {
        self.faults.clone()
    }

    /// When the requests of `group` arrived, oldest first (`All`: every Megaport route).
    pub(crate) fn arrivals(&self, group: RouteGroup) -> Vec<Instant> {
        let mut arrivals: Vec<Instant> = self
            .arrivals
            .iter()
            .filter(|(route, _)| group == RouteGroup::All || **route == group)
            .flat_map(|(_, times)| times.iter().copied())
            .collect();
        arrivals.sort();
        arrivals
    }

    /// Requests so far by route group.
    pub(crate) fn request_counts(&self) -> BTreeMap<String, usize> {
        self.arrivals
            .iter()
            .map(|(route, times)| (route.name().to_owned(), times.len()))
            .collect()
    }

    /// Records the request, then rolls every fault that matches `group`; the first terminal
    /// fault to fire wins, latencies add.
    pub(crate) fn decide(&mut self, group: RouteGroup) -> Decision {
        self.arrivals.entry(group).or_default().push(Instant::now());
        let mut decision = Decision::default();
        for f in &mut self.faults {
            if f.fault.route != group && f.fault.route != RouteGroup::All {
                continue;
            }
            let is_terminal = !matches!(f.fault.kind, FaultKind::Latency { .. });
            if is_terminal && decision.terminal.is_some() {
                continue;
            }
            if f.fault.count.is_some_and(|c| f.fired >= c) {
                continue;
            }
            let p = f.fault.probability.unwrap_or(1.0);
            let hit = p >= 1.0 || (p > 0.0 && self.rng.random::<f64>() < p);
            if !hit {
                continue;
            }
            f.fired += 1;
            match f.fault.kind {
                FaultKind::Latency { ms } => decision.latency_ms += ms,
                FaultKind::Status {
                    code,
                    ref retry_after,
                } => decision.terminal = Some(Terminal::Status(code, retry_after.clone())),
                FaultKind::RateLimit {
                    retry_after_seconds,
                } => decision.terminal = Some(Terminal::RateLimit(retry_after_seconds)),
                FaultKind::DropAfterCommit => decision.terminal = Some(Terminal::DropAfterCommit),
                FaultKind::HangAfterCommit => decision.terminal = Some(Terminal::HangAfterCommit),
                FaultKind::DropBeforeCommit | FaultKind::Reset => {
                    decision.terminal = Some(Terminal::DropBeforeCommit)
                }
                FaultKind::TruncatedBody => {
                    decision.terminal = Some(Terminal::Body(BadBody::Truncated))
                }
                FaultKind::NotJson => decision.terminal = Some(Terminal::Body(BadBody::NotJson)),
                FaultKind::DeepJson { depth } => {
                    decision.terminal = Some(Terminal::Body(BadBody::Deep(depth)))
                }
                FaultKind::WrongTypes => {
                    decision.terminal = Some(Terminal::Body(BadBody::WrongTypes))
                }
                FaultKind::OversizedBody { bytes } => {
                    decision.terminal = Some(Terminal::Body(BadBody::Oversized(bytes)))
                }
                FaultKind::SlowBody { interval_ms } => {
                    decision.terminal = Some(Terminal::Body(BadBody::Slow(
                        std::time::Duration::from_millis(interval_ms),
                    )))
                }
                FaultKind::ExtraPorts { count } => {
                    decision.terminal = Some(Terminal::Body(BadBody::ExtraPorts(count)))
                }
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn fault_json_shape() {
        let f: Fault = serde_json::from_str(
            r#"{"route":"buy","kind":"rate_limit","retry_after_seconds":3,"count":2}"#,
        )
        .unwrap();
        assert_eq!(f.route, RouteGroup::Buy);
        assert_eq!(
            f.kind,
            FaultKind::RateLimit {
                retry_after_seconds: 3
            }
        );
        assert_eq!(f.count, Some(2));
        let f: Fault = serde_json::from_str(r#"{"route":"*","kind":"reset"}"#).unwrap();
        assert_eq!(f.route, RouteGroup::All);
        assert!(
            Fault::new(
                RouteGroup::Buy,
                FaultKind::Status {
                    code: 200,
                    retry_after: None
                }
            )
            .check()
            .is_err()
        );
        assert!(
            Fault::new(RouteGroup::Buy, FaultKind::Reset)
                .with_probability(1.5)
                .check()
                .is_err()
        );
    }

    #[test]
    fn count_limits_and_wildcard_match() {
        let mut r = FaultRegistry::new(7);
        r.add(
            Fault::new(
                RouteGroup::All,
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .with_count(2),
        )
        .unwrap();
        r.add(Fault::new(RouteGroup::Buy, FaultKind::Latency { ms: 5 }))
            .unwrap();
        assert_eq!(
            r.decide(RouteGroup::Buy).terminal,
            Some(Terminal::Status(503, None))
        );
        assert_eq!(r.decide(RouteGroup::Products).latency_ms, 0);
        let third = r.decide(RouteGroup::Buy);
        assert_eq!(
            third,
            Decision {
                latency_ms: 5,
                terminal: None
            }
        );
    }

    #[test]
    fn probability_is_reproducible_from_the_seed() {
        let run = |seed| {
            let mut r = FaultRegistry::new(seed);
            r.add(Fault::new(RouteGroup::Buy, FaultKind::Reset).with_probability(0.5))
                .unwrap();
            (0..64)
                .map(|_| r.decide(RouteGroup::Buy).terminal.is_some())
                .collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        let hits = a.iter().filter(|h| **h).count();
        assert!(hits > 10 && hits < 54, "hits {hits}");
    }

    #[test]
    fn classify_routes() {
        let c = RouteGroup::classify;
        assert_eq!(c(&Method::POST, "/oauth2/token"), Some(RouteGroup::Token));
        assert_eq!(
            c(&Method::GET, "/v2/product/port/x/vlan"),
            Some(RouteGroup::PortVlan)
        );
        assert_eq!(c(&Method::GET, "/v2/product/x"), Some(RouteGroup::Product));
        assert_eq!(
            c(&Method::PUT, "/v3/product/vxc/x"),
            Some(RouteGroup::VxcUpdate)
        );
        assert_eq!(
            c(&Method::GET, "/v2/service/key%3Fkey=1"),
            Some(RouteGroup::ServiceKey)
        );
        assert_eq!(
            c(&Method::POST, "/v4/networkdesign/buy"),
            Some(RouteGroup::Buy)
        );
        assert_eq!(c(&Method::POST, "/_sandbox/faults"), None);
    }
}
