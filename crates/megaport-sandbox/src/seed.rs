//! The seed file: the inventory the sandbox starts with. The format is documented in
//! `default-seed.toml` (beside this crate's `Cargo.toml`), which is also the default scenario.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The default scenario, compiled in so `onramp sandbox` needs no file.
const DEFAULT_SEED: &str = include_str!("../default-seed.toml");

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("seed is not valid TOML for the sandbox: {0}")]
    Parse(String),
    #[error("seed is inconsistent: {0}")]
    Invalid(String),
}

/// The whole inventory: companies with their API keys, locations, Ports, VXCs and service keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub companies: Vec<SeedCompany>,
    #[serde(default)]
    pub locations: Vec<SeedLocation>,
    #[serde(default)]
    pub ports: Vec<SeedPort>,
    #[serde(default)]
    pub vxcs: Vec<SeedVxc>,
    #[serde(default)]
    pub service_keys: Vec<SeedServiceKey>,
    /// Maintenance and outage events (`/ens/v1/status/...`).
    #[serde(default)]
    pub events: Vec<SeedEvent>,
    /// Measured median round trips between two locations, either way: they replace the
    /// estimate from coordinates that `/v2/locations/rtt` gives otherwise.
    #[serde(default)]
    pub round_trips: Vec<SeedRoundTrip>,
}

/// A median round trip Megaport measured between two locations (milliseconds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedRoundTrip {
    pub between: [i64; 2],
    pub median_ms: f64,
}

/// A Megaport account and the API key it authenticates with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedCompany {
    pub name: String,
    pub uid: String,
    pub id: i64,
    pub client_id: String,
    pub client_secret: String,
}

/// A Megaport location (LocationV3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedLocation {
    pub id: i64,
    pub name: String,
    pub metro: String,
    pub market: String,
    pub country: String,
    pub city: String,
    #[serde(default = "default_location_status")]
    pub status: String,
    pub data_centre: String,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default = "default_zones")]
    pub diversity_zones: Vec<String>,
}

/// What a seeded product is: Megaport's `productType`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum ProductType {
    /// A Port.
    #[default]
    #[serde(rename = "MEGAPORT")]
    Megaport,
    /// A Megaport Cloud Router: layer 3, BGP; `speed` is its throughput.
    #[serde(rename = "MCR2")]
    Mcr2,
    /// A Megaport Virtual Edge: a virtual appliance with vNICs; no Port speed, its capacity is
    /// `max_vxc_speed`.
    #[serde(rename = "MVE")]
    Mve,
}

/// One of an MVE's network interfaces (at most five, fixed at creation).
/// Megaport's limit: "You can configure a maximum of five vNICs on an MVE".
pub const MAX_VNICS: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedVnic {
    pub description: String,
    #[serde(default)]
    pub vlan: i64,
}

/// A Port, an MCR or an MVE (`product_type`; Megaport lists all three in `/v2/products`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedPort {
    #[serde(default)]
    pub product_type: ProductType,
    /// An MCR's ASN (`resources.virtual_router.mcrAsn`); Megaport's default is 133937.
    #[serde(default)]
    pub mcr_asn: Option<i64>,
    /// An MVE's vendor and size (`vendor`, `mveSize`).
    #[serde(default)]
    pub mve_vendor: Option<String>,
    #[serde(default)]
    pub mve_size: Option<String>,
    /// An MVE's vNICs, by index.
    #[serde(default)]
    pub vnics: Vec<SeedVnic>,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    pub company: String,
    pub location_id: i64,
    #[serde(default = "default_speed")]
    pub speed: i64,
    #[serde(default)]
    pub max_vxc_speed: Option<i64>,
    #[serde(default)]
    pub diversity_zone: Option<String>,
    #[serde(default = "default_true")]
    pub vxc_permitted: bool,
    #[serde(default = "default_live")]
    pub status: String,
    /// Members of one LAG share this id (Megaport's `aggregationId`/`lagId`).
    #[serde(default)]
    pub lag_id: Option<i64>,
    /// The member the LAG's VXCs and keys name.
    #[serde(default)]
    pub lag_primary: bool,
    /// Traffic the telemetry route reports at its daily peak, per direction (Mbps); by default
    /// a third of the Port's allocated rate limits.
    #[serde(default)]
    pub traffic_in_mbps: Option<i64>,
    #[serde(default)]
    pub traffic_out_mbps: Option<i64>,
}

