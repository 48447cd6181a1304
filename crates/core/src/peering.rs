//! Peering profiles: how the provider's end of a VXC bought with a key is configured when the
//! key's on-ramp is an MCR (an interface and a BGP session) or an MVE (a vNIC). A profile is
//! checked when the key is made, so a bad one is refused then and never at approval time; it is
//! kept with the key, and sent to Megaport before the VXC is approved.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldViolation};
use crate::onramps::{OnRampKind, Port};

/// The profile of one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeeringProfile {
    Mcr(McrPeering),
    Mve { vnic_index: i32 },
}

/// An MCR's interface on the VXC; its VLAN is the VXC's B-End VLAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McrPeering {
    /// CIDR, e.g. `169.254.100.1/30`.
    pub interface_addresses: Vec<String>,
    pub bgp: Option<BgpSession>,
}

/// One BGP session of the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BgpSession {
    pub peer_asn: i64,
    pub local_ip_address: String,
    pub peer_ip_address: String,
    /// `None` in every view callers get (see [`PeeringProfile::redacted`]).
    pub password: Option<Password>,
    /// A password is kept (what the redacted view says of it).
    #[serde(default)]
    pub password_set: bool,
    pub bfd: bool,
}

/// A BGP password: its `Debug` never shows it, so no log line, error or panic message can.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An ASN: 0 is not one, and 4294967295 is reserved (RFC 7300).
pub const ASN_MAX: i64 = 4_294_967_294;
/// Megaport's limit on an MCR BGP password's length.
pub const PASSWORD_MAX_CHARS: usize = 25;
/// Interface addresses one interface takes.
pub const MAX_INTERFACE_ADDRESSES: usize = 4;

impl PeeringProfile {
    /// The profile as callers see it: no password, only whether one is kept.
    pub fn redacted(&self) -> PeeringProfile {
        let mut profile = self.clone();
        if let PeeringProfile::Mcr(McrPeering { bgp: Some(bgp), .. }) = &mut profile {
            bgp.password_set = bgp.password.take().is_some() || bgp.password_set;
        }
        profile
    }

    /// Checks the profile against the on-ramp the key is for, naming each wrong field under
    /// `field` (e.g. `peering`). `port` is None when the request names no on-ramp yet
    /// (IssueServiceKeys checks again per chosen on-ramp).
    pub fn check(&self, field: &str, port: Option<&Port>) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        let mut bad = |path: &str, problem: String| {
            violations.push(FieldViolation::new(format!("{field}.{path}"), problem));
        };
        match (self, port.map(|port| &port.kind)) {
            (PeeringProfile::Mcr(_), Some(kind)) if !matches!(kind, OnRampKind::Mcr { .. }) => {
                bad(
                    "mcr",
                    format!("is for an MCR; the on-ramp is a {}", kind_name(kind)),
                );
            }
            (PeeringProfile::Mve { .. }, Some(kind)) if !matches!(kind, OnRampKind::Mve { .. }) => {
                bad(
                    "mve",
                    format!("is for an MVE; the on-ramp is a {}", kind_name(kind)),
                );
            }
            (PeeringProfile::Mcr(mcr), _) => check_mcr(mcr, &mut bad),
            (PeeringProfile::Mve { vnic_index }, kind) => {
                if let Some(OnRampKind::Mve { vnics, .. }) = kind {
                    match vnics.iter().find(|vnic| vnic.index == *vnic_index) {
                        None => bad(
                            "mve.vnic_index",
                            format!(
                                "the mve has vnics 0 to {}, not {vnic_index}",
                                vnics.len().saturating_sub(1)
                            ),
                        ),
                        Some(vnic) => {
                            if let Some(vxc) = &vnic.vxc_uid {
                                bad(
                                    "mve.vnic_index",
                                    format!(
                                        "vnic {vnic_index} already carries vxc {vxc}; each vnic carries one"
                                    ),
                                );
                            }
                        }
                    }
                } else if *vnic_index < 0 {
                    bad("mve.vnic_index", "must be 0 or more".to_owned());
                }
            }
        }
        violations
    }
}

