//! Conversions between domain types and generated protobuf types. Only `api/` uses them.

use prost_types::Timestamp;
use time::OffsetDateTime;

use crate::error::FieldViolation;
use onramp_core::directory::Near;
use onramp_core::onramps::{
    self, KindName, OnRamp, OnRampKind, PortRef, ProvisioningStatus, RankingBasis, Zone,
};
use onramp_core::peering::{
    BgpSession, Delivery, DeliveryState, McrPeering, Password, PeeringProfile,
};
use onramp_core::proximity::ProximityPolicy;
use onramp_core::regions::{Region, Selector};
use onramp_core::round_trips::{ExpectedRtt, RttSource};
use onramp_core::selection::{Diversity, Rejected, Rejection};
use onramp_core::signals::{MeasuredTraffic, NoticeKind, NoticePhase, PortNotice};
use onramp_proto as pb;

pub(super) fn timestamp(time: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: time.unix_timestamp(),
        nanos: i32::try_from(time.nanosecond()).unwrap_or(0),
    }
}

/// `None` for a timestamp outside what `time` can represent.
pub(super) fn time_from(timestamp: &Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(timestamp.seconds) * 1_000_000_000 + i128::from(timestamp.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

pub(super) fn location(location: &onramps::Location) -> pb::Location {
    pb::Location {
        id: location.id,
        name: location.name.clone(),
        metro: location.metro.clone(),
        country: location.country.clone(),
        market: location.market.clone(),
        status: location.status.clone(),
        orderable: location.orderable(),
        ordering_message: location.ordering_message.clone(),
    }
}

fn timestamp_ms(ms: i64) -> Option<Timestamp> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(timestamp)
}

fn measured(measured: &MeasuredTraffic) -> pb::MeasuredTraffic {
    pb::MeasuredTraffic {
        p95_mbps: measured.p95_mbps,
        peak_mbps: measured.peak_mbps,
        window_days: i32::from(measured.window_days),
        sample_count: i32::try_from(measured.sample_count).unwrap_or(i32::MAX),
        last_sample_time: timestamp_ms(measured.last_sample_ms),
        collect_time: timestamp_ms(measured.collected_ms),
        fresh: measured.fresh,
    }
}

pub(super) fn notice(notice: &PortNotice) -> pb::OnRampNotice {
    pb::OnRampNotice {
        kind: match notice.kind {
            NoticeKind::Maintenance => pb::OnRampNoticeKind::Maintenance,
            NoticeKind::Outage => pb::OnRampNoticeKind::Outage,
        }
        .into(),
        event_id: notice.event_id.clone(),
        state: notice.state.clone(),
        ongoing: notice.phase == NoticePhase::Ongoing,
        start_time: notice.start_ms.and_then(timestamp_ms),
        end_time: notice.end_ms.and_then(timestamp_ms),
        impact: notice.impact.clone(),
        purpose: notice.purpose.clone(),
    }
}

/// A Port as keys and orders show it; the location is left out when unknown.
pub(super) fn port_summary(port: &PortRef) -> pb::PortSummary {
    let known = port.location_id != 0 || !port.location_name.is_empty();
    pb::PortSummary {
        port_uid: port.uid.clone(),
        port_name: port.name.clone(),
        location: known.then(|| location(&port.location())),
        company_name: port.company_name.clone(),
        kind: port
            .kind
            .map_or(pb::OnRampKind::Unspecified, kind_name)
            .into(),
    }
}

pub(super) fn kind_name(kind: KindName) -> pb::OnRampKind {
    match kind {
        KindName::Port => pb::OnRampKind::Port,
        KindName::Mcr => pb::OnRampKind::Mcr,
        KindName::Mve => pb::OnRampKind::Mve,
    }
}

/// Requested kinds; UNSPECIFIED and unknown values are refused, naming `field`.
pub(super) fn kinds_from(
    kinds: &[i32],
    field: &str,
    violations: &mut Vec<FieldViolation>,
) -> Vec<KindName> {
    let mut named = Vec::new();
    for (i, value) in kinds.iter().enumerate() {
        match pb::OnRampKind::try_from(*value) {
            Ok(pb::OnRampKind::Port) => named.push(KindName::Port),
            Ok(pb::OnRampKind::Mcr) => named.push(KindName::Mcr),
            Ok(pb::OnRampKind::Mve) => named.push(KindName::Mve),
            _ => violations.push(FieldViolation::new(
                format!("{field}[{i}]"),
                format!("must be ON_RAMP_KIND_PORT, _MCR or _MVE, got {value}"),
            )),
        }
    }
    named
}

/// A profile from a request, checked for what needs no on-ramp (the on-ramp's own checks run
/// when the key is made).
pub(super) fn peering_from(
    profile: Option<pb::PeeringProfile>,
    violations: &mut Vec<FieldViolation>,
) -> Option<PeeringProfile> {
    let profile = match profile?.kind {
        None => {
            violations.push(FieldViolation::new(
                "peering",
                "give mcr (for an mcr) or mve (for an mve), or leave peering unset",
            ));
            return None;
        }
        Some(pb::peering_profile::Kind::Mcr(mcr)) => PeeringProfile::Mcr(McrPeering {
            interface_addresses: mcr.interface_addresses,
            bgp: mcr.bgp.map(|bgp| BgpSession {
                peer_asn: bgp.peer_asn,
                local_ip_address: bgp.local_ip_address,
                peer_ip_address: bgp.peer_ip_address,
                password: (!bgp.password.is_empty()).then_some(Password(bgp.password)),
                password_set: false,
                bfd: bgp.bfd,
            }),
        }),
        Some(pb::peering_profile::Kind::Mve(mve)) => PeeringProfile::Mve {
            vnic_index: mve.vnic_index,
        },
    };
    violations.extend(profile.check("peering", None));
    Some(profile)
}

/// A profile as callers see it: never with its password.
pub(super) fn peering(profile: &PeeringProfile) -> pb::PeeringProfile {
    let kind = match profile.redacted() {
        PeeringProfile::Mcr(mcr) => pb::peering_profile::Kind::Mcr(pb::McrPeering {
            interface_addresses: mcr.interface_addresses,
            bgp: mcr.bgp.map(|bgp| pb::BgpSession {
                peer_asn: bgp.peer_asn,
                local_ip_address: bgp.local_ip_address,
                peer_ip_address: bgp.peer_ip_address,
                password: String::new(),
                password_set: bgp.password_set,
                bfd: bgp.bfd,
            }),
        }),
        PeeringProfile::Mve { vnic_index } => {
            pb::peering_profile::Kind::Mve(pb::MvePeering { vnic_index })
        }
    };
    pb::PeeringProfile { kind: Some(kind) }
}

pub(super) fn delivery(delivery: &Delivery) -> pb::PeeringDelivery {
    pb::PeeringDelivery {
        state: match delivery.state {
            DeliveryState::Pending => pb::PeeringState::Pending,
            DeliveryState::SentBeforeApproval => pb::PeeringState::SentBeforeApproval,
            DeliveryState::AwaitingLive => pb::PeeringState::AwaitingLive,
            DeliveryState::SentAfterLive => pb::PeeringState::SentAfterLive,
            DeliveryState::Failed => pb::PeeringState::Failed,
        }
        .into(),
        message: delivery.message.clone(),
        update_time: OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(delivery.update_time_ms) * 1_000_000,
        )
        .ok()
        .map(timestamp),
    }
}

