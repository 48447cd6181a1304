//! The sandbox's world: companies, locations, Ports, VXCs, service keys, tokens, the order
//! ledger and the clock, plus Megaport's rules over them. Everything here is synchronous and
//! lives behind one mutex; no lock is held across an await.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};

use super::envelope::{ApiError, merge};
use super::faults::FaultRegistry;
use super::limits::{LimitState, SandboxLimits};
use super::records::{ApprovalKind, ApprovalStatus, OrderApproval, StatusEvent};
use super::seed::{
    ProductType, Seed, SeedEvent, SeedLocation, SeedPort, SeedVxc, VLAN_MAX, VLAN_MIN,
};

/// How long a bought VXC stays in each state before moving on (measured on the sandbox clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisioningSchedule {
    /// DEPLOYABLE -> CONFIGURED.
    pub to_configured: Duration,
    /// CONFIGURED -> LIVE.
    pub to_live: Duration,
}

impl Default for ProvisioningSchedule {
    fn default() -> Self {
        ProvisioningSchedule {
            to_configured: Duration::from_secs(2),
            to_live: Duration::from_secs(2),
        }
    }
}

/// Contract terms (months) a VXC may be ordered with.
pub(crate) const TERMS_ALLOWED: [i64; 4] = [1, 12, 24, 36];

#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub name: String,
    pub uid: String,
    pub id: i64,
    pub client_id: String,
    pub client_secret: String,
}

/// What a product is, with what only that kind has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Port,
    Mcr {
        asn: i64,
    },
    Mve {
        vendor: String,
        size: String,
        vnics: Vec<crate::seed::SeedVnic>,
    },
}

impl Kind {
    /// `productType` as Megaport writes it.
    pub(crate) fn product_type(&self) -> &'static str {
        match self {
            Kind::Port => "MEGAPORT",
            Kind::Mcr { .. } => "MCR2",
            Kind::Mve { .. } => "MVE",
        }
    }

    /// The path segment of the product's own routes (`/v2/product/{segment}/{uid}/telemetry`).
    pub(crate) fn path_segment(&self) -> &'static str {
        match self {
            Kind::Port => "megaport",
            Kind::Mcr { .. } => "mcr2",
            Kind::Mve { .. } => "mve",
        }
    }
}

/// Megaport's default MCR ASN.
const DEFAULT_MCR_ASN: i64 = 133_937;

#[derive(Debug, Clone)]
pub(crate) struct Port {
    /// A Port, an MCR or an MVE. For an MVE `speed` is its `maxVxcSpeed` (it has no Port
    /// speed), so every rate check reads one field.
    pub kind: Kind,
    pub uid: String,
    pub id: i64,
    pub name: String,
    pub company_uid: String,
    pub location_id: i64,
    pub speed: i64,
    pub max_vxc_speed: i64,
    pub zone: Option<String>,
    pub vxc_permitted: bool,
    pub status: String,
    pub create_ms: i64,
    pub lag_id: Option<i64>,
    pub lag_primary: bool,
    /// Peak traffic per direction (Mbps) the telemetry route reports; None: derived from the
    /// allocated rate limits.
    pub traffic: Option<(i64, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approval {
    Approved,
    Pending,
    Rejected,
}

#[derive(Debug, Clone)]
pub(crate) struct Vxc {
    pub uid: String,
    pub id: i64,
    pub name: String,
    pub company_uid: String,
    pub a_port: String,
    pub a_vlan: i64,
    pub b_port: String,
    pub b_vlan: i64,
    /// The vNIC each end uses when it is on an MVE.
    pub a_vnic: Option<i64>,
    pub b_vnic: Option<i64>,
    /// The B-End owner's layer-3 configuration of an MCR end (a vrouter partner config, as
    /// validated by `vrouter::check`), sent in `bEndConfig`.
    pub b_config: Option<Value>,
    pub rate_limit: i64,
    pub term: i64,
    pub created_ms: i64,
    /// Seeded VXCs keep the status they were declared with.
    pub fixed_status: Option<String>,
    pub approval: Approval,
    /// When provisioning started (creation, or the owner's approval).
    pub provisioning_from_ms: i64,
    pub resource_tags: Value,
    pub cost_centre: Option<String>,
    pub shutdown: bool,
    /// Set once the buyer cancelled it (and cleared by UN_CANCEL).
    pub cancellation: Option<Cancellation>,
}

impl Vxc {
    /// Whether the VXC still holds its ends' VLANs and vNICs. One cancelled at the end of its
    /// term keeps them until then; one cancelled now, or rejected, gives them back.
    pub(crate) fn holds_its_ends(&self) -> bool {
        !(self.approval == Approval::Rejected
            || matches!(self.cancellation, Some(Cancellation::Now(_)))
            || matches!(
                self.fixed_status.as_deref(),
                Some("DECOMMISSIONED" | "CANCELLED")
            ))
    }
}

/// When a cancelled VXC goes (sandbox clock, epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancellation {
    /// CANCEL: at the end of the contract term; CANCELLED until then.
    AtTermEnd(i64),
    /// CANCEL_NOW: DECOMMISSIONING from then, DECOMMISSIONED after the first provisioning step.
    Now(i64),
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceKey {
    pub key: String,
    pub create_ms: i64,
    pub company_uid: String,
    pub product_uid: String,
    pub vlan: Option<i64>,
    pub max_speed: i64,
    pub pre_approved: bool,
    pub single_use: bool,
    pub last_used: Option<i64>,
    pub active: bool,
    pub valid_start: i64,
    pub valid_end: Option<i64>,
    pub description: Option<String>,
}

/// One accepted order line, as kept in the ledger (`GET /_sandbox/orders`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRecord {
    pub vxc_order_id: i64,
    pub accepted_ms: i64,
    /// "v3" or "v4".
    pub api_version: String,
    pub company: String,
    pub company_uid: String,
    pub vxc_uid: String,
    pub vxc_name: String,
    pub a_product_uid: String,
    pub b_product_uid: String,
    pub a_vlan: i64,
    pub b_vlan: i64,
    pub rate_limit: i64,
    pub term: i64,
    pub service_key: Option<String>,
    pub resource_tags: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub company_uid: String,
    pub expires_ms: i64,
}

/// What can be cloned to plan an order and thrown away if a line fails.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inventory {
    pub ports: Vec<Port>,
    pub vxcs: Vec<Vxc>,
    pub keys: Vec<ServiceKey>,
    pub next_id: i64,
}