fn kind_name(kind: &OnRampKind) -> &'static str {
    match kind {
        OnRampKind::Port => "port",
        OnRampKind::Mcr { .. } => "mcr",
        OnRampKind::Mve { .. } => "mve",
    }
}

fn check_mcr(mcr: &McrPeering, bad: &mut impl FnMut(&str, String)) {
    if mcr.interface_addresses.is_empty() || mcr.interface_addresses.len() > MAX_INTERFACE_ADDRESSES
    {
        bad(
            "mcr.interface_addresses",
            format!("1 to {MAX_INTERFACE_ADDRESSES} addresses are required"),
        );
    }
    let mut networks = Vec::new();
    for (i, address) in mcr.interface_addresses.iter().enumerate() {
        match cidr(address) {
            Some(network) => networks.push(network),
            None => bad(
                &format!("mcr.interface_addresses[{i}]"),
                format!(
                    "{address:?} is not an address with a prefix length, e.g. 169.254.100.1/30"
                ),
            ),
        }
    }
    let Some(bgp) = &mcr.bgp else {
        return;
    };
    if !(1..=ASN_MAX).contains(&bgp.peer_asn) {
        bad(
            "mcr.bgp.peer_asn",
            format!("{} is not an asn: 1 to {ASN_MAX}", bgp.peer_asn),
        );
    }
    let mut addresses = Vec::new();
    for (name, address) in [
        ("local_ip_address", &bgp.local_ip_address),
        ("peer_ip_address", &bgp.peer_ip_address),
    ] {
        match address.parse::<IpAddr>() {
            Ok(ip) => {
                if !networks.is_empty() && !networks.iter().any(|net| net.contains(&ip)) {
                    bad(
                        &format!("mcr.bgp.{name}"),
                        format!("{address} is outside the interface addresses"),
                    );
                }
                addresses.push(ip);
            }
            Err(_) => bad(
                &format!("mcr.bgp.{name}"),
                format!("{address:?} is not an ip address without a prefix length"),
            ),
        }
    }
    if let [local, peer] = addresses[..]
        && local == peer
    {
        bad(
            "mcr.bgp.peer_ip_address",
            "must differ from local_ip_address".to_owned(),
        );
    }
    if let Some(password) = &bgp.password
        && password.0.chars().count() > PASSWORD_MAX_CHARS
    {
        // The password itself is never quoted.
        bad(
            "mcr.bgp.password",
            format!("at most {PASSWORD_MAX_CHARS} characters"),
        );
    }
}

/// An address with its prefix length, as the network it names.
fn cidr(text: &str) -> Option<ipnet::IpNet> {
    let (address, prefix) = text.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    ipnet::IpNet::new(address, prefix).ok()
}

/// How far onramp got with a key's profile on one VXC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for the VXC's approval.
    Pending,
    SentBeforeApproval,
    /// Megaport refused it before approval; sent once the VXC is LIVE.
    AwaitingLive,
    SentAfterLive,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::SentBeforeApproval => "sent_before_approval",
            DeliveryState::AwaitingLive => "awaiting_live",
            DeliveryState::SentAfterLive => "sent_after_live",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            DeliveryState::Pending,
            DeliveryState::SentBeforeApproval,
            DeliveryState::AwaitingLive,
            DeliveryState::SentAfterLive,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// What happened to a profile on one VXC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub vxc_uid: String,
    pub key: String,
    pub state: DeliveryState,
    /// Why Megaport refused it, lowercase; empty otherwise.
    pub message: String,
    pub update_time_ms: i64,
}

/// Configures the provider's end of a VXC bought with a key, before the VXC is approved (the
/// order desk's approvals call it, as the approval inbox does).
#[async_trait::async_trait]
pub trait BeforeApproval: Send + Sync {
    async fn before_approval(&self, key: &str, vxc_uid: &str) -> Result<(), Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onramps::{Vnic, fixtures};