pub(super) fn zone(zone: Zone) -> pb::DiversityZone {
    match zone {
        Zone::Red => pb::DiversityZone::Red,
        Zone::Blue => pb::DiversityZone::Blue,
        Zone::None => pb::DiversityZone::None,
    }
}

pub(super) fn provisioning_status(status: ProvisioningStatus) -> pb::ProvisioningStatus {
    match status {
        ProvisioningStatus::New => pb::ProvisioningStatus::New,
        ProvisioningStatus::Design => pb::ProvisioningStatus::Design,
        ProvisioningStatus::Deployable => pb::ProvisioningStatus::Deployable,
        ProvisioningStatus::Configured => pb::ProvisioningStatus::Configured,
        ProvisioningStatus::Live => pb::ProvisioningStatus::Live,
        ProvisioningStatus::Cancelled => pb::ProvisioningStatus::Cancelled,
        ProvisioningStatus::Decommissioning => pb::ProvisioningStatus::Decommissioning,
        ProvisioningStatus::Decommissioned => pb::ProvisioningStatus::Decommissioned,
        ProvisioningStatus::Other => pb::ProvisioningStatus::Other,
    }
}

pub(super) fn on_ramp(on_ramp: &OnRamp) -> pb::OnRamp {
    let port = &on_ramp.port;
    pb::OnRamp {
        port_uid: port.uid.clone(),
        port_name: port.name.clone(),
        location: Some(location(&port.location)),
        speed_mbps: port.speed_mbps,
        diversity_zone: zone(port.zone).into(),
        vxc_permitted: port.vxc_permitted,
        max_vxc_speed_mbps: port.max_vxc_speed_mbps,
        allocated_mbps: on_ramp.allocated_mbps,
        headroom_mbps: on_ramp.headroom_mbps,
        utilisation: on_ramp.utilisation,
        vxc_count: on_ramp.vxc_count,
        vlans_in_use: on_ramp.vlans_in_use.clone(),
        provisioning_status: provisioning_status(port.status).into(),
        regions: on_ramp.regions.clone(),
        company_name: port.company_name.clone(),
        reserved_vlans: on_ramp.reserved_vlans.clone(),
        measured: on_ramp.measured.as_ref().map(measured),
        ranking_basis: match on_ramp.ranking_basis() {
            RankingBasis::Measured => pb::RankingBasis::Measured,
            RankingBasis::Allocated => pb::RankingBasis::Allocated,
        }
        .into(),
        estimated_utilisation: on_ramp.estimated_utilisation(),
        notices: on_ramp.notices.iter().map(notice).collect(),
        lag_member_uids: port
            .lag
            .as_ref()
            .map(|lag| lag.member_uids.clone())
            .unwrap_or_default(),
        diversity_zone_last_known: on_ramp.zone_last_known,
        expected_rtt: on_ramp.expected_rtt.as_ref().map(expected_rtt),
        kind: kind_name(port.kind.name()).into(),
        mcr_asn: match &port.kind {
            OnRampKind::Mcr { asn } => *asn,
            _ => 0,
        },
        mve_vendor: match &port.kind {
            OnRampKind::Mve { vendor, .. } => vendor.clone(),
            _ => String::new(),
        },
        mve_size: match &port.kind {
            OnRampKind::Mve { size, .. } => size.clone(),
            _ => String::new(),
        },
        vnics: match &port.kind {
            OnRampKind::Mve { vnics, .. } => vnics
                .iter()
                .map(|vnic| pb::Vnic {
                    index: vnic.index,
                    description: vnic.description.clone(),
                    vlan: vnic.vlan,
                    vxc_uid: vnic.vxc_uid.clone().unwrap_or_default(),
                })
                .collect(),
            _ => Vec::new(),
        },
    }
}