#[derive(Debug)]
pub(crate) struct State {
    pub companies: Vec<Company>,
    pub locations: Vec<SeedLocation>,
    /// Measured medians that replace the coordinate estimate (`/v2/locations/rtt`).
    pub round_trips: Vec<crate::seed::SeedRoundTrip>,
    pub inv: Inventory,
    pub orders: Vec<OrderRecord>,
    pub tokens: HashMap<String, Token>,
    pub clock_offset_ms: i64,
    pub schedule: ProvisioningSchedule,
    pub token_lifetime: Duration,
    pub faults: FaultRegistry,
    pub limits: SandboxLimits,
    pub limit_state: LimitState,
    pub events: Vec<StatusEvent>,
    pub approvals: Vec<OrderApproval>,
    /// How long an order approval waits before it expires.
    pub approval_ttl: Duration,
}

pub(crate) fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn dur_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Megaport's legacy VLAN clash text.
pub(crate) fn vlan_taken(vlan: i64, port: &Port) -> ApiError {
    ApiError::bad_request(format!(
        "VLAN {vlan} not available on MEGAPORT service {}",
        port.id
    ))
}

pub(crate) fn check_vlan_range(vlan: i64) -> Result<(), ApiError> {
    if (VLAN_MIN..=VLAN_MAX).contains(&vlan) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "VLAN {vlan} is invalid: VLAN must be between {VLAN_MIN} and {VLAN_MAX}"
        )))
    }
}

pub(crate) fn check_term(term: i64) -> Result<(), ApiError> {
    if TERMS_ALLOWED.contains(&term) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid term {term}: the contract term must be one of 1, 12, 24 or 36 months"
        )))
    }
}

/// The lowest VLAN in 2-4093 not in `used`.
pub(crate) fn next_free_vlan(used: &HashSet<i64>) -> Option<i64> {
    (VLAN_MIN..=VLAN_MAX).find(|v| !used.contains(v))
}

/// The sandbox's deterministic VXC price (USD): monthly = (20 + 0.30 x Mbps) x (1 - discount),
/// discount 0 % for 1 month, 10 % for 12, 15 % for 24, 20 % for 36; rounded to cents.
pub(crate) fn price(rate_limit: i64, term: i64) -> Value {
    let discount = match term {
        12 => 0.10,
        24 => 0.15,
        36 => 0.20,
        _ => 0.0,
    };
    let monthly = ((20.0 + 0.30 * rate_limit as f64) * (1.0 - discount) * 100.0).round() / 100.0;
    let hourly = (monthly / 730.0 * 10_000.0).round() / 10_000.0;
    let mbps = if rate_limit > 0 {
        (monthly / rate_limit as f64 * 10_000.0).round() / 10_000.0
    } else {
        0.0
    };
    json!({
        "hourlySetup": 0, "dailySetup": 0, "monthlySetup": 0,
        "hourlyRate": hourly, "dailyRate": (hourly * 24.0 * 10_000.0).round() / 10_000.0,
        "monthlyRate": monthly, "fixedRecurringCharge": 0,
        "longHaulMbpsRate": 0, "mbpsRate": mbps, "currency": "USD",
        "productType": "VXC", "monthlyRackRate": monthly
    })
}

