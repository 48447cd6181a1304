//! Ports as on-ramps: the figures onramp derives from a Port and its VXCs (allocation, headroom,
//! utilisation, VLANs in use), and the country/metro roll-ups of the LIVE ones.

use std::collections::BTreeMap;

use crate::signals::{MeasuredTraffic, NoticePhase, PortNotice, PortSignals};
// `Zone` is defined in `signals` (below this module: it keeps each Port's last known zone) and
// re-exported so `onramps::Zone` stays the path for a Port's zone.
pub use crate::signals::Zone;

/// A Megaport location, as far as onramp cares.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub id: i32,
    pub name: String,
    pub metro: String,
    pub country: String,
    pub market: String,
    /// Megaport's status (Active, New, Extended, Deployment, Restricted, Expired); empty when
    /// Megaport's location list did not say.
    #[serde(default)]
    pub status: String,
    /// Megaport's note on ordering at the site, if any.
    #[serde(default)]
    pub ordering_message: String,
    /// Where the site is, when Megaport says (proximity estimates need it).
    #[serde(default)]
    pub coordinates: Option<crate::round_trips::Coordinates>,
}

/// Location statuses at which Megaport takes new orders.
const ORDERABLE_STATUSES: [&str; 3] = ["Active", "New", "Extended"];

impl Location {
    /// Whether new services can be ordered here. An unknown status counts as orderable: onramp
    /// refuses a site only on Megaport's word.
    pub fn orderable(&self) -> bool {
        self.status.is_empty()
            || ORDERABLE_STATUSES
                .iter()
                .any(|status| status.eq_ignore_ascii_case(self.status.trim()))
    }
}

/// The members of a LAG, which onramp offers as one on-ramp.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lag {
    /// Megaport's aggregationId.
    pub id: i64,
    /// Every member's uid, the primary (the on-ramp's uid) first.
    pub member_uids: Vec<String>,
}

/// Megaport's provisioning status of a Port or VXC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProvisioningStatus {
    New,
    Design,
    Deployable,
    Configured,
    Live,
    Cancelled,
    Decommissioning,
    Decommissioned,
    Other,
}

impl ProvisioningStatus {
    pub fn from_megaport(status: Option<&str>) -> Self {
        match status
            .map(|status| status.trim().to_ascii_uppercase())
            .as_deref()
        {
            Some("NEW") => Self::New,
            Some("DESIGN") => Self::Design,
            Some("DEPLOYABLE") => Self::Deployable,
            Some("CONFIGURED") => Self::Configured,
            Some("LIVE") => Self::Live,
            Some("CANCELLED") => Self::Cancelled,
            Some("DECOMMISSIONING") => Self::Decommissioning,
            Some("DECOMMISSIONED") => Self::Decommissioned,
            _ => Self::Other,
        }
    }

    /// A VXC in one of these states no longer holds capacity or a VLAN on its Ports. A
    /// CANCELLED VXC is not one of them: cancelled at the end of its term, it is in service (and
    /// can be restored) until then.
    pub fn is_gone(self) -> bool {
        matches!(self, Self::Decommissioning | Self::Decommissioned)
    }

    /// Cancelled or gone: it will not be (or stay) LIVE.
    pub fn is_ending(self) -> bool {
        self == Self::Cancelled || self.is_gone()
    }
}

/// A VXC seen from one of its Ports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortVxc {
    pub uid: String,
    pub name: String,
    pub rate_limit_mbps: i64,
    /// The VLAN of the VXC's end on this Port, when tagged.
    pub vlan: Option<i32>,
    pub status: ProvisioningStatus,
    pub create_time: Option<time::OffsetDateTime>,
}