fn expected_rtt(rtt: &ExpectedRtt) -> pb::ExpectedRtt {
    pb::ExpectedRtt {
        milliseconds: rtt.ms,
        source: match rtt.source {
            RttSource::MegaportMedian => pb::RttSource::MegaportMedian,
            RttSource::GeoEstimate => pb::RttSource::GeoEstimate,
            RttSource::OperatorOverride => pb::RttSource::OperatorOverride,
        }
        .into(),
        month: rtt
            .month
            .map(|(year, month)| format!("{year}-{month:02}"))
            .unwrap_or_default(),
    }
}

/// Where the customer is, from a request's `customer` oneof (field names as in both requests).
pub(super) fn near_from(
    location_id: Option<i32>,
    port_uid: Option<String>,
    violations: &mut Vec<FieldViolation>,
) -> Option<Near> {
    match (location_id, port_uid) {
        (Some(id), _) if id < 1 => {
            violations.push(FieldViolation::new(
                "customer_location_id",
                format!("must be a megaport location id (1 or more), got {id}"),
            ));
            None
        }
        (Some(id), _) => Some(Near::Location(id)),
        (None, Some(uid)) => {
            if uuid::Uuid::parse_str(uid.trim()).is_err() {
                violations.push(FieldViolation::new(
                    "customer_port_uid",
                    "must be a megaport product uid (a uuid)",
                ));
                return None;
            }
            Some(Near::Port(uid.trim().to_owned()))
        }
        (None, None) => None,
    }
}