impl State {
    pub(crate) fn from_seed(
        seed: &Seed,
        schedule: ProvisioningSchedule,
        token_lifetime: Duration,
        rng_seed: u64,
    ) -> Result<State, String> {
        let now = system_now_ms();
        let mut st = State {
            companies: seed
                .companies
                .iter()
                .map(|c| Company {
                    name: c.name.clone(),
                    uid: c.uid.clone(),
                    id: c.id,
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.clone(),
                })
                .collect(),
            locations: seed.locations.clone(),
            round_trips: seed.round_trips.clone(),
            inv: Inventory {
                next_id: 500_000,
                ..Inventory::default()
            },
            orders: Vec::new(),
            tokens: HashMap::new(),
            clock_offset_ms: 0,
            schedule,
            token_lifetime,
            faults: FaultRegistry::new(rng_seed),
            limits: SandboxLimits::default(),
            limit_state: LimitState::default(),
            events: Vec::new(),
            approvals: Vec::new(),
            approval_ttl: Duration::from_secs(7 * 86_400),
        };
        for p in &seed.ports {
            st.add_port(p)?;
        }
        for v in &seed.vxcs {
            st.add_vxc(v)?;
        }
        for e in &seed.events {
            st.upsert_event(e)?;
        }
        for k in &seed.service_keys {
            let company_uid = st.company_by_name(&k.company)?.uid.clone();
            let port = st
                .inv
                .port(&k.product_uid)
                .ok_or_else(|| format!("unknown port {}", k.product_uid))?;
            st.inv.keys.push(ServiceKey {
                key: k.key.clone(),
                create_ms: now,
                company_uid,
                product_uid: k.product_uid.clone(),
                vlan: if k.single_use { k.vlan } else { None },
                max_speed: k.max_speed.unwrap_or(port.speed),
                pre_approved: k.pre_approved,
                single_use: k.single_use,
                last_used: None,
                active: k.active,
                valid_start: k.valid_from_ms.unwrap_or(now),
                valid_end: k.valid_until_ms,
                description: k.description.clone(),
            });
        }
        Ok(st)
    }

    /// Megaport's one update per service per window (see `limits`).
    pub(crate) fn admit_update(&mut self, service: &str) -> Result<(), ApiError> {
        let limits = self.limits;
        self.limit_state
            .admit_update(&limits, service, std::time::Instant::now())
            .map_err(|wait| {
                ApiError::too_many_requests(
                    format!("Service {service} was updated too recently; try again later"),
                    wait,
                )
            })
    }

    pub(crate) fn now_ms(&self) -> i64 {
        system_now_ms() + self.clock_offset_ms
    }

    pub(crate) fn company(&self, uid: &str) -> Option<&Company> {
        self.companies.iter().find(|c| c.uid == uid)
    }

    pub(crate) fn company_by_name(&self, name: &str) -> Result<&Company, String> {
        self.companies
            .iter()
            .find(|c| c.name == name || c.uid == name)
            .ok_or_else(|| format!("unknown company {name}"))
    }

    pub(crate) fn location(&self, id: i64) -> Option<&SeedLocation> {
        self.locations.iter().find(|l| l.id == id)
    }

    /// Adds a Port from its seed form (used at start and by the control API).
    pub(crate) fn add_port(&mut self, p: &SeedPort) -> Result<String, String> {
        let company_uid = self.company_by_name(&p.company)?.uid.clone();
        if self.location(p.location_id).is_none() {
            return Err(format!("unknown location {}", p.location_id));
        }
        if p.speed <= 0 {
            return Err(format!("invalid port speed {}", p.speed));
        }
        let uid = p
            .uid
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.inv.port(&uid).is_some() || self.inv.vxc(&uid).is_some() {
            return Err(format!("product {uid} already exists"));
        }
        let id = match p.id {
            Some(id) => id,
            None => self.inv.fresh_id(),
        };
        let kind = match p.product_type {
            ProductType::Megaport => Kind::Port,
            ProductType::Mcr2 => Kind::Mcr {
                asn: p.mcr_asn.unwrap_or(DEFAULT_MCR_ASN),
            },
            ProductType::Mve => Kind::Mve {
                vendor: p
                    .mve_vendor
                    .clone()
                    .unwrap_or_else(|| "PALO_ALTO".to_owned()),
                size: p.mve_size.clone().unwrap_or_else(|| "SMALL".to_owned()),
                vnics: p.vnics.clone(),
            },
        };
        // An MVE has no Port speed: its capacity is its maxVxcSpeed.
        let speed = match kind {
            Kind::Mve { .. } => p.max_vxc_speed.unwrap_or(p.speed),
            _ => p.speed,
        };
        self.inv.ports.push(Port {
            kind,
            uid: uid.clone(),
            id,
            name: p.name.clone(),
            company_uid,
            location_id: p.location_id,
            speed,
            max_vxc_speed: p.max_vxc_speed.unwrap_or(speed),
            zone: p.diversity_zone.clone(),
            vxc_permitted: p.vxc_permitted,
            status: p.status.clone(),
            create_ms: self.now_ms() - 86_400_000 * 30,
            lag_id: p.lag_id,
            lag_primary: p.lag_primary,
            traffic: match (p.traffic_in_mbps, p.traffic_out_mbps) {
                (None, None) => None,
                (inbound, outbound) => Some((inbound.unwrap_or(0), outbound.unwrap_or(0))),
            },
        });
        Ok(uid)
    }

