//! On-ramp selection: which Port(s) to offer a customer for a VXC of a given rate, by capacity,
//! usage and red/blue diversity. Deterministic: the same inventory always gives the same answer.

use std::cmp::Ordering;

use crate::onramps::{OnRamp, Zone};

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

/// Why a Port was not chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rejection {
    NotLive,
    VxcNotPermitted,
    MaxVxcSpeedBelowRate,
    HeadroomBelowRate,
    ZoneAlreadyUsed,
    RankedLower,
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

/// Chooses among `candidates` for a VXC of `rate_mbps`.
pub fn select(
    candidates: Vec<OnRamp>,
    rate_mbps: i64,
    diversity: Diversity,
) -> Result<Selection, SelectionError> {
    let mut rejected = Vec::new();
    let mut eligible = Vec::new();
    for on_ramp in candidates {
        match ineligibility(&on_ramp, rate_mbps) {
            Some((reason, detail)) => rejected.push(Rejected {
                on_ramp,
                reason,
                detail,
            }),
            None => eligible.push(on_ramp),
        }
    }
    eligible.sort_by(rank);
    if eligible.is_empty() {
        return Err(SelectionError::NoEligible { rejected });
    }

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
            (
                Rejection::RankedLower,
                format!(
                    "eligible, but ranked lower (utilisation {:.1}%, {} vxcs)",
                    on_ramp.utilisation * 100.0,
                    on_ramp.vxc_count
                ),
            )
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
    })
}

/// The first rule that excludes the Port, if any.
fn ineligibility(on_ramp: &OnRamp, rate_mbps: i64) -> Option<(Rejection, String)> {
    let port = &on_ramp.port;
    if !port.is_live() {
        return Some((
            Rejection::NotLive,
            format!("port is {:?}, not live", port.status).to_lowercase(),
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
    if on_ramp.headroom_mbps < rate_mbps {
        return Some((
            Rejection::HeadroomBelowRate,
            format!(
                "headroom {} mbps below rate {rate_mbps} mbps",
                on_ramp.headroom_mbps
            ),
        ));
    }
    None
}

/// Lower utilisation first, then fewer VXCs, then name, then uid (so ties never depend on input
/// order).
fn rank(a: &OnRamp, b: &OnRamp) -> Ordering {
    a.utilisation
        .total_cmp(&b.utilisation)
        .then(a.vxc_count.cmp(&b.vxc_count))
        .then_with(|| a.port.name.cmp(&b.port.name))
        .then_with(|| a.port.uid.cmp(&b.port.uid))
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
        let selection = select(los_angeles(), 500, Diversity::Required).expect("pair");
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
        let selection = select(ports, 500, Diversity::Required).expect("pair");
        assert_eq!(uids(&selection.chosen), ["la2", "la1"]);
        assert_eq!(selection.chosen[0].port.zone, Zone::Red);
    }

    #[test]
    fn without_diversity_the_least_used_port_wins() {
        let selection = select(los_angeles(), 500, Diversity::None).expect("one");
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
        let error =
            select(on_ramps(vec![small, full]), 2000, Diversity::None).expect_err("nothing fits");
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
        let error = select(on_ramps(sydney), 100, Diversity::None).expect_err("refused");
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
        let selection = select(blue_only.clone(), 100, Diversity::Preferred).expect("fallback");
        assert_eq!(uids(&selection.chosen), ["la1"]);
        assert!(!selection.diversity_satisfied);
        assert!(selection.diversity_message.contains("no red+blue pair"));

        let error = select(blue_only, 100, Diversity::Required).expect_err("no pair");
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
        let selection = select(on_ramps(vec![b, busy, a]), 1, Diversity::None).expect("one");
        assert_eq!(uids(&selection.chosen), ["a"]);
        let order: Vec<_> = selection
            .rejected
            .iter()
            .map(|r| r.on_ramp.port.uid.as_str())
            .collect();
        assert_eq!(order, ["b", "c"]);
    }
}