/// What an on-ramp is. A service key can be made for any of Megaport's three kinds; each
/// differs in how a VXC's end on it is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OnRampKind {
    /// A Port: layer 2; its capacity is its speed.
    #[default]
    Port,
    /// A Megaport Cloud Router: layer 3; a VXC's end on it gets interfaces and a BGP session.
    /// Its capacity is its speed (the router's throughput).
    Mcr { asn: i64 },
    /// A Megaport Virtual Edge: a virtual appliance; a VXC's end on it is one of its vNICs.
    /// It has no Port speed: its capacity is its maxVxcSpeed.
    Mve {
        vendor: String,
        size: String,
        vnics: Vec<Vnic>,
    },
}

/// One of an MVE's network interfaces (at most five, fixed when the MVE was made); each carries
/// at most one VXC.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Vnic {
    pub index: i32,
    pub description: String,
    pub vlan: i32,
    /// The VXC on it, if any.
    pub vxc_uid: Option<String>,
}

/// The kinds without their figures: what a request asks for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum KindName {
    Port,
    Mcr,
    Mve,
}

impl KindName {
    pub fn as_str(self) -> &'static str {
        match self {
            KindName::Port => "port",
            KindName::Mcr => "mcr",
            KindName::Mve => "mve",
        }
    }
}

impl OnRampKind {
    pub fn name(&self) -> KindName {
        match self {
            OnRampKind::Port => KindName::Port,
            OnRampKind::Mcr { .. } => KindName::Mcr,
            OnRampKind::Mve { .. } => KindName::Mve,
        }
    }
}

/// One of the provider's on-ramps: a Port, an MCR or an MVE (`kind`). The name stays `Port`:
/// Ports came first, and every kind shares a Port's figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Port {
    #[serde(default)]
    pub kind: OnRampKind,
    pub uid: String,
    pub name: String,
    pub company_name: String,
    pub location: Location,
    pub speed_mbps: i64,
    pub zone: Zone,
    pub vxc_permitted: bool,
    /// 0 when Megaport states no limit below the Port speed.
    pub max_vxc_speed_mbps: i64,
    pub status: ProvisioningStatus,
    pub vxcs: Vec<PortVxc>,
    /// Set when the Port is a LAG: speed and VXCs are then the members' together.
    pub lag: Option<Lag>,
}

impl Port {
    /// The uids Megaport knows this on-ramp by: a LAG's members, or the Port's own.
    pub fn member_uids(&self) -> Vec<&str> {
        match &self.lag {
            Some(lag) => lag.member_uids.iter().map(String::as_str).collect(),
            None => vec![self.uid.as_str()],
        }
    }

    pub fn is_live(&self) -> bool {
        self.status == ProvisioningStatus::Live
    }

    /// The VXCs that still hold capacity and VLANs on the Port.
    pub fn active_vxcs(&self) -> impl Iterator<Item = &PortVxc> {
        self.vxcs.iter().filter(|vxc| !vxc.status.is_gone())
    }

    /// The sum of the rate limits of the VXCs that hold capacity on the Port.
    pub fn allocated_mbps(&self) -> i64 {
        self.active_vxcs()
            .map(|vxc| vxc.rate_limit_mbps.max(0))
            .sum()
    }

    /// The capacity left for another VXC; 0 when the Port is oversubscribed.
    pub fn headroom_mbps(&self) -> i64 {
        (self.speed_mbps - self.allocated_mbps()).max(0)
    }

    /// The fastest single VXC the Port accepts.
    pub fn effective_max_vxc_speed_mbps(&self) -> i64 {
        if self.max_vxc_speed_mbps > 0 {
            self.max_vxc_speed_mbps.min(self.speed_mbps)
        } else {
            self.speed_mbps
        }
    }
}

/// A Port named without its figures: the on-ramp behind a key, or an end of a VXC. Serialisable
/// because keys and orders persist it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortRef {
    pub uid: String,
    pub name: String,
    pub company_name: String,
    /// 0 when unknown.
    pub location_id: i32,
    pub location_name: String,
    pub metro: String,
    pub country: String,
    pub market: String,
    /// What the on-ramp is, when known.
    #[serde(default)]
    pub kind: Option<KindName>,
}