    /// Adds an event, or replaces the one with the same event id; returns the id.
    pub(crate) fn upsert_event(&mut self, e: &SeedEvent) -> Result<String, String> {
        if let Some(unknown) = e.services.iter().find(|uid| self.inv.port(uid).is_none()) {
            return Err(format!("event names unknown port {unknown}"));
        }
        let event = StatusEvent::from_seed(e, self.now_ms(), self.inv.fresh_id())?;
        let id = event.event_id.clone();
        self.events.retain(|existing| existing.event_id != id);
        self.events.push(event);
        Ok(id)
    }

    /// Adds a VXC from its seed form, checking both ends' VLANs.
    pub(crate) fn add_vxc(&mut self, v: &SeedVxc) -> Result<String, String> {
        let company_uid = self.company_by_name(&v.company)?.uid.clone();
        for (port, vlan) in [(&v.a_port, v.a_vlan), (&v.b_port, v.b_vlan)] {
            if self.inv.port(port).is_none() {
                return Err(format!("unknown port {port}"));
            }
            check_vlan_range(vlan).map_err(|e| e.message)?;
            if self.inv.vlans_in_use(port).contains(&vlan) {
                return Err(format!("VLAN {vlan} is already used on port {port}"));
            }
        }
        if v.a_port == v.b_port && v.a_vlan == v.b_vlan {
            return Err("both ends use the same VLAN on the same port".to_string());
        }
        let uid = v
            .uid
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.inv.port(&uid).is_some() || self.inv.vxc(&uid).is_some() {
            return Err(format!("product {uid} already exists"));
        }
        let id = match v.id {
            Some(id) => id,
            None => self.inv.fresh_id(),
        };
        let now = self.now_ms();
        self.inv.vxcs.push(Vxc {
            uid: uid.clone(),
            id,
            name: v.name.clone(),
            company_uid,
            a_port: v.a_port.clone(),
            a_vlan: v.a_vlan,
            b_port: v.b_port.clone(),
            b_vlan: v.b_vlan,
            a_vnic: None,
            b_vnic: None,
            b_config: None,
            rate_limit: v.rate_limit,
            term: v.term,
            created_ms: now - 86_400_000 * 7,
            fixed_status: Some(v.status.clone()),
            approval: Approval::Approved,
            provisioning_from_ms: now,
            resource_tags: json!([]),
            cost_centre: None,
            shutdown: false,
            cancellation: None,
        });
        Ok(uid)
    }

    /// Removes a Port and every VXC attached to it.
    pub(crate) fn remove_port(&mut self, uid: &str) -> bool {
        let before = self.inv.ports.len();
        self.inv.ports.retain(|p| p.uid != uid);
        if self.inv.ports.len() == before {
            return false;
        }
        self.inv.vxcs.retain(|v| v.a_port != uid && v.b_port != uid);
        true
    }

    pub(crate) fn remove_vxc(&mut self, uid: &str) -> bool {
        let before = self.inv.vxcs.len();
        self.inv.vxcs.retain(|v| v.uid != uid);
        self.inv.vxcs.len() != before
    }

    pub(crate) fn vxc_status(&self, v: &Vxc, now: i64) -> String {
        match v.cancellation {
            Some(Cancellation::AtTermEnd(at)) if now < at => return "CANCELLED".to_string(),
            Some(Cancellation::Now(at)) if now < at + dur_ms(self.schedule.to_configured) => {
                return "DECOMMISSIONING".to_string();
            }
            Some(_) => return "DECOMMISSIONED".to_string(),
            None => {}
        }
        if let Some(s) = &v.fixed_status {
            return s.clone();
        }
        match v.approval {
            Approval::Rejected => "DECOMMISSIONED".to_string(),
            Approval::Pending => "DEPLOYABLE".to_string(),
            Approval::Approved => {
                let elapsed = now - v.provisioning_from_ms;
                let c = dur_ms(self.schedule.to_configured);
                let l = c.saturating_add(dur_ms(self.schedule.to_live));
                if elapsed < c {
                    "DEPLOYABLE"
                } else if elapsed < l {
                    "CONFIGURED"
                } else {
                    "LIVE"
                }
                .to_string()
            }
        }
    }

    pub(crate) fn key_expired(k: &ServiceKey, now: i64) -> bool {
        k.valid_end.is_some_and(|end| now > end)
    }

    pub(crate) fn key_valid(k: &ServiceKey, now: i64) -> bool {
        k.active
            && now >= k.valid_start
            && !Self::key_expired(k, now)
            && !(k.single_use && k.last_used.is_some())
    }

