//! On-ramp selection: which Port(s) to offer a customer for a VXC of a given rate, by capacity,
//! usage and red/blue diversity. Deterministic: the same inventory always gives the same answer.

use std::cmp::Ordering;

use crate::onramps::{OnRamp, RankingBasis, Zone};
use crate::proximity::{Proximity, ProximityPolicy};
use crate::signals::NoticePhase;

/// The customer's wish for a diverse pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Diversity {
    /// One Port, whatever its zone.
    None,
    /// A red+blue pair if one exists, else one Port.
    Preferred,
    /// A red+blue pair or nothing.
    Required,
}

/// What to do with a Port whose maintenance starts within the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MaintenancePolicy {
    /// Leave it out.
    Reject,
    /// Offer it only after every Port without upcoming maintenance.
    RankLast,
}

/// The provider's rules for a selection (config, and the request's maintenance choice).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Policy {
    /// How far the allocated rate limits may exceed a Port's speed: 1.0 sells no more than
    /// the speed; 2.0 sells twice it.
    pub oversubscription: f64,
    pub maintenance: MaintenancePolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            oversubscription: 1.0,
            maintenance: MaintenancePolicy::RankLast,
        }
    }
}

/// Why a Port was not chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rejection {
    NotLive,
    VxcNotPermitted,
    MaxVxcSpeedBelowRate,
    HeadroomBelowRate,
    ZoneAlreadyUsed,
    RankedLower,
    LocationNotOrderable,
    Outage,
    Maintenance,
    MeasuredHeadroomBelowRate,
}

/// A Port left out, with the first reason that applied and the numbers behind it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rejected {
    pub on_ramp: OnRamp,
    pub reason: Rejection,
    pub detail: String,
}

/// The outcome of a selection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    /// One Port, or a pair in ranking order whose zones differ.
    pub chosen: Vec<OnRamp>,
    pub diversity_satisfied: bool,
    /// Explains a fallback or a missing pair; empty when there is nothing to say.
    pub diversity_message: String,
    pub rejected: Vec<Rejected>,
    /// Says which candidates were ranked on allocated figures for want of fresh telemetry;
    /// empty when all had it.
    pub ranking_message: String,
    /// Where the expected round trips came from, when asked from a customer location; empty
    /// otherwise.
    #[serde(default)]
    pub proximity_message: String,
}

/// Why nothing could be chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectionError {
    /// No Port passed the capacity and permission checks.
    NoEligible { rejected: Vec<Rejected> },
    /// Diversity was required and no red+blue pair passed the checks.
    NoDiversePair {
        rejected: Vec<Rejected>,
        zones: String,
    },
}

