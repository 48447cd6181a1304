//! How near each on-ramp is to the customer: an expected round trip per on-ramp location, from
//! an operator's pinned figure, else Megaport's monthly median, else a great-circle estimate
//! from the locations' coordinates, each with its source so a ranking on it is explained.
//!
//! Megaport publishes medians per source location and month, after the month ends: the book
//! asks for last month's (one request per customer location per month, kept for the month),
//! falls back a month when that is empty, and after a failed request uses estimates for a
//! while before asking again, so a fault costs no more requests than a success.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::{Month, OffsetDateTime};

use crate::error::Error;
use crate::onramps::Location;
use crate::round_trips::{ExpectedRtt, RttSource, geo_estimate_ms};

/// How nearness weighs against capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ProximityPolicy {
    /// The nearest eligible on-ramps first (those within the tolerance of the nearest count as
    /// equally near and are ranked by capacity).
    NearestFirst,
    /// Capacity first; a nearer on-ramp wins only between equally used ones.
    CapacityFirst,
}

/// An expected round trip the operator pins: from a customer location to the on-ramps of a
/// region (all of them, or those at one location).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RttOverride {
    pub region: String,
    pub from_location_id: i32,
    pub to_location_id: Option<i32>,
    pub rtt_ms: f64,
}

/// What a selection ranks nearness on: the customer's location, the policy, and the expected
/// round trip to each candidate location that has one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Proximity {
    pub from: Location,
    pub policy: ProximityPolicy,
    /// Round trips within this of the nearest count as equally near (NearestFirst).
    pub tolerance_ms: f64,
    /// By on-ramp location id.
    pub rtts: BTreeMap<i32, ExpectedRtt>,
    /// Where the figures came from, lowercase, for the response.
    pub message: String,
}

/// Megaport's monthly medians and where a customer's Port is: what proximity asks upstream.
#[async_trait::async_trait]
pub trait RttUpstream: Send + Sync + 'static {
    /// Median round trips from `from` to every location Megaport measured in that month, in
    /// ms (empty when it published none).
    async fn monthly_medians(
        &self,
        from: i32,
        year: i32,
        month: Month,
    ) -> Result<Vec<(i32, f64)>, Error>;
    /// The Megaport location of a Port (anyone's), `None` when Megaport has no such Port.
    async fn port_location(&self, port_uid: &str) -> Result<Option<i32>, Error>;
}

/// After a failed medians request, estimates are used this long before asking again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(300);
/// Ports do not move: a customer Port's location is kept this long.
const PORT_LOCATION_KEPT: Duration = Duration::from_secs(24 * 3600);
/// Months of medians kept per location (the current fallback pair, and one more).
const MONTHS_KEPT: i32 = 3;

type Medians = Arc<BTreeMap<i32, f64>>;

enum Cached {
    Medians(Medians),
    Failed(Instant),
}

/// The medians asked of Megaport, by (source location, year, month), and customer Ports'
/// locations. Medians are Megaport's published history, not state onramp shares between
/// replicas: each replica keeps its own, at one request per location per month.
pub struct RttBook {
    upstream: Arc<dyn RttUpstream>,
    overrides: Vec<RttOverride>,
    months: Mutex<HashMap<(i32, i32, Month), Cached>>,
    ports: Mutex<HashMap<String, (i32, Instant)>>,
    /// One medians request at a time, so concurrent selections from a new location ask once.
    asking: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for RttBook {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RttBook").finish_non_exhaustive()
    }
}

/// The month before `(year, month)`.
fn previous(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::January => (year - 1, Month::December),
        month => (year, month.previous()),
    }
}

impl RttBook {
    pub fn new(upstream: Arc<dyn RttUpstream>, overrides: Vec<RttOverride>) -> Self {
        Self {
            upstream,
            overrides,
            months: Mutex::default(),
            ports: Mutex::default(),
            asking: tokio::sync::Mutex::new(()),
        }
    }

    /// The Megaport location of a customer's Port, asked once a day per Port.
    pub async fn port_location(&self, port_uid: &str) -> Result<Option<i32>, Error> {
        if let Some((location, at)) = self.lock_ports().get(port_uid)
            && at.elapsed() < PORT_LOCATION_KEPT
        {
            return Ok(Some(*location));
        }
        let location = self.upstream.port_location(port_uid).await?;
        if let Some(location) = location {
            let mut ports = self.lock_ports();
            if ports.len() >= 10_000 {
                ports.clear();
            }
            ports.insert(port_uid.to_owned(), (location, Instant::now()));
        }
        Ok(location)
    }