    // ---- JSON renderings (Megaport's shapes) ----

    fn location_detail(&self, location_id: i64) -> Value {
        match self.location(location_id) {
            Some(l) => {
                json!({"name": l.name, "city": l.city, "metro": l.metro, "country": l.country})
            }
            None => Value::Null,
        }
    }

    pub(crate) fn location_json(l: &SeedLocation) -> Value {
        let zone = json!({
            "mcrSpeedMbps": [1000, 2500, 5000, 10000],
            "megaportSpeedMbps": [1000, 10000, 100000],
            "mveMaxCpuCoreCount": null, "mveAvailable": true,
            "natGatewaySpeedMbps": []
        });
        let mut zones = serde_json::Map::new();
        for z in &l.diversity_zones {
            zones.insert(z.clone(), zone.clone());
        }
        json!({
            "id": l.id, "name": l.name, "metro": l.metro, "market": l.market, "status": l.status,
            "address": {"street": l.street, "suburb": null, "city": l.city, "state": l.state,
                        "postcode": l.postcode, "country": l.country},
            "latitude": l.latitude, "longitude": l.longitude,
            "dataCentre": {"id": l.id, "name": l.data_centre},
            "orderingMessage": null,
            "diversityZones": zones,
            "productAddOns": {"crossConnect": {"available": true, "type": "STANDARD"}}
        })
    }

    fn end_json(&self, port_uid: &str, vlan: i64, vnic: Option<i64>) -> Value {
        match self.inv.port(port_uid) {
            Some(p) => json!({
                "ownerUid": p.company_uid, "productUid": p.uid, "productName": p.name,
                "productType": p.kind.product_type(),
                "locationId": p.location_id,
                "location": self.location(p.location_id).map(|l| l.name.clone()),
                "locationDetail": self.location_detail(p.location_id),
                "vlan": vlan, "innerVlan": null, "vNicIndex": vnic.unwrap_or(0),
                "secondaryName": null
            }),
            None => json!({"productUid": port_uid, "vlan": vlan}),
        }
    }