pub(super) fn proximity_from(policy: pb::ProximityPolicy) -> Option<ProximityPolicy> {
    match policy {
        pb::ProximityPolicy::Unspecified => None,
        pb::ProximityPolicy::NearestFirst => Some(ProximityPolicy::NearestFirst),
        pb::ProximityPolicy::CapacityFirst => Some(ProximityPolicy::CapacityFirst),
    }
}

/// A `complement_of` field: empty is unset; otherwise a uuid (a VXC uid or a service key).
pub(super) fn complement_from(uid: &str, violations: &mut Vec<FieldViolation>) -> Option<String> {
    let uid = uid.trim();
    if uid.is_empty() {
        return None;
    }
    if uuid::Uuid::parse_str(uid).is_err() {
        violations.push(FieldViolation::new(
            "complement_of",
            "must be a vxc uid or a service key (a uuid)",
        ));
        return None;
    }
    Some(uid.to_owned())
}

pub(super) fn rejected(rejected: &Rejected) -> pb::RejectedOnRamp {
    let reason = match rejected.reason {
        Rejection::NotLive => pb::RejectionReason::NotLive,
        Rejection::VxcNotPermitted => pb::RejectionReason::VxcNotPermitted,
        Rejection::MaxVxcSpeedBelowRate => pb::RejectionReason::MaxVxcSpeedBelowRate,
        Rejection::HeadroomBelowRate => pb::RejectionReason::HeadroomBelowRate,
        Rejection::ZoneAlreadyUsed => pb::RejectionReason::ZoneAlreadyUsed,
        Rejection::RankedLower => pb::RejectionReason::RankedLower,
        Rejection::LocationNotOrderable => pb::RejectionReason::LocationNotOrderable,
        Rejection::Outage => pb::RejectionReason::Outage,
        Rejection::Maintenance => pb::RejectionReason::Maintenance,
        Rejection::MeasuredHeadroomBelowRate => pb::RejectionReason::MeasuredHeadroomBelowRate,
    };
    pb::RejectedOnRamp {
        on_ramp: Some(on_ramp(&rejected.on_ramp)),
        reason: reason.into(),
        detail: rejected.detail.clone(),
    }
}

/// UNSPECIFIED means NONE, as the proto documents.
pub(super) fn diversity_from(preference: pb::DiversityPreference) -> Diversity {
    match preference {
        pb::DiversityPreference::Unspecified | pb::DiversityPreference::None => Diversity::None,
        pb::DiversityPreference::Preferred => Diversity::Preferred,
        pb::DiversityPreference::Required => Diversity::Required,
    }
}

pub(super) fn selector_from(selector: pb::RegionSelector) -> Selector {
    Selector {
        countries: selector.countries,
        metros: selector.metros,
        location_ids: selector.location_ids,
        port_uids: selector.port_uids,
    }
}

pub(super) fn selector(selector: &Selector) -> pb::RegionSelector {
    pb::RegionSelector {
        countries: selector.countries.clone(),
        metros: selector.metros.clone(),
        location_ids: selector.location_ids.clone(),
        port_uids: selector.port_uids.clone(),
    }
}

pub(super) fn region(region: &Region, port_uids: Vec<String>) -> pb::Region {
    pb::Region {
        name: region.name.clone(),
        display_name: region.display_name.clone(),
        description: region.description.clone(),
        selector: Some(selector(&region.selector)),
        port_uids,
        create_time: Some(timestamp(region.create_time)),
        update_time: Some(timestamp(region.update_time)),
    }
}

pub(super) fn price_quote(quote: &onramp_core::orders::Quote) -> pb::PriceQuote {
    pb::PriceQuote {
        currency: quote.currency.clone(),
        monthly_rate: quote.monthly_rate.clone(),
        monthly_setup: quote.monthly_setup.clone(),
        hourly_rate: quote.hourly_rate.clone(),
        mbps_rate: quote.mbps_rate.clone(),
    }
}