impl SeedPort {
    /// A LIVE 10000 Mbps Port that permits VXCs, with a generated uid.
    pub fn new(name: &str, company: &str, location_id: i64) -> SeedPort {
        SeedPort {
            product_type: ProductType::Megaport,
            mcr_asn: None,
            mve_vendor: None,
            mve_size: None,
            vnics: Vec::new(),
            uid: None,
            id: None,
            name: name.to_string(),
            company: company.to_string(),
            location_id,
            speed: default_speed(),
            max_vxc_speed: None,
            diversity_zone: None,
            vxc_permitted: true,
            status: default_live(),
            lag_id: None,
            lag_primary: false,
            traffic_in_mbps: None,
            traffic_out_mbps: None,
        }
    }
}

/// A VXC already in place between two Ports.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedVxc {
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    pub company: String,
    pub a_port: String,
    pub a_vlan: i64,
    pub b_port: String,
    pub b_vlan: i64,
    pub rate_limit: i64,
    #[serde(default = "default_term")]
    pub term: i64,
    #[serde(default = "default_live")]
    pub status: String,
}

impl SeedVxc {
    /// A LIVE 12-month VXC with a generated uid.
    pub fn new(
        name: &str,
        company: &str,
        (a_port, a_vlan): (&str, i64),
        (b_port, b_vlan): (&str, i64),
        rate_limit: i64,
    ) -> SeedVxc {
        SeedVxc {
            uid: None,
            id: None,
            name: name.to_string(),
            company: company.to_string(),
            a_port: a_port.to_string(),
            a_vlan,
            b_port: b_port.to_string(),
            b_vlan,
            rate_limit,
            term: default_term(),
            status: default_live(),
        }
    }
}

/// A service key that exists at start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedServiceKey {
    pub key: String,
    pub company: String,
    pub product_uid: String,
    pub single_use: bool,
    #[serde(default)]
    pub vlan: Option<i64>,
    #[serde(default)]
    pub max_speed: Option<i64>,
    #[serde(default)]
    pub pre_approved: bool,
    #[serde(default = "default_true")]
    pub active: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub valid_from_ms: Option<i64>,
    #[serde(default)]
    pub valid_until_ms: Option<i64>,
}

/// Which feed an event is in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Maintenance,
    Outage,
}

/// A maintenance or outage event. Times are relative to the sandbox's start (or, through the
/// control API, to the sandbox clock now); the state follows the sandbox clock: maintenance is
/// Scheduled, then Running, then Completed (or Cancelled); an outage is Ongoing until it ends,
/// then Resolved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedEvent {
    pub kind: EventKind,
    /// Megaport's ticket number; assigned when absent.
    #[serde(default)]
    pub event_id: Option<String>,
    /// Affected services: product uids (served as Megaport's 8-character short uids).
    pub services: Vec<String>,
    /// Hours from now to the start; negative for an event that started in the past.
    pub starts_in_hours: f64,
    /// Length in hours; an outage without one is ongoing until resolved.
    #[serde(default)]
    pub duration_hours: Option<f64>,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub cancelled: bool,
}

/// The API key of one seeded company, for clients and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub company: String,
    pub client_id: String,
    pub client_secret: String,
}

fn default_location_status() -> String {
    "Active".to_string()
}
fn default_zones() -> Vec<String> {
    vec!["red".to_string(), "blue".to_string()]
}
fn default_speed() -> i64 {
    10_000
}
fn default_true() -> bool {
    true
}
fn default_live() -> String {
    "LIVE".to_string()
}
fn default_term() -> i64 {
    12
}

/// VLAN ids a VXC end may use (Megaport's documented range).
pub(crate) const VLAN_MIN: i64 = 2;
pub(crate) const VLAN_MAX: i64 = 4093;

impl Seed {
    /// Parses and checks a seed (references resolve, VLANs are in range and free).
    pub fn from_toml_str(s: &str) -> Result<Seed, SeedError> {
        let seed: Seed = toml::from_str(s).map_err(|e| SeedError::Parse(e.to_string()))?;
        seed.check()?;
        Ok(seed)
    }

    pub fn load(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Seed::from_toml_str(&text)
    }

    /// The guide's scenario (`default-seed.toml`).
    pub fn default_scenario() -> Seed {
        // The file is compiled in and covered by a unit test; an empty seed is the safe
        // fallback should it ever be broken.
        Seed::from_toml_str(DEFAULT_SEED).unwrap_or_default()
    }