/// Chooses among `candidates` for a VXC of `rate_mbps`, nearest to the customer first (or
/// nearness as the tie-break) when `proximity` says where the customer is.
pub fn select(
    mut candidates: Vec<OnRamp>,
    rate_mbps: i64,
    diversity: Diversity,
    policy: &Policy,
    proximity: Option<&Proximity>,
) -> Result<Selection, SelectionError> {
    let ranking_message = ranking_message(&candidates);
    if let Some(proximity) = proximity {
        for on_ramp in &mut candidates {
            on_ramp.expected_rtt = proximity.rtts.get(&on_ramp.port.location.id).copied();
        }
    }
    let mut rejected = Vec::new();
    let mut eligible = Vec::new();
    for on_ramp in candidates {
        match ineligibility(&on_ramp, rate_mbps, policy) {
            Some((reason, detail)) => rejected.push(Rejected {
                on_ramp,
                reason,
                detail,
            }),
            None => eligible.push(on_ramp),
        }
    }
    if eligible.is_empty() {
        return Err(SelectionError::NoEligible { rejected });
    }
    let ranking = Ranking::new(policy, proximity, &eligible);
    eligible.sort_by(|a, b| ranking.compare(a, b));

    let pair = match diversity {
        Diversity::None => None,
        Diversity::Preferred | Diversity::Required => diverse_pair(&eligible),
    };
    let (chosen_indices, diversity_satisfied, diversity_message) = match (diversity, pair) {
        (Diversity::None, _) => (vec![0], false, String::new()),
        (_, Some((first, second))) => (vec![first, second], true, String::new()),
        (Diversity::Required, None) => {
            let zones = zones_present(&eligible);
            for on_ramp in eligible {
                rejected.push(Rejected {
                    detail: format!(
                        "eligible, but no red+blue pair exists among eligible ports (zones: {zones})"
                    ),
                    on_ramp,
                    reason: Rejection::ZoneAlreadyUsed,
                });
            }
            return Err(SelectionError::NoDiversePair { rejected, zones });
        }
        (Diversity::Preferred, None) => (
            vec![0],
            false,
            format!(
                "no red+blue pair is eligible (zones: {}); offering the single best port",
                zones_present(&eligible)
            ),
        ),
    };

    let mut chosen = Vec::new();
    for (index, on_ramp) in eligible.into_iter().enumerate() {
        if chosen_indices.contains(&index) {
            chosen.push(on_ramp);
            continue;
        }
        // With a pair chosen, every other Port is in a zone already used or in no zone at all.
        let (reason, detail) = if diversity_satisfied {
            (
                Rejection::ZoneAlreadyUsed,
                match on_ramp.port.zone {
                    Zone::None => "eligible, but the port has no diversity zone".to_owned(),
                    zone => format!(
                        "eligible, but a better-ranked port in the {} zone was chosen",
                        zone_name(zone)
                    ),
                },
            )
        } else {
            (Rejection::RankedLower, ranking.ranked_lower(&on_ramp))
        };
        rejected.push(Rejected {
            on_ramp,
            reason,
            detail,
        });
    }
    // Chosen ones come out in the order they were pushed, which is ranking order.
    Ok(Selection {
        chosen,
        diversity_satisfied,
        diversity_message,
        rejected,
        ranking_message,
        proximity_message: proximity.map(|p| p.message.clone()).unwrap_or_default(),
    })
}

/// The order eligible Ports are offered in: maintenance (with rank-last) first, then nearness
/// when the customer's location is known and the policy puts it first, then usage, with
/// nearness as the tie-break under capacity-first.
struct Ranking {
    rank_last: bool,
    proximity: Option<ProximityPolicy>,
    /// The nearest eligible round trip plus the tolerance: what counts as "nearest".
    near_within_ms: f64,
}

impl Ranking {
    fn new(policy: &Policy, proximity: Option<&Proximity>, eligible: &[OnRamp]) -> Self {
        let nearest = eligible
            .iter()
            .filter_map(|on_ramp| on_ramp.expected_rtt.map(|rtt| rtt.ms))
            .fold(f64::INFINITY, f64::min);
        Self {
            rank_last: policy.maintenance == MaintenancePolicy::RankLast,
            proximity: proximity.map(|proximity| proximity.policy),
            near_within_ms: nearest + proximity.map_or(0.0, |p| p.tolerance_ms),
        }
    }

    fn upcoming(&self, on_ramp: &OnRamp) -> bool {
        self.rank_last && on_ramp.notice(NoticePhase::Upcoming).is_some()
    }

    /// Nearest first: Ports within the tolerance of the nearest are equals (0.0); farther
    /// ones by their round trip; Ports with no figure last.
    fn distance(&self, on_ramp: &OnRamp) -> f64 {
        match on_ramp.expected_rtt {
            Some(rtt) if rtt.ms <= self.near_within_ms => 0.0,
            Some(rtt) => rtt.ms,
            None => f64::INFINITY,
        }
    }

    /// Lower estimated utilisation (measured p95 with fresh telemetry, else allocated), then
    /// lower allocated utilisation, fewer VXCs, name, uid (so ties never depend on input order).
    fn compare(&self, a: &OnRamp, b: &OnRamp) -> Ordering {
        let rtt = |on_ramp: &OnRamp| on_ramp.expected_rtt.map_or(f64::INFINITY, |rtt| rtt.ms);
        let nearness = match self.proximity {
            Some(ProximityPolicy::NearestFirst) => self.distance(a).total_cmp(&self.distance(b)),
            _ => Ordering::Equal,
        };
        let tie_break = match self.proximity {
            Some(ProximityPolicy::CapacityFirst) => rtt(a).total_cmp(&rtt(b)),
            _ => Ordering::Equal,
        };
        self.upcoming(a)
            .cmp(&self.upcoming(b))
            .then(nearness)
            .then(
                a.estimated_utilisation()
                    .total_cmp(&b.estimated_utilisation()),
            )
            .then(tie_break)
            .then(a.utilisation.total_cmp(&b.utilisation))
            .then(a.vxc_count.cmp(&b.vxc_count))
            .then_with(|| a.port.name.cmp(&b.port.name))
            .then_with(|| a.port.uid.cmp(&b.port.uid))
    }