    /// The B-End owner's MCR configuration as Megaport reads it back: a `VROUTER` csp
    /// connection. BGP passwords are not read back.
    fn csp_connection_json(&self, v: &Vxc) -> Option<Value> {
        let config = v.b_config.as_ref()?;
        let router = self.inv.port(&v.b_port)?;
        let mut interfaces = config
            .get("interfaces")
            .cloned()
            .unwrap_or_else(|| json!([]));
        let mut addresses = Vec::new();
        for interface in interfaces.as_array_mut().into_iter().flatten() {
            if let Some(list) = interface.get("ipAddresses").and_then(Value::as_array) {
                addresses.extend(list.iter().cloned());
            }
            for session in interface
                .get_mut("bgpConnections")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(session) = session.as_object_mut() {
                    session.remove("password");
                }
            }
        }
        Some(json!({
            "connectType": "VROUTER", "resource_name": "b_csp_connection",
            "resource_type": "csp_connection", "vlan": v.b_vlan,
            "interfaces": interfaces, "ip_addresses": addresses,
            "virtualRouterName": router.name
        }))
    }

    pub(crate) fn vxc_json(&self, v: &Vxc, now: i64) -> Value {
        let status = self.vxc_status(v, now);
        let live = status == "LIVE";
        let company = self.company(&v.company_uid);
        let approval = match self.pending_approval(&v.uid) {
            Some(a) => json!({
                "status": "PENDING", "message": "Awaiting approval by the B-End owner",
                "uid": a.uid,
                "type": match a.kind {
                    ApprovalKind::NewOrder => "NEW",
                    ApprovalKind::SpeedChange => "SPEED_CHANGE",
                    ApprovalKind::TermChange => "TERM_CHANGE",
                },
                "newSpeed": (a.kind == ApprovalKind::SpeedChange).then_some(a.rate_limit),
                "newTerm": (a.kind == ApprovalKind::TermChange).then_some(a.term)
            }),
            // A new order that was never approved keeps its approval's end (REJECTED, EXPIRED).
            None => match self.approvals.iter().rev().find(|a| {
                a.vxc_uid == v.uid
                    && a.kind == ApprovalKind::NewOrder
                    && a.status != ApprovalStatus::Approved
            }) {
                Some(a) => json!({
                    "status": a.status.as_str(),
                    "message": "The B-End owner did not approve the connection",
                    "uid": a.uid, "type": "NEW", "newSpeed": null
                }),
                None => json!({
                    "status": null, "message": null, "uid": null, "type": null, "newSpeed": null
                }),
            },
        };
        let vll = if status == "DECOMMISSIONED" {
            json!([])
        } else {
            json!({
                "a_vlan": v.a_vlan, "b_vlan": v.b_vlan, "rate_limit_mbps": v.rate_limit,
                "resource_name": "vll", "resource_type": "vll", "up": live && !v.shutdown,
                "shutdown": v.shutdown, "description": v.name, "id": v.id, "name": v.name
            })
        };
        let live_date = if live {
            Some(v.provisioning_from_ms.min(now))
        } else {
            None
        };
        json!({
            "productId": v.id, "productUid": v.uid, "productName": v.name, "productType": "VXC",
            "nServiceId": v.id, "rateLimit": v.rate_limit, "distanceBand": "ZONE",
            "provisioningStatus": status,
            "aEnd": self.end_json(&v.a_port, v.a_vlan, v.a_vnic),
            "bEnd": self.end_json(&v.b_port, v.b_vlan, v.b_vnic),
            "secondaryName": null, "usageAlgorithm": "POST_PAID_HOURLY_SPEED_LONG_HAUL_VXC",
            "createdBy": v.company_uid, "costCentre": v.cost_centre,
            "liveDate": live_date, "createDate": v.created_ms,
            "contractStartDate": v.created_ms,
            "contractEndDate": v.created_ms + v.term * 30 * 86_400_000,
            "contractTermMonths": v.term,
            "resources": match self.csp_connection_json(v) {
                Some(csp) => json!({"vll": vll, "csp_connection": csp}),
                None => json!({"vll": vll}),
            },
            "vxcApproval": approval,
            "shutdown": v.shutdown, "up": live && !v.shutdown, "locked": false,
            "adminLocked": false, "cancelable": true,
            "companyUid": v.company_uid, "companyName": company.map(|c| c.name.clone()),
            "attributeTags": {}
        })
    }

    pub(crate) fn port_json(&self, p: &Port, now: i64) -> Value {
        let company = self.company(&p.company_uid);
        let vxcs: Vec<Value> = self
            .inv
            .vxcs
            .iter()
            .filter(|v| v.a_port == p.uid || v.b_port == p.uid)
            .filter(|v| self.vxc_counts(v, now))
            .map(|v| self.vxc_json(v, now))
            .collect();
        let market = self.location(p.location_id).map(|l| l.market.clone());
        let port_speed = match p.kind {
            Kind::Mve { .. } => None,
            _ => Some(p.speed),
        };
        let head = json!({
            "productId": p.id, "productUid": p.uid, "productName": p.name,
            "productType": p.kind.product_type(), "provisioningStatus": p.status,
            "createDate": p.create_ms, "createdBy": p.company_uid,
            "portSpeed": port_speed, "maxVxcSpeed": p.max_vxc_speed,
            "terminateDate": null,
            "liveDate": if p.status == "LIVE" { Some(p.create_ms + 60_000) } else { None },
            "market": market, "locationId": p.location_id,
            "location": self.location(p.location_id).map(|l| l.name.clone()),
            "locationDetail": self.location_detail(p.location_id),
            "usageAlgorithm": match p.kind {
                Kind::Port => "NOT_POST_PAID",
                Kind::Mcr { .. } => "POST_PAID_HOURLY_SPEED_MCR2",
                Kind::Mve { .. } => "POST_PAID_HOURLY_SPEED_MVE",
            },
            "marketplaceVisibility": false,
            "vxcPermitted": p.vxc_permitted, "vxcAutoApproval": false,
            "secondaryName": null, "lagPrimary": p.lag_primary, "lagId": p.lag_id,
            "aggregationId": p.lag_id,
            "companyUid": p.company_uid, "companyName": company.map(|c| c.name.clone())
        });
        let interface = json!({
            "demarcation": "", "description": "", "id": p.id, "loa_template": "megaport",
            "media": if p.kind == Kind::Port { "LR" } else { "" }, "name": p.name,
            "port_speed": p.speed, "resource_name": "interface", "resource_type": "interface",
            "up": 1
        });
        let tail = json!({
            "costCentre": null,
            "contractStartDate": p.create_ms, "contractEndDate": p.create_ms + 365 * 86_400_000,
            "contractTermMonths": 12, "attributeTags": {}, "virtual": p.kind != Kind::Port,
            "buyoutPort": false, "locked": false, "adminLocked": false, "cancelable": true,
            "diversityZone": p.zone, "nServiceId": p.id,
            "associatedVxcs": vxcs, "associatedIxs": []
        });
        merge(merge(head, tail), Self::kind_json(p, interface))
    }

    /// The fields only one kind of product has.
    fn kind_json(p: &Port, interface: Value) -> Value {
        match &p.kind {
            Kind::Port => json!({"connectType": "DEFAULT", "resources": {"interface": interface}}),
            Kind::Mcr { asn } => json!({
                "connectType": "VROUTER",
                "resources": {"interface": interface, "virtual_router": {
                    "id": p.id, "mcrAsn": asn, "name": p.name, "resource_name": "virtual_router",
                    "resource_type": "virtual_router", "speed": p.speed
                }}
            }),
            Kind::Mve {
                vendor,
                size,
                vnics,
            } => json!({
                "connectType": "MVE", "vendor": vendor, "mveSize": size,
                "mveLabel": format!("MVE {size}"), "vnics": vnics,
                "resources": {"interface": interface, "virtual_machine": [{
                    "id": p.id, "cpu_count": 2,
                    "image": {"id": 1, "vendor": vendor, "product": "Virtual Edge", "version": "1.0"},
                    "resource_type": "virtual_machine", "up": true, "vnics": vnics
                }]}
            }),
        }
    }

    /// Whether a VXC still occupies its Ports (VLANs, capacity, associatedVxcs). One cancelled
    /// at the end of its term is in service until then (a seeded CANCELLED one is gone).
    pub(crate) fn vxc_counts(&self, v: &Vxc, now: i64) -> bool {
        match self.vxc_status(v, now).as_str() {
            "DECOMMISSIONED" => false,
            "CANCELLED" => v.cancellation.is_some(),
            _ => true,
        }
    }

    pub(crate) fn key_json(&self, k: &ServiceKey, now: i64, with_product: bool) -> Value {
        let company = self.company(&k.company_uid);
        let port = self.inv.port(&k.product_uid);
        let mut v = json!({
            "key": k.key, "createDate": k.create_ms,
            "companyId": company.map(|c| c.id), "companyUid": k.company_uid,
            "companyName": company.map(|c| c.name.clone()),
            "description": k.description,
            "productId": port.map(|p| p.id), "productUid": k.product_uid,
            "productName": port.map(|p| p.name.clone()),
            "vlan": k.vlan, "maxSpeed": k.max_speed, "preApproved": k.pre_approved,
            "singleUse": k.single_use, "lastUsed": k.last_used, "active": k.active,
            "validFor": {"start": k.valid_start, "end": k.valid_end},
            "expired": Self::key_expired(k, now), "valid": Self::key_valid(k, now),
            "promoCode": null
        });
        if with_product && let (Some(p), Some(obj)) = (port, v.as_object_mut()) {
            obj.insert("productDto".to_string(), self.port_json(p, now));
        }
        v
    }
}