impl PortRef {
    pub fn from_port(port: &Port) -> Self {
        Self {
            kind: Some(port.kind.name()),
            uid: port.uid.clone(),
            name: port.name.clone(),
            company_name: port.company_name.clone(),
            location_id: port.location.id,
            location_name: port.location.name.clone(),
            metro: port.location.metro.clone(),
            country: port.location.country.clone(),
            market: port.location.market.clone(),
        }
    }

    /// Only the uid (and name, when known): for a Port not (or no longer) in the inventory.
    pub fn bare(uid: &str, name: &str) -> Self {
        Self {
            uid: uid.to_owned(),
            name: name.to_owned(),
            ..Self::default()
        }
    }

    pub fn location(&self) -> Location {
        Location {
            id: self.location_id,
            name: self.location_name.clone(),
            metro: self.metro.clone(),
            country: self.country.clone(),
            market: self.market.clone(),
            ..Location::default()
        }
    }
}

/// A Port with the figures selection and callers decide on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OnRamp {
    pub port: Port,
    pub allocated_mbps: i64,
    pub headroom_mbps: i64,
    pub utilisation: f64,
    pub vxc_count: i32,
    pub vlans_in_use: Vec<i32>,
    /// VLANs held by outstanding single-use keys (filled in once keys exist).
    pub reserved_vlans: Vec<i32>,
    /// Names of the regions whose selector matches the Port, ascending.
    pub regions: Vec<String>,
    /// Traffic measured on the Port (the LAG's primary for a LAG), fresh or not.
    pub measured: Option<MeasuredTraffic>,
    /// Ongoing and upcoming maintenance and outages on the Port (any LAG member).
    pub notices: Vec<PortNotice>,
    /// The round trip the customer can expect, when a selection was asked from a location.
    #[serde(default)]
    pub expected_rtt: Option<crate::round_trips::ExpectedRtt>,
    /// Megaport gave no diversity zone; `port.zone` is the last one it gave.
    pub zone_last_known: bool,
}

/// What an on-ramp's ranking figure is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RankingBasis {
    /// The 95th percentile of measured traffic (fresh telemetry).
    Measured,
    /// The allocated rate limits (no fresh telemetry).
    Allocated,
}

impl OnRamp {
    /// Derives the figures from the Port's VXCs.
    pub fn from_port(port: Port, regions: Vec<String>) -> Self {
        let allocated_mbps = port.allocated_mbps();
        let vxc_count = i32::try_from(port.active_vxcs().count()).unwrap_or(i32::MAX);
        let mut vlans_in_use: Vec<i32> = port.active_vxcs().filter_map(|vxc| vxc.vlan).collect();
        vlans_in_use.sort_unstable();
        vlans_in_use.dedup();
        let headroom_mbps = port.headroom_mbps();
        #[allow(clippy::cast_precision_loss)] // Mbps figures are far below 2^52
        let utilisation = if port.speed_mbps > 0 {
            allocated_mbps as f64 / port.speed_mbps as f64
        } else {
            1.0
        };
        Self {
            port,
            allocated_mbps,
            headroom_mbps,
            utilisation,
            vxc_count,
            vlans_in_use,
            reserved_vlans: Vec::new(),
            regions,
            measured: None,
            notices: Vec::new(),
            expected_rtt: None,
            zone_last_known: false,
        }
    }

    /// Adds what the signals know: measured traffic, notices, and the last known zone when
    /// Megaport gave none.
    #[must_use]
    pub fn with_signals(mut self, signals: &PortSignals) -> Self {
        self.measured = signals.traffic.get(&self.port.uid).cloned();
        self.notices = signals.notices_for_any(self.port.member_uids());
        if self.port.zone == Zone::None
            && let Some(zone) = signals.last_known_zones.get(&self.port.uid)
        {
            self.port.zone = *zone;
            self.zone_last_known = true;
        }
        self
    }