    /// The figures a Port was ranked on, for a RankedLower detail: its round trip, both the
    /// measured and the allocated usage, and the maintenance that put it last.
    fn ranked_lower(&self, on_ramp: &OnRamp) -> String {
        let percent = |mbps: f64| {
            #[allow(clippy::cast_precision_loss)] // Mbps figures are far below 2^52
            let speed = on_ramp.port.speed_mbps.max(1) as f64;
            mbps / speed * 100.0
        };
        #[allow(clippy::cast_precision_loss)]
        let allocated = format!(
            "allocated {} mbps ({:.1}%)",
            on_ramp.allocated_mbps,
            percent(on_ramp.allocated_mbps as f64)
        );
        let usage = match on_ramp.fresh_measurement() {
            Some(measured) => format!(
                "measured p95 {:.0} mbps ({:.1}%) over {} days, {allocated}, {} vxcs",
                measured.p95_mbps,
                percent(measured.p95_mbps),
                measured.window_days,
                on_ramp.vxc_count
            ),
            None => format!(
                "{allocated}, {} vxcs; no fresh telemetry, ranked on allocation",
                on_ramp.vxc_count
            ),
        };
        let figures = match (self.proximity, on_ramp.expected_rtt) {
            (None, _) => usage,
            (Some(_), Some(rtt)) => format!("expected rtt {}, {usage}", rtt.describe()),
            (Some(_), None) => format!("expected rtt unknown, {usage}"),
        };
        match on_ramp.notice(NoticePhase::Upcoming) {
            Some(notice) if self.rank_last => {
                format!(
                    "eligible, but ranked last for {} ({figures})",
                    notice.describe()
                )
            }
            _ => format!("eligible, but ranked lower ({figures})"),
        }
    }
}

/// Names the candidates ranked on allocation because their telemetry is missing or stale.
fn ranking_message(candidates: &[OnRamp]) -> String {
    let allocated: Vec<&OnRamp> = candidates
        .iter()
        .filter(|on_ramp| on_ramp.port.is_live())
        .filter(|on_ramp| on_ramp.ranking_basis() == RankingBasis::Allocated)
        .collect();
    if allocated.is_empty() {
        return String::new();
    }
    let names: Vec<String> = allocated
        .iter()
        .map(|on_ramp| {
            let why = match &on_ramp.measured {
                Some(_) => "stale",
                None => "missing",
            };
            format!("{} ({why})", on_ramp.port.name)
        })
        .collect();
    format!(
        "telemetry missing or stale for {} of {} live ports, ranked on allocated figures instead: {}",
        allocated.len(),
        candidates
            .iter()
            .filter(|on_ramp| on_ramp.port.is_live())
            .count(),
        names.join(", ")
    )
}