    /// The text of the default seed file, for `onramp sandbox --print-seed` and docs.
    pub fn default_toml() -> &'static str {
        DEFAULT_SEED
    }

    pub fn credentials(&self) -> Vec<SandboxCredentials> {
        self.companies
            .iter()
            .map(|c| SandboxCredentials {
                company: c.name.clone(),
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.clone(),
            })
            .collect()
    }

    pub(crate) fn check(&self) -> Result<(), SeedError> {
        let invalid = |m: String| Err(SeedError::Invalid(m));
        let mut names = HashSet::new();
        let mut client_ids = HashSet::new();
        for c in &self.companies {
            if !names.insert(c.name.as_str()) {
                return invalid(format!("company {} is declared twice", c.name));
            }
            if !client_ids.insert(c.client_id.as_str()) {
                return invalid(format!("client_id {} is used twice", c.client_id));
            }
        }
        let locations: HashSet<i64> = self.locations.iter().map(|l| l.id).collect();
        if locations.len() != self.locations.len() {
            return invalid("a location id is declared twice".to_string());
        }
        for trip in &self.round_trips {
            if let Some(unknown) = trip.between.iter().find(|id| !locations.contains(id)) {
                return invalid(format!("round trip names unknown location {unknown}"));
            }
            if !(trip.median_ms.is_finite() && trip.median_ms > 0.0) {
                return invalid(format!(
                    "round trip between {:?} has median_ms {}, not above 0",
                    trip.between, trip.median_ms
                ));
            }
        }
        let mut ports: HashMap<&str, &SeedPort> = HashMap::new();
        for p in &self.ports {
            if !names.contains(p.company.as_str()) {
                return invalid(format!(
                    "port {} names unknown company {}",
                    p.name, p.company
                ));
            }
            if !locations.contains(&p.location_id) {
                return invalid(format!(
                    "port {} names unknown location {}",
                    p.name, p.location_id
                ));
            }
            if p.speed <= 0 {
                return invalid(format!("port {} has speed {}", p.name, p.speed));
            }
            let is_mve = p.product_type == ProductType::Mve;
            if is_mve == p.vnics.is_empty() || p.vnics.len() > MAX_VNICS {
                return invalid(format!(
                    "{} needs vnics (1 to {MAX_VNICS}) exactly when it is an MVE",
                    p.name
                ));
            }
            if p.mcr_asn.is_some() && p.product_type != ProductType::Mcr2 {
                return invalid(format!("{} has an mcr_asn but is not an MCR", p.name));
            }
            if let Some(uid) = &p.uid
                && ports.insert(uid.as_str(), p).is_some()
            {
                return invalid(format!("port uid {uid} is declared twice"));
            }
        }
        let mut used: HashSet<(&str, i64)> = HashSet::new();
        for v in &self.vxcs {
            if !names.contains(v.company.as_str()) {
                return invalid(format!(
                    "vxc {} names unknown company {}",
                    v.name, v.company
                ));
            }
            for (port, vlan) in [(&v.a_port, v.a_vlan), (&v.b_port, v.b_vlan)] {
                if !ports.contains_key(port.as_str()) {
                    return invalid(format!("vxc {} names unknown port {port}", v.name));
                }
                if !(VLAN_MIN..=VLAN_MAX).contains(&vlan) {
                    return invalid(format!("vxc {} uses VLAN {vlan} outside 2-4093", v.name));
                }
                if !used.insert((port.as_str(), vlan)) {
                    return invalid(format!("vxc {} reuses VLAN {vlan} on port {port}", v.name));
                }
            }
            if v.rate_limit <= 0 {
                return invalid(format!("vxc {} has rate_limit {}", v.name, v.rate_limit));
            }
        }
        let mut primaries: HashMap<i64, usize> = HashMap::new();
        for p in &self.ports {
            if let Some(lag) = p.lag_id {
                *primaries.entry(lag).or_default() += usize::from(p.lag_primary);
            } else if p.lag_primary {
                return invalid(format!("port {} is lag_primary without a lag_id", p.name));
            }
        }
        if let Some((lag, count)) = primaries.iter().find(|(_, count)| **count != 1) {
            return invalid(format!("lag {lag} has {count} primary ports, not 1"));
        }
        for e in &self.events {
            if let Some(service) = e.services.iter().find(|s| !ports.contains_key(s.as_str())) {
                return invalid(format!("event names unknown port {service}"));
            }
            if e.kind == EventKind::Maintenance && e.duration_hours.is_none() {
                return invalid("a maintenance event needs duration_hours".to_string());
            }
        }
        for k in &self.service_keys {
            if !names.contains(k.company.as_str()) {
                return invalid(format!("service key {} names unknown company", k.key));
            }
            if !ports.contains_key(k.product_uid.as_str()) {
                return invalid(format!("service key {} names unknown port", k.key));
            }
            if k.single_use && k.vlan.is_none() {
                return invalid(format!("single-use service key {} needs a vlan", k.key));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_parses_and_has_the_guide_scenario() {
        let seed = Seed::from_toml_str(DEFAULT_SEED).expect("default seed parses");
        let creds = seed.credentials();
        assert!(creds.iter().any(|c| c.company == "QuantumGPU"
            && c.client_id == "quantumgpu-sandbox"
            && c.client_secret == "quantumgpu-sandbox-secret"));
        assert!(creds.iter().any(|c| c.company == "Acme"
            && c.client_id == "acme-sandbox"
            && c.client_secret == "acme-sandbox-secret"));
        let live_q: Vec<_> = seed
            .ports
            .iter()
            .filter(|p| p.company == "QuantumGPU" && p.status == "LIVE")
            .filter(|p| p.product_type == ProductType::Megaport)
            .collect();
        // Six on-ramps; London's is a LAG of two members, each its own product.
        assert_eq!(live_q.len(), 7);
        // Beside them, an MCR in Los Angeles and an MVE in New York.
        let kinds: Vec<_> = seed
            .ports
            .iter()
            .filter(|p| p.product_type != ProductType::Megaport)
            .map(|p| (p.product_type, p.location_id, p.vnics.len()))
            .collect();
        assert_eq!(
            kinds,
            [(ProductType::Mcr2, 60, 0), (ProductType::Mve, 75, 3)]
        );
        assert_eq!(live_q.iter().filter(|p| p.lag_id == Some(7001)).count(), 2);
        assert_eq!(seed.events.len(), 2);
        assert!(live_q.iter().all(|p| p.speed == 10_000));
        assert_eq!(
            live_q.iter().filter(|p| !p.vxc_permitted).count(),
            1,
            "exactly one Port refuses VXCs"
        );
        let la: Vec<_> = live_q
            .iter()
            .filter(|p| p.location_id == 59 || p.location_id == 60)
            .collect();
        assert_eq!(la.len(), 2);
        assert_eq!(Seed::default_scenario(), seed);
    }

    #[test]
    fn unknown_keys_and_bad_references_are_rejected() {
        let err = Seed::from_toml_str(
            "[[companies]]\nname='a'\nuid='u'\nid=1\nclient_id='c'\nclient_secret='s'\nbogus=1\n",
        );
        assert!(matches!(err, Err(SeedError::Parse(_))));
        let text = "[[companies]]\nname='a'\nuid='u'\nid=1\nclient_id='c'\nclient_secret='s'\n\
                    [[ports]]\nname='p'\ncompany='b'\nlocation_id=1\n";
        match Seed::from_toml_str(text) {
            Err(SeedError::Invalid(m)) => assert!(m.contains("unknown company"), "{m}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn vxc_vlans_must_be_in_range_and_unique_per_port() {
        let base = "[[companies]]\nname='a'\nuid='u'\nid=1\nclient_id='c'\nclient_secret='s'\n\
            [[locations]]\nid=1\nname='l'\nmetro='m'\nmarket='US'\ncountry='USA'\ncity='c'\ndata_centre='d'\n\
            [[ports]]\nuid='p1'\nname='p1'\ncompany='a'\nlocation_id=1\n\
            [[ports]]\nuid='p2'\nname='p2'\ncompany='a'\nlocation_id=1\n";
        let vxc = |a: i64, b: i64| {
            format!(
                "[[vxcs]]\nname='v{a}{b}'\ncompany='a'\na_port='p1'\na_vlan={a}\nb_port='p2'\nb_vlan={b}\nrate_limit=10\n"
            )
        };
        assert!(Seed::from_toml_str(&format!("{base}{}", vxc(2, 4093))).is_ok());
        assert!(Seed::from_toml_str(&format!("{base}{}", vxc(1, 5))).is_err());
        assert!(Seed::from_toml_str(&format!("{base}{}", vxc(5, 4094))).is_err());
        assert!(Seed::from_toml_str(&format!("{base}{}{}", vxc(5, 6), vxc(5, 7))).is_err());
    }
}