    /// The measurement to rank on: fresh telemetry only.
    pub fn fresh_measurement(&self) -> Option<&MeasuredTraffic> {
        self.measured.as_ref().filter(|measured| measured.fresh)
    }

    pub fn ranking_basis(&self) -> RankingBasis {
        if self.fresh_measurement().is_some() {
            RankingBasis::Measured
        } else {
            RankingBasis::Allocated
        }
    }

    /// What ranking compares, lower first: measured p95 / speed with fresh telemetry, else
    /// allocated / speed (the traffic the VXCs could carry at most).
    pub fn estimated_utilisation(&self) -> f64 {
        match self.fresh_measurement() {
            #[allow(clippy::cast_precision_loss)] // Mbps figures are far below 2^52
            Some(measured) if self.port.speed_mbps > 0 => {
                measured.p95_mbps / self.port.speed_mbps as f64
            }
            _ => self.utilisation,
        }
    }

    /// The first notice in the given phase.
    pub fn notice(&self, phase: NoticePhase) -> Option<&PortNotice> {
        self.notices.iter().find(|notice| notice.phase == phase)
    }
}

/// A country with the number of LIVE Ports in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCount {
    pub name: String,
    pub on_ramp_count: i32,
}

/// A metro with its country and the number of LIVE Ports in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetroCount {
    pub name: String,
    pub country: String,
    pub on_ramp_count: i32,
}

/// Countries with LIVE Ports, ascending by name: a stable order for a picker (it does not
/// reshuffle when a Port goes live); the counts are there for callers that rank by them.
pub fn countries(ports: &[Port]) -> Vec<CountryCount> {
    let mut counts: BTreeMap<&str, i32> = BTreeMap::new();
    for port in ports.iter().filter(|port| port.is_live()) {
        *counts.entry(port.location.country.as_str()).or_default() += 1;
    }
    // BTreeMap iterates in key order: ascending by name.
    counts
        .into_iter()
        .map(|(name, on_ramp_count)| CountryCount {
            name: name.to_owned(),
            on_ramp_count,
        })
        .collect()
}

/// Metros with LIVE Ports, optionally in one country (case-insensitive), ascending by country
/// then name.
pub fn metros(ports: &[Port], country: Option<&str>) -> Vec<MetroCount> {
    let mut counts: BTreeMap<(&str, &str), i32> = BTreeMap::new();
    for port in ports.iter().filter(|port| port.is_live()) {
        if country.is_some_and(|country| !port.location.country.eq_ignore_ascii_case(country)) {
            continue;
        }
        *counts
            .entry((port.location.country.as_str(), port.location.metro.as_str()))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((country, name), on_ramp_count)| MetroCount {
            name: name.to_owned(),
            country: country.to_owned(),
            on_ramp_count,
        })
        .collect()
}

#[cfg(any(test, feature = "testing"))]
pub mod fixtures {
    // Named from the crate root: scripts/check-module-cycles.py reads `super` in an inline module
    // as the file's parent, which would be a dependency on lib.rs.
    use crate::onramps::{Location, OnRampKind, Port, PortVxc, ProvisioningStatus, Zone};

    pub fn location(id: i32, name: &str, metro: &str, country: &str) -> Location {
        Location {
            id,
            name: name.to_owned(),
            metro: metro.to_owned(),
            country: country.to_owned(),
            market: String::new(),
            status: "Active".to_owned(),
            ordering_message: String::new(),
            coordinates: None,
        }
    }

    pub fn port(uid: &str, location: Location, zone: Zone) -> Port {
        Port {
            kind: OnRampKind::Port,
            uid: uid.to_owned(),
            name: format!("{uid} port"),
            company_name: "QuantumGPU".to_owned(),
            location,
            speed_mbps: 10_000,
            zone,
            vxc_permitted: true,
            max_vxc_speed_mbps: 10_000,
            status: ProvisioningStatus::Live,
            vxcs: Vec::new(),
            lag: None,
        }
    }