    fn mcr_profile(address: &str, peer_asn: i64, peer_ip: &str) -> PeeringProfile {
        PeeringProfile::Mcr(McrPeering {
            interface_addresses: vec![address.to_owned()],
            bgp: Some(BgpSession {
                peer_asn,
                local_ip_address: "169.254.10.1".to_owned(),
                peer_ip_address: peer_ip.to_owned(),
                password: Some(Password("hunter2-bgp".to_owned())),
                password_set: false,
                bfd: true,
            }),
        })
    }

    fn on_ramp(kind: OnRampKind) -> Port {
        Port {
            kind,
            ..fixtures::port(
                "p",
                fixtures::location(59, "Equinix LA1", "Los Angeles", "USA"),
                crate::onramps::Zone::Red,
            )
        }
    }

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_good_mcr_profile_passes_and_each_bad_field_is_named() {
        let mcr = on_ramp(OnRampKind::Mcr { asn: 133_937 });
        assert!(
            mcr_profile("169.254.10.1/30", 64512, "169.254.10.2")
                .check("peering", Some(&mcr))
                .is_empty()
        );
        let no_mask =
            mcr_profile("169.254.10.1", 64512, "169.254.10.2").check("peering", Some(&mcr));
        assert!(fields(&no_mask).contains(&"peering.mcr.interface_addresses[0]"));
        let asn = mcr_profile("169.254.10.1/30", 0, "169.254.10.2").check("peering", Some(&mcr));
        assert_eq!(fields(&asn), ["peering.mcr.bgp.peer_asn"]);
        let outside =
            mcr_profile("169.254.10.1/30", 64512, "10.0.0.2").check("peering", Some(&mcr));
        assert_eq!(fields(&outside), ["peering.mcr.bgp.peer_ip_address"]);
        let masked =
            mcr_profile("169.254.10.1/30", 64512, "169.254.10.2/30").check("peering", None);
        assert_eq!(fields(&masked), ["peering.mcr.bgp.peer_ip_address"]);
        // The kind must match the on-ramp's.
        let port = on_ramp(OnRampKind::Port);
        assert_eq!(
            fields(
                &mcr_profile("169.254.10.1/30", 64512, "169.254.10.2")
                    .check("peering", Some(&port))
            ),
            ["peering.mcr"]
        );
    }

    #[test]
    fn an_mve_profile_names_a_free_vnic_the_mve_has() {
        let vnic = |index, vxc: Option<&str>| Vnic {
            index,
            description: String::new(),
            vlan: 0,
            vxc_uid: vxc.map(str::to_owned),
        };
        let mve = on_ramp(OnRampKind::Mve {
            vendor: "PALO_ALTO".into(),
            size: "SMALL".into(),
            vnics: vec![vnic(0, Some("vxc-1")), vnic(1, None)],
        });
        let at = |index| PeeringProfile::Mve { vnic_index: index }.check("peering", Some(&mve));
        assert!(at(1).is_empty());
        assert!(at(0)[0].description.contains("already carries vxc vxc-1"));
        assert!(at(5)[0].description.contains("vnics 0 to 1"));
    }

    #[test]
    fn the_password_never_shows_in_debug_or_redacted_views() {
        let profile = mcr_profile("169.254.10.1/30", 64512, "169.254.10.2");
        assert!(!format!("{profile:?}").contains("hunter2-bgp"));
        let redacted = profile.redacted();
        assert!(
            !serde_json::to_string(&redacted)
                .unwrap()
                .contains("hunter2-bgp")
        );
        let PeeringProfile::Mcr(McrPeering { bgp: Some(bgp), .. }) = redacted else {
            panic!("an mcr profile");
        };
        assert!(bgp.password_set && bgp.password.is_none());
    }
}