    /// The expected round trips from `from` to `to` (on-ramp locations), for a selection in
    /// `region` (whose overrides apply) at `now`.
    pub async fn proximity(
        &self,
        from: &Location,
        to: &[&Location],
        region: Option<&str>,
        policy: ProximityPolicy,
        tolerance_ms: f64,
        now: OffsetDateTime,
    ) -> Proximity {
        let (medians, mut message) = match self.medians_from(from.id, now).await {
            Ok(Some((month, medians))) => (
                Some((month, medians)),
                format!(
                    "expected round trips from {} ({}) are megaport's medians for {}-{:02}",
                    from.name,
                    from.id,
                    month.0,
                    u8::from(month.1)
                ),
            ),
            Ok(None) => (
                None,
                format!(
                    "megaport published no round-trip medians from {} ({}) for the last two months; expected round trips are geographic estimates",
                    from.name, from.id
                ),
            ),
            Err(problem) => (
                None,
                format!(
                    "megaport's round-trip medians from {} ({}) are unavailable ({problem}); expected round trips are geographic estimates",
                    from.name, from.id
                ),
            ),
        };
        let mut rtts = BTreeMap::new();
        let mut pinned = 0;
        for location in to {
            let pin = self.overrides.iter().find(|pin| {
                region.is_some_and(|region| pin.region == region)
                    && pin.from_location_id == from.id
                    && pin.to_location_id.is_none_or(|id| id == location.id)
            });
            let median = medians
                .as_ref()
                .and_then(|(month, medians)| Some((*month, *medians.get(&location.id)?)));
            let expected = match (pin, median) {
                (Some(pin), _) => {
                    pinned += 1;
                    Some(ExpectedRtt {
                        ms: pin.rtt_ms,
                        source: RttSource::OperatorOverride,
                        month: None,
                    })
                }
                (None, Some(((year, month), ms))) => Some(ExpectedRtt {
                    ms,
                    source: RttSource::MegaportMedian,
                    month: Some((year, u8::from(month))),
                }),
                (None, None) => {
                    from.coordinates
                        .zip(location.coordinates)
                        .map(|(a, b)| ExpectedRtt {
                            ms: geo_estimate_ms(a.km_to(b)),
                            source: RttSource::GeoEstimate,
                            month: None,
                        })
                }
            };
            if let Some(expected) = expected {
                rtts.insert(location.id, expected);
            }
        }
        if pinned > 0 {
            message.push_str(&format!("; {pinned} pinned by the operator"));
        }
        Proximity {
            from: from.clone(),
            policy,
            tolerance_ms,
            rtts,
            message,
        }
    }

    /// Last month's medians from `from`, or the month before's when last month has none;
    /// `Ok(None)` when neither has any.
    async fn medians_from(
        &self,
        from: i32,
        now: OffsetDateTime,
    ) -> Result<Option<((i32, Month), Medians)>, String> {
        let last = previous(now.year(), now.month());
        let before = previous(last.0, last.1);
        for month in [last, before] {
            let medians = self.month(from, month).await?;
            if !medians.is_empty() {
                return Ok(Some((month, medians)));
            }
        }
        Ok(None)
    }

    async fn month(&self, from: i32, (year, month): (i32, Month)) -> Result<Medians, String> {
        let key = (from, year, month);
        let cached = |book: &Self| match book.lock_months().get(&key) {
            Some(Cached::Medians(medians)) => Some(Ok(medians.clone())),
            Some(Cached::Failed(at)) if at.elapsed() < RETRY_AFTER_FAILURE => {
                Some(Err("the last request failed; asking again later".to_owned()))
            }
            _ => None,
        };
        if let Some(answer) = cached(self) {
            return answer;
        }
        let _asking = self.asking.lock().await;
        if let Some(answer) = cached(self) {
            return answer;
        }
        let answer = self.upstream.monthly_medians(from, year, month).await;
        let mut months = self.lock_months();
        // Keep recent months only: a provider's customers sit at a bounded set of locations.
        months.retain(|(_, kept_year, kept_month), _| {
            (year * 12 + i32::from(u8::from(month)))
                - (kept_year * 12 + i32::from(u8::from(*kept_month)))
                < MONTHS_KEPT
        });
        match answer {
            Ok(rows) => {
                let medians: Medians = Arc::new(
                    rows.into_iter()
                        .filter(|(_, ms)| ms.is_finite() && *ms >= 0.0)
                        .collect(),
                );
                months.insert(key, Cached::Medians(medians.clone()));
                Ok(medians)
            }
            Err(error) => {
                months.insert(key, Cached::Failed(Instant::now()));
                Err(error.to_string())
            }
        }
    }