/// The first rule that excludes the Port, if any.
fn ineligibility(on_ramp: &OnRamp, rate_mbps: i64, policy: &Policy) -> Option<(Rejection, String)> {
    let port = &on_ramp.port;
    if !port.is_live() {
        return Some((
            Rejection::NotLive,
            format!("port is {:?}, not live", port.status).to_lowercase(),
        ));
    }
    if !port.location.orderable() {
        let message = match port.location.ordering_message.trim() {
            "" => String::new(),
            message => format!(": {message}"),
        };
        return Some((
            Rejection::LocationNotOrderable,
            format!(
                "location {} is {}, not orderable{message}",
                port.location.name,
                port.location.status.to_lowercase()
            ),
        ));
    }
    if let Some(notice) = on_ramp.notice(NoticePhase::Ongoing) {
        let reason = match notice.kind {
            crate::signals::NoticeKind::Outage => Rejection::Outage,
            crate::signals::NoticeKind::Maintenance => Rejection::Maintenance,
        };
        return Some((reason, format!("port is in {}", notice.describe())));
    }
    if policy.maintenance == MaintenancePolicy::Reject
        && let Some(notice) = on_ramp.notice(NoticePhase::Upcoming)
    {
        return Some((
            Rejection::Maintenance,
            format!("port has {} within the horizon", notice.describe()),
        ));
    }
    if !port.vxc_permitted {
        return Some((
            Rejection::VxcNotPermitted,
            "port does not permit vxcs".to_owned(),
        ));
    }
    let max_vxc = port.effective_max_vxc_speed_mbps();
    if max_vxc < rate_mbps {
        return Some((
            Rejection::MaxVxcSpeedBelowRate,
            format!("max vxc speed {max_vxc} mbps below rate {rate_mbps} mbps"),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // Mbps figures
    let sellable = (port.speed_mbps as f64 * policy.oversubscription).floor() as i64;
    let headroom = (sellable - on_ramp.allocated_mbps).max(0);
    if headroom < rate_mbps {
        let oversold = if sellable == port.speed_mbps {
            String::new()
        } else {
            format!(
                " (speed {} mbps x oversubscription {})",
                port.speed_mbps, policy.oversubscription
            )
        };
        return Some((
            Rejection::HeadroomBelowRate,
            format!("headroom {headroom} mbps{oversold} below rate {rate_mbps} mbps"),
        ));
    }
    if let Some(measured) = on_ramp.fresh_measurement() {
        #[allow(clippy::cast_precision_loss)]
        let free = port.speed_mbps as f64 - measured.p95_mbps;
        #[allow(clippy::cast_precision_loss)]
        if free < rate_mbps as f64 {
            return Some((
                Rejection::MeasuredHeadroomBelowRate,
                format!(
                    "measured p95 {:.0} mbps over {} days leaves {:.0} mbps of {} mbps, below rate {rate_mbps} mbps",
                    measured.p95_mbps,
                    measured.window_days,
                    free.max(0.0),
                    port.speed_mbps
                ),
            ));
        }
    }
    None
}

/// Indices (into the ranked list) of the best red and the best blue Port, best first.
fn diverse_pair(ranked: &[OnRamp]) -> Option<(usize, usize)> {
    let best_in = |zone: Zone| ranked.iter().position(|on_ramp| on_ramp.port.zone == zone);
    let (red, blue) = (best_in(Zone::Red)?, best_in(Zone::Blue)?);
    Some((red.min(blue), red.max(blue)))
}

fn zones_present(ranked: &[OnRamp]) -> String {
    let mut zones: Vec<&str> = ranked
        .iter()
        .map(|on_ramp| zone_name(on_ramp.port.zone))
        .collect();
    zones.sort_unstable();
    zones.dedup();
    zones.join(", ")
}

fn zone_name(zone: Zone) -> &'static str {
    match zone {
        Zone::Red => "red",
        Zone::Blue => "blue",
        Zone::None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onramps::Port;
    use crate::onramps::fixtures::{guide_ports, location, port, vxc};

    fn on_ramps(ports: Vec<Port>) -> Vec<OnRamp> {
        ports
            .into_iter()
            .map(|port| OnRamp::from_port(port, vec![]))
            .collect()
    }

    fn los_angeles() -> Vec<OnRamp> {
        on_ramps(
            guide_ports()
                .into_iter()
                .filter(|port| port.location.metro == "Los Angeles")
                .collect(),
        )
    }

    fn uids(on_ramps: &[OnRamp]) -> Vec<&str> {
        on_ramps
            .iter()
            .map(|on_ramp| on_ramp.port.uid.as_str())
            .collect()
    }

    #[test]
    fn diversity_picks_one_port_per_zone_best_first() {
        let selection = select(
            los_angeles(),
            500,
            Diversity::Required,
            &Policy::default(),
            None,
        )
        .expect("pair");
        assert_eq!(uids(&selection.chosen), ["la1", "la2"]);
        assert!(selection.diversity_satisfied);
        let building = &selection.rejected[0];
        assert_eq!(building.on_ramp.port.uid, "la3");
        assert_eq!(building.reason, Rejection::NotLive);
    }

    #[test]
    fn a_pair_is_best_ranked_first_whichever_zone_that_is() {
        // The guide's blue la1 is idler than red la2; load la1 so red ranks first.
        let mut ports = los_angeles();
        let la1 = ports
            .iter_mut()
            .find(|on_ramp| on_ramp.port.uid == "la1")
            .expect("la1");
        la1.port.vxcs.push(vxc("busy", 8000, 42));
        let ports = on_ramps(ports.into_iter().map(|on_ramp| on_ramp.port).collect());
        let selection =
            select(ports, 500, Diversity::Required, &Policy::default(), None).expect("pair");
        assert_eq!(uids(&selection.chosen), ["la2", "la1"]);
        assert_eq!(selection.chosen[0].port.zone, Zone::Red);
    }

    #[test]
    fn without_diversity_the_least_used_port_wins() {
        let selection = select(
            los_angeles(),
            500,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["la1"]);
        let la2 = selection
            .rejected
            .iter()
            .find(|rejected| rejected.on_ramp.port.uid == "la2")
            .expect("la2 rejected");
        assert_eq!(la2.reason, Rejection::RankedLower);
    }

    #[test]
    fn rate_above_headroom_or_max_vxc_speed_is_rejected_with_numbers() {
        let mut small = port(
            "small",
            location(59, "Equinix LA1", "Los Angeles", "USA"),
            Zone::Blue,
        );
        small.speed_mbps = 1000;
        small.max_vxc_speed_mbps = 1000;
        let mut full = port(
            "full",
            location(60, "CoreSite LA1", "Los Angeles", "USA"),
            Zone::Red,
        );
        full.vxcs = vec![vxc("v", 9800, 10)];
        let error = select(
            on_ramps(vec![small, full]),
            2000,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect_err("nothing fits");
        let SelectionError::NoEligible { rejected } = error else {
            panic!("expected NoEligible");
        };
        assert_eq!(rejected[0].reason, Rejection::MaxVxcSpeedBelowRate);
        assert_eq!(
            rejected[0].detail,
            "max vxc speed 1000 mbps below rate 2000 mbps"
        );
        assert_eq!(rejected[1].reason, Rejection::HeadroomBelowRate);
        assert_eq!(rejected[1].detail, "headroom 200 mbps below rate 2000 mbps");
    }

    #[test]
    fn vxc_not_permitted_is_rejected() {
        let sydney: Vec<_> = guide_ports()
            .into_iter()
            .filter(|p| p.uid == "syd")
            .collect();
        let error = select(
            on_ramps(sydney),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect_err("refused");
        let SelectionError::NoEligible { rejected } = error else {
            panic!("expected NoEligible");
        };
        assert_eq!(rejected[0].reason, Rejection::VxcNotPermitted);
    }

    #[test]
    fn preferred_falls_back_to_one_port_and_says_so() {
        let blue_only: Vec<_> = los_angeles()
            .into_iter()
            .filter(|on_ramp| on_ramp.port.zone == Zone::Blue)
            .collect();
        let selection = select(
            blue_only.clone(),
            100,
            Diversity::Preferred,
            &Policy::default(),
            None,
        )
        .expect("fallback");
        assert_eq!(uids(&selection.chosen), ["la1"]);
        assert!(!selection.diversity_satisfied);
        assert!(selection.diversity_message.contains("no red+blue pair"));

        let error = select(
            blue_only,
            100,
            Diversity::Required,
            &Policy::default(),
            None,
        )
        .expect_err("no pair");
        assert!(matches!(error, SelectionError::NoDiversePair { .. }));
    }

    #[test]
    fn ties_break_on_vxc_count_then_name() {
        let mut b = port("b", location(1, "x", "m", "c"), Zone::Red);
        b.name = "Bravo".into();
        let mut a = port("a", location(1, "x", "m", "c"), Zone::Red);
        a.name = "Alpha".into();
        let mut busy = port("c", location(1, "x", "m", "c"), Zone::Red);
        busy.name = "Aardvark".into();
        busy.vxcs = vec![vxc("1", 0, 5)];
        let selection = select(
            on_ramps(vec![b, busy, a]),
            1,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["a"]);
        let order: Vec<_> = selection
            .rejected
            .iter()
            .map(|r| r.on_ramp.port.uid.as_str())
            .collect();
        assert_eq!(order, ["b", "c"]);
    }

    fn measured(p95_mbps: f64, fresh: bool) -> crate::signals::MeasuredTraffic {
        crate::signals::MeasuredTraffic {
            p95_mbps,
            peak_mbps: p95_mbps * 1.02,
            window_days: 7,
            sample_count: 2016,
            last_sample_ms: 0,
            collected_ms: 0,
            fresh,
        }
    }

    fn notice(kind: crate::signals::NoticeKind, phase: NoticePhase) -> crate::signals::PortNotice {
        crate::signals::PortNotice {
            kind,
            phase,
            event_id: "CSM-9".into(),
            state: "Scheduled".into(),
            start_ms: Some(0),
            end_ms: Some(3_600_000),
            impact: String::new(),
            purpose: String::new(),
        }
    }

    /// Osaka's busy single VXC and New York's idle larger one, as in the default seed.
    fn osaka_and_new_york(fresh: bool) -> Vec<OnRamp> {
        let mut osa = port(
            "osa",
            location(63, "Equinix OS1", "Osaka", "Japan"),
            Zone::Blue,
        );
        osa.vxcs = vec![vxc("o1", 100, 400)];
        let mut ny = port(
            "ny",
            location(61, "Telehouse", "New York", "USA"),
            Zone::Red,
        );
        ny.vxcs = vec![vxc("n1", 200, 300)];
        let mut on_ramps = on_ramps(vec![osa, ny]);
        on_ramps[0].measured = Some(measured(95.0, fresh));
        on_ramps[1].measured = Some(measured(10.0, fresh));
        on_ramps
    }

    #[test]
    fn fresh_telemetry_ranks_on_measured_traffic_and_shows_both_figures() {
        let selection = select(
            osaka_and_new_york(true),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("one");
        assert_eq!(
            uids(&selection.chosen),
            ["ny"],
            "less measured traffic wins"
        );
        assert_eq!(selection.ranking_message, "");
        let osa = &selection.rejected[0];
        assert_eq!(osa.reason, Rejection::RankedLower);
        assert_eq!(
            osa.detail,
            "eligible, but ranked lower (measured p95 95 mbps (0.9%) over 7 days, allocated 100 mbps (1.0%), 1 vxcs)"
        );
    }

    #[test]
    fn stale_telemetry_falls_back_to_allocation_and_says_so() {
        let selection = select(
            osaka_and_new_york(false),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["osa"], "less allocated wins");
        assert_eq!(
            selection.ranking_message,
            "telemetry missing or stale for 2 of 2 live ports, ranked on allocated figures instead: osa port (stale), ny port (stale)"
        );
        assert!(selection.rejected[0].detail.contains("no fresh telemetry"));
    }

    #[test]
    fn measured_traffic_and_oversubscription_bound_the_headroom() {
        let mut on_ramps = osaka_and_new_york(true);
        on_ramps[1].measured = Some(measured(9_950.0, true));
        let error = select(
            on_ramps.clone(),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        );
        let selection = error.expect("osaka still fits");
        assert_eq!(uids(&selection.chosen), ["osa"]);
        let ny = &selection.rejected[0];
        assert_eq!(ny.reason, Rejection::MeasuredHeadroomBelowRate);
        assert_eq!(
            ny.detail,
            "measured p95 9950 mbps over 7 days leaves 50 mbps of 10000 mbps, below rate 100 mbps"
        );
        // Allocation past the speed is sellable only with oversubscription.
        let mut full = on_ramps[0].clone();
        full.allocated_mbps = 10_000;
        let refused = select(
            vec![full.clone()],
            500,
            Diversity::None,
            &Policy::default(),
            None,
        );
        let Err(SelectionError::NoEligible { rejected }) = refused else {
            panic!("expected NoEligible");
        };
        assert_eq!(rejected[0].detail, "headroom 0 mbps below rate 500 mbps");
        let oversold = Policy {
            oversubscription: 2.0,
            ..Policy::default()
        };
        assert!(select(vec![full], 500, Diversity::None, &oversold, None).is_ok());
    }

    #[test]
    fn outages_are_rejected_and_maintenance_follows_the_policy() {
        use crate::signals::NoticeKind;
        let mut on_ramps = osaka_and_new_york(true);
        on_ramps[1].notices = vec![notice(NoticeKind::Outage, NoticePhase::Ongoing)];
        let selection = select(
            on_ramps.clone(),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("osaka");
        assert_eq!(uids(&selection.chosen), ["osa"]);
        assert_eq!(selection.rejected[0].reason, Rejection::Outage);
        assert!(
            selection.rejected[0]
                .detail
                .starts_with("port is in outage CSM-9")
        );

        on_ramps[1].notices = vec![notice(NoticeKind::Maintenance, NoticePhase::Upcoming)];
        on_ramps[0].notices = vec![];
        // New York is idler, so without maintenance it would win; rank-last puts it second.
        let selection = select(
            on_ramps.clone(),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        )
        .expect("osaka");
        assert_eq!(uids(&selection.chosen), ["osa"]);
        assert_eq!(selection.rejected[0].reason, Rejection::RankedLower);
        assert!(
            selection.rejected[0]
                .detail
                .starts_with("eligible, but ranked last for maintenance CSM-9 (scheduled, 1970-01-01T00:00:00Z to 1970-01-01T01:00:00Z)"),
            "{}",
            selection.rejected[0].detail
        );
        let reject = Policy {
            maintenance: MaintenancePolicy::Reject,
            ..Policy::default()
        };
        let selection = select(on_ramps, 100, Diversity::None, &reject, None).expect("osaka");
        assert_eq!(selection.rejected[0].reason, Rejection::Maintenance);
    }

    #[test]
    fn a_location_that_is_not_orderable_is_a_rejection() {
        let mut site = location(990, "Digital Realty LAX12", "Los Angeles", "USA");
        site.status = "Deployment".into();
        site.ordering_message = "Opening in Q3".into();
        let error = select(
            on_ramps(vec![port("new", site, Zone::Red)]),
            100,
            Diversity::None,
            &Policy::default(),
            None,
        );
        let Err(SelectionError::NoEligible { rejected }) = error else {
            panic!("expected NoEligible");
        };
        assert_eq!(rejected[0].reason, Rejection::LocationNotOrderable);
        assert_eq!(
            rejected[0].detail,
            "location Digital Realty LAX12 is deployment, not orderable: Opening in Q3"
        );
    }

    fn from_seattle(policy: ProximityPolicy, la1_ms: f64, la2_ms: f64) -> Proximity {
        use crate::round_trips::{ExpectedRtt, RttSource};
        let median = |ms| ExpectedRtt {
            ms,
            source: RttSource::MegaportMedian,
            month: Some((2026, 11)),
        };
        Proximity {
            from: location(94, "Equinix SE2", "Seattle", "USA"),
            policy,
            tolerance_ms: 2.0,
            rtts: [(59, median(la1_ms)), (60, median(la2_ms))].into(),
            message: "medians".into(),
        }
    }

    #[test]
    fn nearest_first_beats_usage_beyond_the_tolerance_and_says_why() {
        let nearest = from_seattle(ProximityPolicy::NearestFirst, 27.9, 24.6);
        let selection = select(
            los_angeles(),
            500,
            Diversity::None,
            &Policy::default(),
            Some(&nearest),
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["la2"], "nearer by 3.3 ms");
        assert_eq!(
            selection.chosen[0].expected_rtt.map(|rtt| rtt.ms),
            Some(24.6)
        );
        assert_eq!(selection.proximity_message, "medians");
        let la1 = selection
            .rejected
            .iter()
            .find(|rejected| rejected.on_ramp.port.uid == "la1")
            .expect("la1 rejected");
        assert!(
            la1.detail.starts_with(
                "eligible, but ranked lower (expected rtt 27.9 ms (megaport median 2026-11), "
            ),
            "{}",
            la1.detail
        );

        // Within the tolerance the two are equally near, and usage decides.
        let close = from_seattle(ProximityPolicy::NearestFirst, 26.0, 24.6);
        let selection = select(
            los_angeles(),
            500,
            Diversity::None,
            &Policy::default(),
            Some(&close),
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["la1"]);

        // Capacity first: usage decides, nearness only between equals.
        let capacity = from_seattle(ProximityPolicy::CapacityFirst, 27.9, 24.6);
        let selection = select(
            los_angeles(),
            500,
            Diversity::None,
            &Policy::default(),
            Some(&capacity),
        )
        .expect("one");
        assert_eq!(uids(&selection.chosen), ["la1"]);
    }
}