impl Inventory {
    pub(crate) fn port(&self, uid: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.uid == uid)
    }
    pub(crate) fn port_by_id_or_uid(&self, s: &str) -> Option<&Port> {
        let id = s.parse::<i64>().ok();
        self.ports.iter().find(|p| p.uid == s || Some(p.id) == id)
    }
    pub(crate) fn vxc(&self, uid: &str) -> Option<&Vxc> {
        self.vxcs.iter().find(|v| v.uid == uid)
    }
    pub(crate) fn key(&self, key: &str) -> Option<&ServiceKey> {
        self.keys.iter().find(|k| k.key.eq_ignore_ascii_case(key))
    }
    pub(crate) fn fresh_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// The vNIC indexes of an MVE that carry a VXC (rejected and cancelled-now VXCs free theirs).
    pub(crate) fn vnics_in_use(&self, mve_uid: &str) -> HashSet<i64> {
        self.vxcs
            .iter()
            .filter(|v| v.holds_its_ends())
            .flat_map(|v| {
                let a = (v.a_port == mve_uid).then_some(v.a_vnic).flatten();
                let b = (v.b_port == mve_uid).then_some(v.b_vnic).flatten();
                a.into_iter().chain(b)
            })
            .collect()
    }

    /// Checks a requested vNIC of an end: required on an MVE (Megaport: "Network Interface
    /// Index is required for MVE products"), in range, and free ("each vNIC supports only one
    /// untagged VXC"); ignored on other products.
    pub(crate) fn vnic_for(
        &self,
        product: &Port,
        requested: Option<i64>,
        end: &str,
    ) -> Result<Option<i64>, ApiError> {
        let Kind::Mve { vnics, .. } = &product.kind else {
            return Ok(None);
        };
        let index = requested.ok_or_else(|| {
            ApiError::bad_request(format!(
                "{end}.vNicIndex is required for MVE product {}",
                product.uid
            ))
        })?;
        self.check_vnic(product, vnics.len(), index, None)?;
        Ok(Some(index))
    }

    /// The lowest vNIC of an MVE that carries no VXC; `None` for other products.
    pub(crate) fn first_free_vnic(&self, product: &Port) -> Result<Option<i64>, ApiError> {
        let Kind::Mve { vnics, .. } = &product.kind else {
            return Ok(None);
        };
        let used = self.vnics_in_use(&product.uid);
        (0..vnics.len() as i64)
            .find(|index| !used.contains(index))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "every vNIC of MVE {} already carries a VXC",
                    product.uid
                ))
            })
    }

    /// A vNIC index is one the MVE has and carries no VXC but `moving` (the VXC being moved).
    pub(crate) fn check_vnic(
        &self,
        product: &Port,
        count: usize,
        index: i64,
        moving: Option<&str>,
    ) -> Result<(), ApiError> {
        if !(0..count as i64).contains(&index) {
            return Err(ApiError::bad_request(format!(
                "vNIC index {index} is invalid: MVE {} has vNICs 0 to {}",
                product.uid,
                count.saturating_sub(1)
            )));
        }
        let taken = self.vxcs.iter().any(|v| {
            v.holds_its_ends()
                && Some(v.uid.as_str()) != moving
                && ((v.a_port == product.uid && v.a_vnic == Some(index))
                    || (v.b_port == product.uid && v.b_vnic == Some(index)))
        });
        if taken {
            return Err(ApiError::bad_request(format!(
                "vNIC {index} of MVE {} already carries a VXC",
                product.uid
            )));
        }
        Ok(())
    }

    /// VLANs held on a Port by its VXCs (rejected VXCs free theirs).
    pub(crate) fn vlans_in_use(&self, port_uid: &str) -> HashSet<i64> {
        let mut used = HashSet::new();
        for v in self.vxcs.iter().filter(|v| v.holds_its_ends()) {
            if v.a_port == port_uid {
                used.insert(v.a_vlan);
            }
            if v.b_port == port_uid {
                used.insert(v.b_vlan);
            }
        }
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::from_seed(
            &Seed::default_scenario(),
            ProvisioningSchedule {
                to_configured: Duration::from_millis(100),
                to_live: Duration::from_millis(100),
            },
            Duration::from_secs(60),
            1,
        )
        .unwrap()
    }

    #[test]
    fn vlan_and_term_rules() {
        assert!(check_vlan_range(2).is_ok());
        assert!(check_vlan_range(4093).is_ok());
        assert!(check_vlan_range(1).is_err());
        assert!(check_vlan_range(4094).is_err());
        for t in [1, 12, 24, 36] {
            assert!(check_term(t).is_ok());
        }
        assert!(check_term(48).is_err());
        assert!(check_term(0).is_err());
        let used: HashSet<i64> = [2, 3, 5].into_iter().collect();
        assert_eq!(next_free_vlan(&used), Some(4));
        let full: HashSet<i64> = (2..=4093).collect();
        assert_eq!(next_free_vlan(&full), None);
    }

    #[test]
    fn price_is_deterministic_and_discounted_by_term() {
        assert_eq!(price(100, 1)["monthlyRate"], json!(50.0));
        assert_eq!(price(100, 12)["monthlyRate"], json!(45.0));
        assert_eq!(price(1000, 36)["monthlyRate"], json!(256.0));
        assert_eq!(price(100, 12)["currency"], json!("USD"));
    }

    #[test]
    fn vxc_moves_through_provisioning_on_the_clock() {
        let mut st = state();
        let now = st.now_ms();
        let mut v = st.inv.vxcs[0].clone();
        v.fixed_status = None;
        v.provisioning_from_ms = now;
        assert_eq!(st.vxc_status(&v, now), "DEPLOYABLE");
        assert_eq!(st.vxc_status(&v, now + 150), "CONFIGURED");
        assert_eq!(st.vxc_status(&v, now + 250), "LIVE");
        v.approval = Approval::Pending;
        assert_eq!(st.vxc_status(&v, now + 10_000), "DEPLOYABLE");
        v.approval = Approval::Rejected;
        assert_eq!(st.vxc_status(&v, now + 10_000), "DECOMMISSIONED");
        st.clock_offset_ms = 5_000;
        assert!(st.now_ms() >= now + 5_000);
    }

    #[test]
    fn seeded_allocations_differ_between_the_la_ports() {
        let st = state();
        let alloc = |uid: &str| -> i64 {
            st.inv
                .vxcs
                .iter()
                .filter(|v| v.a_port == uid || v.b_port == uid)
                .map(|v| v.rate_limit)
                .sum()
        };
        let equinix = alloc("cbbcc852-ed8a-4a3b-8f00-c192eefb1a88");
        let coresite = alloc("8611b645-ea50-46eb-b400-1c2fb858a303");
        assert_eq!(equinix, 1500);
        assert_eq!(coresite, 6000);
        assert!(
            st.inv
                .vlans_in_use("cbbcc852-ed8a-4a3b-8f00-c192eefb1a88")
                .contains(&100)
        );
    }

    #[test]
    fn key_validity() {
        let k = ServiceKey {
            key: "k".into(),
            create_ms: 0,
            company_uid: "c".into(),
            product_uid: "p".into(),
            vlan: Some(5),
            max_speed: 100,
            pre_approved: true,
            single_use: true,
            last_used: None,
            active: true,
            valid_start: 100,
            valid_end: Some(200),
            description: None,
        };
        assert!(!State::key_valid(&k, 50), "not yet valid");
        assert!(State::key_valid(&k, 150));
        assert!(State::key_expired(&k, 201) && !State::key_valid(&k, 201));
        let used = ServiceKey {
            last_used: Some(120),
            ..k.clone()
        };
        assert!(!State::key_valid(&used, 150));
        let inactive = ServiceKey { active: false, ..k };
        assert!(!State::key_valid(&inactive, 150));
    }
}