    pub fn vxc(uid: &str, rate_limit_mbps: i64, vlan: i32) -> PortVxc {
        PortVxc {
            uid: uid.to_owned(),
            name: uid.to_owned(),
            rate_limit_mbps,
            vlan: Some(vlan),
            status: ProvisioningStatus::Live,
            create_time: None,
        }
    }

    /// The guide's six Ports plus one that is not LIVE yet.
    pub fn guide_ports() -> Vec<Port> {
        let mut la1 = port(
            "la1",
            location(59, "Equinix LA1", "Los Angeles", "USA"),
            Zone::Blue,
        );
        la1.vxcs = vec![vxc("v1", 1000, 100)];
        let mut la2 = port(
            "la2",
            location(60, "CoreSite LA1", "Los Angeles", "USA"),
            Zone::Red,
        );
        la2.vxcs = vec![vxc("v2", 2000, 100), vxc("v3", 500, 101)];
        let ny = port(
            "ny",
            location(61, "Telehouse", "New York", "USA"),
            Zone::None,
        );
        let lon = port(
            "lon",
            location(62, "Telehouse North", "London", "UK"),
            Zone::Red,
        );
        let osa = port(
            "osa",
            location(63, "Equinix OS1", "Osaka", "Japan"),
            Zone::Blue,
        );
        let mut syd = port(
            "syd",
            location(64, "Global Switch Sydney West", "Sydney", "Australia"),
            Zone::Red,
        );
        syd.vxc_permitted = false;
        let mut building = port(
            "la3",
            location(59, "Equinix LA1", "Los Angeles", "USA"),
            Zone::Red,
        );
        building.status = ProvisioningStatus::Deployable;
        vec![la1, la2, ny, lon, osa, syd, building]
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn figures_come_from_active_vxcs_only() {
        let mut port = port(
            "p",
            location(59, "Equinix LA1", "Los Angeles", "USA"),
            Zone::Blue,
        );
        let mut gone = vxc("old", 4000, 300);
        gone.status = ProvisioningStatus::Decommissioned;
        port.vxcs = vec![vxc("a", 1000, 120), vxc("b", 500, 110), gone];
        let on_ramp = OnRamp::from_port(port, vec![]);
        assert_eq!(on_ramp.allocated_mbps, 1500);
        assert_eq!(on_ramp.headroom_mbps, 8500);
        assert_eq!(on_ramp.vxc_count, 2);
        assert_eq!(on_ramp.vlans_in_use, [110, 120]);
        assert!((on_ramp.utilisation - 0.15).abs() < 1e-9);
    }

    #[test]
    fn oversubscribed_port_has_no_headroom() {
        let mut port = port("p", location(1, "x", "m", "c"), Zone::Red);
        port.speed_mbps = 1000;
        port.vxcs = vec![vxc("a", 1500, 2)];
        let on_ramp = OnRamp::from_port(port, vec![]);
        assert_eq!(on_ramp.headroom_mbps, 0);
        assert!(on_ramp.utilisation > 1.0);
    }

    #[test]
    fn countries_and_metros_follow_the_guide() {
        let ports = guide_ports();
        let names: Vec<_> = countries(&ports).into_iter().map(|c| c.name).collect();
        // Ascending by name, as documented, although the USA has the most Ports.
        assert_eq!(names, ["Australia", "Japan", "UK", "USA"]);
        let all_metros: Vec<_> = metros(&ports, None)
            .into_iter()
            .map(|m| (m.country, m.name))
            .collect();
        let mut sorted = all_metros.clone();
        sorted.sort();
        assert_eq!(all_metros, sorted, "ascending by country then name");
        let usa = metros(&ports, Some("usa"));
        let metro_names: Vec<_> = usa.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(metro_names, ["Los Angeles", "New York"]);
        assert_eq!(
            usa[0].on_ramp_count, 2,
            "the Port still being built is not counted"
        );
    }
}