    fn lock_months(&self) -> std::sync::MutexGuard<'_, HashMap<(i32, i32, Month), Cached>> {
        // A poisoned lock only means a panic elsewhere; the map is still a valid cache.
        self.months.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_ports(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i32, Instant)>> {
        self.ports.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onramps::fixtures::location;
    use crate::round_trips::Coordinates;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Upstream {
        asked: AtomicUsize,
        fail: bool,
    }

    #[async_trait::async_trait]
    impl RttUpstream for Upstream {
        async fn monthly_medians(
            &self,
            from: i32,
            year: i32,
            month: Month,
        ) -> Result<Vec<(i32, f64)>, Error> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(Error::Unavailable {
                    reason: crate::ErrorReason::UpstreamUnavailable,
                    message: "rtt route is down".into(),
                    retry_after: None,
                });
            }
            // Only October 2026 is published.
            Ok(if (year, month) == (2026, Month::October) {
                vec![(60, 24.6 + f64::from(from) * 0.0)]
            } else {
                vec![]
            })
        }
        async fn port_location(&self, _: &str) -> Result<Option<i32>, Error> {
            Ok(None)
        }
    }

    fn placed(id: i32, lat: f64, lon: f64) -> Location {
        let mut at = location(id, &format!("site {id}"), "m", "USA");
        at.coordinates = Coordinates::from_degrees(lat, lon);
        at
    }

    #[tokio::test]
    async fn medians_fall_back_a_month_then_to_geography_and_are_asked_once_per_month() {
        let upstream = Arc::new(Upstream {
            asked: AtomicUsize::new(0),
            fail: false,
        });
        let book = RttBook::new(upstream.clone(), vec![]);
        let seattle = placed(94, 47.6145, -122.3387);
        let (la2, la1) = (
            placed(60, 34.0479, -118.2558),
            placed(59, 34.0481, -118.2570),
        );
        let december = OffsetDateTime::new_utc(
            time::Date::from_calendar_date(2026, Month::December, 7).expect("date"),
            time::Time::MIDNIGHT,
        );
        for _ in 0..3 {
            let proximity = book
                .proximity(
                    &seattle,
                    &[&la2, &la1],
                    None,
                    ProximityPolicy::NearestFirst,
                    2.0,
                    december,
                )
                .await;
            assert_eq!(
                proximity.rtts[&60],
                ExpectedRtt {
                    ms: 24.6,
                    source: RttSource::MegaportMedian,
                    month: Some((2026, 10))
                }
            );
            let estimate = proximity.rtts[&59];
            assert_eq!(estimate.source, RttSource::GeoEstimate);
            assert!((20.0..30.0).contains(&estimate.ms), "{estimate:?}");
        }
        assert_eq!(
            upstream.asked.load(Ordering::SeqCst),
            2,
            "November (empty) and October, once each"
        );
    }

    #[tokio::test]
    async fn a_failed_request_means_estimates_and_no_second_request_for_a_while() {
        let upstream = Arc::new(Upstream {
            asked: AtomicUsize::new(0),
            fail: true,
        });
        let pin = RttOverride {
            region: "us-west".into(),
            from_location_id: 94,
            to_location_id: Some(59),
            rtt_ms: 9.5,
        };
        let book = RttBook::new(upstream.clone(), vec![pin]);
        let (seattle, la1, la2) = (
            placed(94, 47.6145, -122.3387),
            placed(59, 34.0481, -118.2570),
            location(60, "no coordinates", "m", "USA"),
        );
        for _ in 0..2 {
            let proximity = book
                .proximity(
                    &seattle,
                    &[&la1, &la2],
                    Some("us-west"),
                    ProximityPolicy::NearestFirst,
                    2.0,
                    OffsetDateTime::now_utc(),
                )
                .await;
            assert_eq!(proximity.rtts[&59].source, RttSource::OperatorOverride);
            assert_eq!(proximity.rtts[&59].ms, 9.5);
            assert!(!proximity.rtts.contains_key(&60), "no way to know");
            assert!(
                proximity.message.contains("unavailable") && proximity.message.contains("pinned"),
                "{}",
                proximity.message
            );
        }
        assert_eq!(upstream.asked.load(Ordering::SeqCst), 1);
    }
}
